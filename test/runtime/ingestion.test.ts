/**
 * The monitor end to end against real servers on loopback: the Hyperliquid stand-in serving real recorded
 * payloads, and dynalite speaking the DynamoDB API.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { WireFill, WireTrade } from "../../monitor/src/domain/wire.ts";
import { currentFills, generatedFills, realState, realTrades } from "../support/fixtures.ts";
import { ACCOUNT, eventually, type Harness, startHarness } from "../support/harness.ts";

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

const T0 = 1_789_407_000_000;

async function storedFills(h: Harness) {
  return h.reader.listFills(ACCOUNT);
}

function trades(count: number, start: number, firstTid: number): WireTrade[] {
  const [template] = realTrades();
  return Array.from({ length: count }, (_, i) => ({
    ...template!,
    side: i % 2 === 0 ? "B" : "A",
    time: start + i * 100,
    tid: firstTid + i,
  }));
}

describe("monitor ingestion", () => {
  it("stores a fills snapshot plus live fills once each, and moves the cursor", async () => {
    harness = await startHarness();
    const h = harness;
    const history: WireFill[] = [...currentFills(), ...generatedFills(50, T0)];
    h.standIn.addFills(ACCOUNT, history);
    h.standIn.setClearinghouseState(ACCOUNT, realState());
    const { monitor, metrics } = await h.startMonitor();
    await eventually("initial sync", () => monitor.watcher(ACCOUNT)!.fills.phase === "live");
    const live = generatedFills(20, T0 + 400_000, 5_000_000); // after the newest history fill
    h.standIn.pushFills(ACCOUNT, live.slice(0, 10));
    // A repeat of already-delivered fills (as a re-sent frame would be) must not store anything twice.
    h.standIn.pushFills(ACCOUNT, [...live.slice(5, 10), ...live.slice(10)]);
    await eventually("all fills stored", async () => (await storedFills(h)).length >= history.length + 20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stored = await storedFills(h);
    expect(stored).toHaveLength(history.length + 20);
    expect(new Set(stored.map((f) => f.fillId)).size).toBe(stored.length);
    // Decimals are stored exactly as the API sent them.
    const rebate = stored.find((f) => f.tid === 1109765720343214)!;
    expect(rebate).toMatchObject({
      px: "78751.0",
      sz: "0.00535",
      fee: "-0.012639",
      closedPnl: "0.0",
      hash: currentFills()[0]!.hash,
    });
    const cursor = await h.reader.getFillCursor(ACCOUNT);
    expect(cursor?.time).toBe(live.at(-1)!.time);
    expect(metrics.total("FillsStored")).toBe(history.length + 20);
  });

  it("after a dropped connection, reconnects and backfills fills that arrived only over REST", async () => {
    // The subscribe snapshot holds only the newest 5 fills: everything older must come from the backfill.
    // The exact counts below need each snapshot to arrive before the backfill's first REST answer. With
    // CVD coins the start first reads `meta`, which leaves a warm REST connection, and the first backfill
    // can then win that race (and count the snapshot's 5 fills as backfilled too): no CVD here.
    harness = await startHarness({ standIn: { snapshotSize: 5 }, env: { CVD_COINS: "none" } });
    const h = harness;
    h.standIn.addFills(ACCOUNT, generatedFills(10, T0));
    const { monitor, metrics } = await h.startMonitor();
    const watcher = monitor.watcher(ACCOUNT)!;
    await eventually("initial sync", () => watcher.fills.phase === "live");
    h.standIn.rejectConnections(3); // the first reconnect attempts fail too
    h.standIn.dropConnections();
    const missed = generatedFills(25, T0 + 1_000, 7_000_000);
    h.standIn.addFills(ACCOUNT, missed); // made while we were away: REST only, never pushed
    await eventually(
      "reconnected and in sync",
      () => metrics.total("Reconnects") >= 1 && watcher.fills.phase === "live",
    );
    await eventually("missed fills stored", async () => (await storedFills(h)).length === 35);
    // 5 of the first 10 and 20 of the 25 missed fills were beyond the snapshot: only REST had them.
    expect(metrics.total("BackfilledFills")).toBe(25);
    expect((await h.reader.getFillCursor(ACCOUNT))?.time).toBe(missed.at(-1)!.time);
  });

  it("backfills more than one 2000-fill page completely on a first start", async () => {
    harness = await startHarness();
    const h = harness;
    const history = generatedFills(4_500, T0);
    h.standIn.addFills(ACCOUNT, history);
    const { monitor } = await h.startMonitor();
    await eventually("sync", () => monitor.watcher(ACCOUNT)!.fills.phase === "live", 30_000);
    const stored = await storedFills(h);
    expect(stored).toHaveLength(4_500);
    expect(new Set(stored.map((f) => f.tid)).size).toBe(4_500);
    const pages = h.standIn.requests.filter((r) => r.type === "userFillsByTime");
    expect(pages.length).toBe(3); // 2000 + 2000 + 500 (inclusive bounds repeat one fill per page)
    expect(monitor.positions.get(ACCOUNT, "BTC")!.size).toBe("0.045");
  });

  it("honours BACKFILL_SINCE on a first start", async () => {
    harness = await startHarness({ env: { BACKFILL_SINCE: String(T0 + 100) } });
    const h = harness;
    h.standIn.addFills(ACCOUNT, generatedFills(200, T0));
    const { monitor } = await h.startMonitor();
    await eventually("sync", () => monitor.watcher(ACCOUNT)!.fills.phase === "live");
    expect(await storedFills(h)).toHaveLength(100);
  });

  it("replayed trades do not change the CVD: on resubscribe, and after a restart", async () => {
    harness = await startHarness();
    const h = harness;
    const start = 1_785_251_400_000;
    h.standIn.addTrades("BTC", trades(40, start, 100));
    const first = await h.startMonitor();
    await eventually("trade replay counted", () => first.metrics.total("TradesCounted") === 30);
    h.standIn.pushTrades("BTC", trades(10, start + 4_000, 140));
    await eventually("live trades counted", () => first.metrics.total("TradesCounted") === 40);
    h.standIn.dropConnections(); // the resubscribe replays the last 30 trades
    await eventually("replay after reconnect seen", () => first.metrics.total("TradesDuplicate") >= 30);
    await first.stop();
    const before = await h.reader.listCvdBuckets("BTC");
    // A new process on the same store: the subscribe replay again must count nothing.
    const second = await h.startMonitor();
    await eventually("replay after restart seen", () => second.metrics.total("TradesDuplicate") >= 30);
    expect(second.metrics.total("TradesCounted")).toBe(0);
    await second.stop();
    const after = await h.reader.listCvdBuckets("BTC");
    expect(after).toEqual(before);
    const last = after.at(-1)!;
    // 40 trades of 0.00016, alternating aggressor: 20 buys, 20 sells.
    expect(after.reduce((n, b) => n + b.tradeCount, 0)).toBe(40);
    expect(last.cvd).toBe("0");
    expect(after.some((b) => b.gap)).toBe(false);
  });
});

describe("REST weight budget", () => {
  it("syncs ten accounts within the per-IP weight limit, without a single 429", async () => {
    // The stand-in enforces 150 weight per 2 s (Hyperliquid: 1200 per 60 s); the monitor's budget matches.
    const accounts = Array.from({ length: 10 }, (_, i) => `0x${String(i + 1).padStart(40, "0")}`);
    harness = await startHarness({
      standIn: { weightPerMinute: 150, weightWindowMs: 2_000, snapshotSize: 10 },
      // Ten accounts fill a shard only with CVD off (a CVD market connection would be the eleventh).
      env: { ACCOUNT_ADDRESS: accounts.join(","), CVD_COINS: "none" },
    });
    const h = harness;
    accounts.forEach((account, i) => {
      h.standIn.addFills(account, generatedFills(150, T0 + i * 1_000, 10_000_000 * (i + 1)));
    });
    const { monitor, metrics } = await h.startMonitor({ restBudget: { capacity: 150, periodMs: 2_000 } });
    await eventually(
      "all accounts in sync",
      () => accounts.every((a) => monitor.watcher(a)!.fills.phase === "live"),
      30_000,
    );
    for (const account of accounts) expect(await h.reader.listFills(account)).toHaveLength(150);
    expect(metrics.total("RestRateLimited")).toBe(0);
    expect(h.standIn.connectionCount).toBe(10); // one socket per account
    expect(h.standIn.weightUsed).toBeGreaterThan(150); // it really needed more than one window
  }, 60_000);
});
