import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
    [{ ACCOUNT_ADDRESS: ADDRESS, DB_MODE: "supabase" }, "SUPABASE_URL is required with DB_MODE=supabase"],
    [
      {
        ACCOUNT_ADDRESS: ADDRESS,
        DB_MODE: "supabase",
        SUPABASE_URL: "https://p.supabase.co",
        SUPABASE_ANON_KEY: "a",
      },
      "SUPABASE_SERVICE_KEY is required with DB_MODE=supabase: the service-role key (the anon key cannot write)",
    ],
    [
      {
        ACCOUNT_ADDRESS: ADDRESS,
        DB_MODE: "supabase",
        SUPABASE_URL: "https://p.supabase.co",
        SUPABASE_ANON_KEY: "same",
        SUPABASE_SERVICE_KEY: "same",
      },
      "SUPABASE_SERVICE_KEY is the anon key",
    ],
    [
      { ACCOUNT_ADDRESS: ADDRESS, DB_MODE: "supabase", SUPABASE_URL: "p.supabase.co" },
      "SUPABASE_URL must be a URL",
    ],
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

  it("supabase mode: the URL and the service-role key; the anon key is accepted and not used", () => {
    const config = loadConfig({
      ACCOUNT_ADDRESS: ADDRESS,
      DB_MODE: "supabase",
      SUPABASE_URL: "https://project.supabase.co/",
      SUPABASE_SERVICE_KEY: "service",
      SUPABASE_ANON_KEY: "anon",
    });
    expect(config.dbMode).toBe("supabase");
    expect(config.supabase).toEqual({ url: "https://project.supabase.co", serviceKey: "service" });
    expect(JSON.stringify(config)).not.toContain("anon");
  });

  it("reads .env under the real environment", () => {
    const dir = mkdtempSync(join(tmpdir(), "hl-config-"));
    const path = join(dir, ".env");
    writeFileSync(path, `ACCOUNT_ADDRESS=${ADDRESS}\nTABLE_PREFIX=fromfile-\n`);
    try {
      const env = environmentWithDotEnv({ TABLE_PREFIX: "fromenv-" }, path);
      expect(loadConfig(env)).toMatchObject({ accounts: [ADDRESS.toLowerCase()], tablePrefix: "fromenv-" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("alert defaults: the documented kinds and thresholds, alerts to the log without a topic or channels", () => {
    const { alerts } = loadConfig({ ACCOUNT_ADDRESS: ADDRESS });
    expect([...alerts.enabled].sort()).toEqual(
      [
        "position_opened",
        "position_closed",
        "position_flipped",
        "liquidation",
        "liquidation_risk",
        "liquidation_risk_cleared",
        "margin_risk",
        "margin_risk_cleared",
        "drawdown",
        "monitor_degraded",
        "monitor_recovered",
        "fills_recovered",
        "order_triggered",
        "order_canceled_by_exchange",
      ].sort(),
    );
    expect(alerts).toMatchObject({
      topicArn: null,
      channels: null,
      liquidationDistanceWarning: "0.1",
      liquidationDistanceCritical: "0.05",
      marginRatioWarning: "0.5",
      marginRatioCritical: "0.8",
      hysteresis: "0.2",
      cooldownMs: 1_800_000,
      drawdownThreshold: "0.1",
      drawdownWindowMs: 3_600_000,
      degradedAfterMs: 120_000,
      maxEventAgeMs: 86_400_000,
      dailySummaryHourUtc: null,
    });
  });

  it("alert settings: lists, the topic, direct channels and the daily summary", () => {
    const { alerts } = loadConfig({
      ACCOUNT_ADDRESS: ADDRESS,
      ALERT_EVENTS: "position_closed, liquidation",
      DAILY_SUMMARY_HOUR_UTC: "7",
      DISCORD_WEBHOOK_URL: "https://discord.com/api/webhooks/1/abc",
    });
    expect([...alerts.enabled].sort()).toEqual(["daily_summary", "liquidation", "position_closed"]);
    expect(alerts.channels?.discordWebhookUrl).toBe("https://discord.com/api/webhooks/1/abc");
    const withTopic = loadConfig({
      ACCOUNT_ADDRESS: ADDRESS,
      ALERT_EVENTS: "none",
      ALERT_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:hl-monitor-prod-alerts",
      DISCORD_WEBHOOK_URL: "https://discord.com/api/webhooks/1/abc",
    }).alerts;
    expect(withTopic.enabled.size).toBe(0);
    expect(withTopic.channels).toBeNull(); // with a topic, the Lambda delivers
  });

  it("rejects bad alert settings with one line naming the variable, never echoing a secret", () => {
    expect(errorOf({ ACCOUNT_ADDRESS: ADDRESS, ALERT_EVENTS: "position_closed,moon" })).toMatch(
      /^ALERT_EVENTS has "moon": use default, all, none or a list of position_opened, /,
    );
    expect(errorOf({ ACCOUNT_ADDRESS: ADDRESS, ALERT_LIQUIDATION_DISTANCE_WARNING: "10%" })).toBe(
      "ALERT_LIQUIDATION_DISTANCE_WARNING must be a decimal such as 0.1",
    );
    expect(errorOf({ ACCOUNT_ADDRESS: ADDRESS, ALERT_LIQUIDATION_DISTANCE_CRITICAL: "0.2" })).toMatch(
      /^ALERT_LIQUIDATION_DISTANCE_CRITICAL must be below ALERT_LIQUIDATION_DISTANCE_WARNING/,
    );
    expect(errorOf({ ACCOUNT_ADDRESS: ADDRESS, ALERT_TOPIC_ARN: "hl-alerts" })).toMatch(
      /^ALERT_TOPIC_ARN must be an SNS topic ARN/,
    );
    expect(errorOf({ ACCOUNT_ADDRESS: ADDRESS, DAILY_SUMMARY_HOUR_UTC: "24" })).toBe(
      "DAILY_SUMMARY_HOUR_UTC must be between 0 and 23",
    );
    const token = "123456:SECRET-token-value";
    const message = errorOf({ ACCOUNT_ADDRESS: ADDRESS, TELEGRAM_BOT_TOKEN: token });
    expect(message).toMatch(/TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID go together/);
    expect(message).not.toContain("SECRET");
    expect(
      errorOf({ ACCOUNT_ADDRESS: ADDRESS, DISCORD_WEBHOOK_URL: "http://discord.com/api/webhooks/1/SECRET" }),
    ).toBe("DISCORD_WEBHOOK_URL must be an https:// URL");
  });
});

describe("accounts per shard (Hyperliquid: 10 users and 10 connections per IP)", () => {
  const addresses = (count: number) =>
    Array.from({ length: count }, (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}`).join(",");

  it("refuses 11 accounts in one shard, saying how many shards are needed", () => {
    expect(errorOf({ ACCOUNT_ADDRESS: addresses(11), CVD_COINS: "none" })).toBe(
      "ACCOUNT_ADDRESS lists 11 accounts, so with 1 shard(s) one task watches 11, more than the 10 it can (Hyperliquid allows one IP 10 users and 10 connections, one per account): deploy with --context shards=2 (SHARD_COUNT=2)",
    );
  });

  it("refuses 10 accounts with CVD on (the market connection is the eleventh), naming both fixes", () => {
    expect(errorOf({ ACCOUNT_ADDRESS: addresses(10) })).toBe(
      "ACCOUNT_ADDRESS lists 10 accounts, so with 1 shard(s) one task watches 10, more than the 9 it can (Hyperliquid allows one IP 10 users and 10 connections, one per account plus one for CVD trades): deploy with --context shards=2 (SHARD_COUNT=2), or set CVD_COINS=none (CVD off: 10 per shard)",
    );
    expect(errorOf({ ACCOUNT_ADDRESS: addresses(10), CVD_COINS: "BTC" })).toContain("shards=2");
    expect(errorOf({ ACCOUNT_ADDRESS: addresses(25), SHARD_COUNT: "2", SHARD_INDEX: "1" })).toBe(
      "ACCOUNT_ADDRESS lists 25 accounts, so with 2 shard(s) one task watches 13, more than the 9 it can (Hyperliquid allows one IP 10 users and 10 connections, one per account plus one for CVD trades): deploy with --context shards=3 (SHARD_COUNT=3), or set CVD_COINS=none (CVD off: 10 per shard) with shards=3",
    );
  });

  it("reads CVD_COINS=all as every listed coin of the default dex, alone only", () => {
    expect(loadConfig({ ACCOUNT_ADDRESS: addresses(1), CVD_COINS: " ALL " }).cvdCoins).toBe("all");
    expect(errorOf({ ACCOUNT_ADDRESS: addresses(2), CVD_COINS: "BTC,all" })).toBe(
      'CVD_COINS mixes "all" with coins: set it to all (every coin of the default dex) or to a list of coins',
    );
    // The market connection counts against the IP's connections like any CVD set.
    expect(errorOf({ ACCOUNT_ADDRESS: addresses(10), CVD_COINS: "all" })).toContain("shards=2");
  });

  it("accepts 10 accounts with CVD_COINS=none (CVD off) and 9 with CVD on", () => {
    const off = loadConfig({ ACCOUNT_ADDRESS: addresses(10), CVD_COINS: "none" });
    expect(off.accounts).toHaveLength(10);
    expect(off.cvdCoins).toEqual([]);
    expect(loadConfig({ ACCOUNT_ADDRESS: addresses(10), CVD_COINS: " None " }).cvdCoins).toEqual([]);
    expect(loadConfig({ ACCOUNT_ADDRESS: addresses(9) }).accounts).toHaveLength(9);
    expect(loadConfig({ ACCOUNT_ADDRESS: addresses(18), SHARD_COUNT: "2" }).accounts).toHaveLength(9);
    expect(errorOf({ ACCOUNT_ADDRESS: addresses(2), CVD_COINS: "BTC,none" })).toBe(
      'CVD_COINS mixes "none" with coins: set it to none (CVD off) or to a list of coins',
    );
  });
});
