import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, environmentWithDotEnv, loadConfig } from "../monitor/src/config/config.ts";

const ADDRESS = "0xB7b6F3CEa3F66bF525F5d8F965F6dBF6D9B017B2";

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration", () => {
  it("applies the documented defaults and lower-cases addresses", () => {
    const config = loadConfig({ ACCOUNT_ADDRESS: ` ${ADDRESS} , ${ADDRESS.toLowerCase()}` });
    expect(config.accounts).toEqual([ADDRESS.toLowerCase()]);
    expect(config).toMatchObject({
      network: "mainnet",
      wsUrl: "wss://api.hyperliquid.xyz/ws",
      apiUrl: "https://api.hyperliquid.xyz",
      dbMode: "local",
      tablePrefix: "hl-",
      dataDir: "./data",
      cvdCoins: null,
      snapshotIntervalMs: 60_000,
      healthPort: 8080,
      backfillSince: null,
      retentionDays: 30,
    });
  });

  it("switches endpoints for testnet and honours overrides without a trailing slash", () => {
    const config = loadConfig({
      ACCOUNT_ADDRESS: ADDRESS,
      HYPERLIQUID_NETWORK: "testnet",
      HYPERLIQUID_API_URL: "http://127.0.0.1:9999/",
    });
    expect(config.wsUrl).toBe("wss://api.hyperliquid-testnet.xyz/ws");
    expect(config.apiUrl).toBe("http://127.0.0.1:9999");
  });

  it("chooses dynamodb when only an endpoint is given, and parses lists and dates", () => {
    const config = loadConfig({
      ACCOUNT_ADDRESS: ADDRESS,
      DYNAMODB_ENDPOINT: "http://127.0.0.1:8000",
      CVD_COINS: "BTC, SOL,,",
      BACKFILL_SINCE: "2026-01-31",
      SNAPSHOT_INTERVAL_SECONDS: "15",
    });
    expect(config.dbMode).toBe("dynamodb");
    expect(config.cvdCoins).toEqual(["BTC", "SOL"]);
    expect(config.backfillSince).toBe(Date.UTC(2026, 0, 31));
    expect(config.snapshotIntervalMs).toBe(15_000);
    expect(loadConfig({ ACCOUNT_ADDRESS: ADDRESS, BACKFILL_SINCE: "1700000000000" }).backfillSince).toBe(
      1_700_000_000_000,
    );
  });

  it.each([
    [{}, "ACCOUNT_ADDRESS is required"],
    [{ ACCOUNT_ADDRESS: "0x123" }, 'ACCOUNT_ADDRESS has "0x123", which is not an address'],
    [{ ACCOUNT_ADDRESS: `${ADDRESS},nope` }, 'ACCOUNT_ADDRESS has "nope"'],
    [{ ACCOUNT_ADDRESS: ADDRESS, DB_MODE: "mysql" }, "DB_MODE must be local, dynamodb or supabase"],
    [
      { ACCOUNT_ADDRESS: ADDRESS, HYPERLIQUID_WS_URL: "http://x" },
      "HYPERLIQUID_WS_URL must be a URL starting with ws:// or wss://",
    ],
    [{ ACCOUNT_ADDRESS: ADDRESS, HYPERLIQUID_API_URL: "not a url" }, "HYPERLIQUID_API_URL must be a URL"],
    [{ ACCOUNT_ADDRESS: ADDRESS, HEALTH_PORT: "80a" }, "HEALTH_PORT must be a whole number"],
    [
      { ACCOUNT_ADDRESS: ADDRESS, SNAPSHOT_INTERVAL_SECONDS: "1" },
      "SNAPSHOT_INTERVAL_SECONDS must be between 5 and 3600",
    ],
    [{ ACCOUNT_ADDRESS: ADDRESS, BACKFILL_SINCE: "yesterday" }, "BACKFILL_SINCE must be an ISO date"],
    [
      { ACCOUNT_ADDRESS: ADDRESS, HYPERLIQUID_NETWORK: "devnet" },
      "HYPERLIQUID_NETWORK must be mainnet or testnet",
    ],
  ])("rejects %j with one actionable line", (env, expected) => {
    const message = errorOf(env as Record<string, string>);
    expect(message).toContain(expected);
    expect(message).not.toContain("\n");
  });

  it("reads .env under the real environment", () => {
    const dir = mkdtempSync(join(tmpdir(), "hl-config-"));
    const path = join(dir, ".env");
    writeFileSync(path, `ACCOUNT_ADDRESS=${ADDRESS}\nTABLE_PREFIX=fromfile-\n`);
    const env = environmentWithDotEnv({ TABLE_PREFIX: "fromenv-" }, path);
    expect(loadConfig(env)).toMatchObject({ accounts: [ADDRESS.toLowerCase()], tablePrefix: "fromenv-" });
  });
});
