/**
 * CVD coins against the exchange's `meta` universe, and public trades on a market-data connection of their
 * own. Real servers on loopback only: the stand-in lists the real sample's universe (info-meta-1.json).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../monitor/src/config/config.ts";
import { ListedCoins, nearestNames } from "../../monitor/src/domain/listedCoins.ts";
import { MetaSchema } from "../../monitor/src/hyperliquid/info/meta.ts";
import { HyperliquidStandIn } from "../../monitor/src/standin/server.ts";
import { fixture, generatedFills, realTrades } from "../support/fixtures.ts";
import { ACCOUNT, eventually, type Harness, startHarness } from "../support/harness.ts";
import { startMonitorProcess } from "../support/monitorProcess.ts";

let harness: Harness | null = null;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await harness?.close();
  harness = null;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const T0 = 1_789_407_000_000;

async function startError(env: Record<string, string>): Promise<unknown> {
  harness = await startHarness({ env });
  return harness.startMonitor().then(
    () => null,
    (error: unknown) => error,
  );
}

describe("meta", () => {
  it("parses the real sample and names near misses", () => {
    const universe = MetaSchema.parse(fixture("info-meta-1.json")).universe;
    expect(universe).toHaveLength(28);
    const listed = new ListedCoins("", [...universe, { name: "LUNA", isDelisted: true }]);
    expect(listed.problem("BTC")).toBeNull();
    expect(listed.problem("kpepe")).toBe(
      '"kpepe", which Hyperliquid does not list: did you mean kPEPE? (coin names are case-sensitive)',
    );
    expect(listed.problem("LUNA")).toBe('"LUNA", which Hyperliquid has delisted: remove it');
    expect(
      nearestNames(
        "SOLL",
        universe.map((a) => a.name),
      ),
    ).toEqual(["SOL"]);
    expect(listed.problem("ZZZZZZ")).toBe(
      '"ZZZZZZ", which Hyperliquid does not list: use a name from {"type":"meta"}',
    );
    // A HIP-3 dex's names are `dex:COIN`, spelt with the prefix or without.
    const xyz = new ListedCoins("xyz", [{ name: "xyz:XYZ100" }, { name: "GOLD" }]);
    expect(xyz.isActive("xyz:XYZ100") && xyz.isActive("xyz:GOLD")).toBe(true);
    expect(xyz.problem("xyz:NOPE")).toMatch(/^"xyz:NOPE", which the xyz dex does not list/);
  });
});

describe("CVD_COINS checked against meta at start", () => {
  it("an unknown coin ends the start with one ConfigError line naming it and the near names", async () => {
    const error = await startError({ CVD_COINS: "BTC,btc,ETH" });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'CVD_COINS has "btc", which Hyperliquid does not list: did you mean BTC? (coin names are case-sensitive)',
    );
    // Nothing was subscribed: the account's socket never carried the bad coin.
    expect(harness!.standIn.hasSubscriber((s) => s.type === "trades")).toBe(false);
  });

  it("a delisted coin is an error too", async () => {
    harness = await startHarness({ env: { CVD_COINS: "BTC,LUNA" } });
    harness.standIn.listAssets([{ name: "LUNA", szDecimals: 1, maxLeverage: 3, isDelisted: true }]);
    await expect(harness.startMonitor()).rejects.toThrow(
      'CVD_COINS has "LUNA", which Hyperliquid has delisted: remove it',
    );
  });

  it("HIP-3 coins are checked against meta of their dex", async () => {
    harness = await startHarness({ env: { CVD_COINS: "xyz:XYZ100" } });
    const h = harness;
    h.standIn.listAssets([{ name: "xyz:XYZ100", szDecimals: 4, maxLeverage: 20 }], { dex: "xyz" });
    await expect(h.startMonitor({ env: { CVD_COINS: "xyz:XYZ10" } })).rejects.toThrow(
      'CVD_COINS has "xyz:XYZ10", which the xyz dex does not list: did you mean xyz:XYZ100?',
    );
    await h.startMonitor();
    await eventually("trades subscribed", () =>
      h.standIn.hasSubscriber((s) => s.type === "trades" && s.coin === "xyz:XYZ100"),
    );
    expect(h.standIn.requests.filter((r) => r.type === "meta").map((r) => r.dex)).toContain("xyz");
  });

  it("waits out a REST outage at start instead of ending the process", async () => {
    harness = await startHarness();
    const h = harness;
    h.standIn.failNextRestRequests(6); // more than one InfoClient call retries on its own (5 attempts)
    const { monitor } = await h.startMonitor();
    await eventually("ready", () => monitor.readiness().ready, 10_000);
    expect(h.standIn.requests.filter((r) => r.type === "meta").length).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it("the default set follows only coins meta lists (a delisted ETH is left out)", async () => {
    harness = await startHarness({ env: { CVD_COINS: "" } }); // unset: BTC, ETH and open positions
    const h = harness;
    h.standIn.listAssets([{ name: "ETH", szDecimals: 4, maxLeverage: 25, isDelisted: true }]);
    await h.startMonitor();
    await eventually("BTC trades subscribed", () =>
      h.standIn.hasSubscriber((s) => s.type === "trades" && s.coin === "BTC"),
    );
    expect(h.standIn.hasSubscriber((s) => s.type === "trades" && s.coin === "ETH")).toBe(false);
  });
});

describe("the market-data connection", () => {
  it("carries trades apart from the accounts: counted as a connection, not a user; its faults leave fills alone", async () => {
    // Nine accounts and CVD on: ten connections, nine users, the most one IP allows.
    const accounts = [
      ACCOUNT,
      ...Array.from({ length: 8 }, (_, i) => `0x${(0xc0 + i).toString(16).padStart(40, "0")}`),
    ];
    harness = await startHarness({ env: { ACCOUNT_ADDRESS: accounts.join(","), CVD_COINS: "BTC" } });
    const h = harness;
    const { monitor, metrics } = await h.startMonitor();
    await eventually("ready", () => monitor.readiness().ready, 10_000);
    const isMarket = (c: { subscriptions: { type: string }[] }) =>
      c.subscriptions.length > 0 && c.subscriptions.every((s) => s.type === "trades");
    await eventually("ten connections", () => h.standIn.connectionCount === 10);
    expect(h.standIn.connections().filter(isMarket)).toHaveLength(1);
    // Reported for readiness, apart from the accounts' connections.
    expect(monitor.readiness()).toMatchObject({
      market: { label: "market", open: true, acknowledged: true },
    });
    expect(h.standIn.connectionsRefusedByLimit).toBe(0);
    const accountConnections = () =>
      h.standIn
        .connections()
        .filter((c) => !isMarket(c))
        .map((c) => c.id)
        .sort();
    const before = accountConnections();
    expect(before).toHaveLength(9);

    // A trades error frame, then the market connection dropped twice: the accounts' sockets stay.
    const market = h.standIn.connections().find(isMarket)!;
    h.standIn.sendToConnection(market.id, '{"channel":"error","data":"Invalid subscription"}');
    for (let round = 0; round < 2; round++) {
      h.standIn.dropConnections(isMarket);
      await eventually("market back", () => h.standIn.connections().some(isMarket), 5_000);
    }
    h.standIn.pushFills(ACCOUNT, generatedFills(3, T0));
    await eventually("fills stored", async () => (await h.reader.listFills(ACCOUNT)).length === 3);
    expect(accountConnections()).toEqual(before);
    expect(metrics.total("Reconnects")).toBe(2); // the market's, no account's

    // Trades still count after the market connection came back.
    const counted = metrics.total("TradesCounted");
    h.standIn.pushTrades(
      "BTC",
      realTrades().map((t, i) => ({ ...t, tid: 900_000 + i, time: Date.now() })),
    );
    await eventually("trades counted", () => metrics.total("TradesCounted") > counted);
    expect(h.standIn.connectionsRefusedByLimit).toBe(0);
  }, 30_000);
});

describe("the monitor process with an unknown CVD coin", () => {
  async function standInAndDir() {
    const standIn = new HyperliquidStandIn();
    const urls = await standIn.start();
    const dataDir = mkdtempSync(join(tmpdir(), "hl-cvd-"));
    cleanups.push(() => standIn.stop());
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    return {
      ACCOUNT_ADDRESS: ACCOUNT,
      HYPERLIQUID_WS_URL: urls.wsUrl,
      HYPERLIQUID_API_URL: urls.apiUrl,
      DATA_DIR: dataDir,
      HEALTH_PORT: "0",
      CVD_COINS: "BTC,ETHH",
    };
  }
  const problem =
    'CVD_COINS has "ETHH", which Hyperliquid does not list: did you mean ETH? (coin names are case-sensitive)';

  it("exits 2 with the one configuration line", async () => {
    const { child, output, exited } = startMonitorProcess(await standInAndDir());
    cleanups.unshift(() => void (child.exitCode === null && child.kill("SIGKILL")));
    expect((await exited).code).toBe(2);
    expect(output().trim().split("\n").at(-1)).toBe(`configuration error: ${problem}`);
  }, 30_000);

  it("with ON_CONFIG_ERROR=wait stays up, not ready, saying what to fix; exits 0 on SIGTERM", async () => {
    const { child, output, exited } = startMonitorProcess({
      ...(await standInAndDir()),
      ON_CONFIG_ERROR: "wait",
    });
    cleanups.unshift(() => void (child.exitCode === null && child.kill("SIGKILL")));
    let line: { healthPort: number; problem: string } | null = null;
    for (let i = 0; i < 200 && line === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const found = output()
        .split("\n")
        .find((l) => l.includes('"problem"'));
      if (found) line = JSON.parse(found);
    }
    expect(line).toMatchObject({ problem });
    const ready = await fetch(`http://127.0.0.1:${line!.healthPort}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "unconfigured", problem });
    child.kill("SIGTERM");
    expect((await exited).code).toBe(0);
  }, 30_000);
});
