/**
 * Builder-deployed perp dexes (HIP-3) end to end: the stand-in holds a state per dex and answers requests
 * and subscriptions without `dex` for the default dex only, as the real service does (DOCS
 * info-endpoint/perpetuals, websocket/subscriptions).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { AlertEvent } from "../../lambda-alerts/src/alertEvent.ts";
import type { AlertPublisher } from "../../monitor/src/alerts/publishers.ts";
import type { WireClearinghouseState, WireFill, WireOrder } from "../../monitor/src/domain/wire.ts";
import { currentFills, fixture, hip3State, realState } from "../support/fixtures.ts";
import { ACCOUNT, eventually, type Harness, startHarness } from "../support/harness.ts";

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

/** The real default-dex state with no position left: everything this account risks is on dex xyz. */
function flatDefaultState(): WireClearinghouseState {
  const state = structuredClone(realState());
  state.assetPositions = [];
  state.crossMaintenanceMarginUsed = "0.0";
  return state;
}

/** A resting order on `coin`, cloned from the real orderUpdates sample. */
function openOrder(coin: string, oid: number): WireOrder {
  const [template] = fixture<{ data: WireOrder[] }>("ws-orderUpdates-1.json").data;
  return { ...template!, order: { ...template!.order, coin, oid } };
}

function collectingPublisher(events: AlertEvent[]): AlertPublisher {
  return {
    name: "test",
    async publish(event) {
      events.push(event);
    },
  };
}

const dexSubscriptions = (h: Harness) =>
  h.standIn
    .subscriptions()
    .flat()
    .filter((s) => s.type === "clearinghouseState" && typeof s.dex === "string")
    .map((s) => `${s.user as string}|${s.dex as string}`);

/** Fast discovery for tests: one round at start, paced at `weightPerMinute`. */
const FAST_DISCOVERY = { intervalMs: 600_000, weightPerMinute: 600_000 };

describe("perp dexes (HIP-3)", () => {
  it("a position only on dex xyz: in the snapshot with its liquidation distance, alerted naming the dex, its order reconciled after a reconnect", async () => {
    harness = await startHarness({ env: { ALERT_MAX_EVENT_AGE_SECONDS: "0" } });
    const h = harness;
    h.standIn.setClearinghouseState(ACCOUNT, flatDefaultState());
    h.standIn.setClearinghouseState(ACCOUNT, hip3State(), { dex: "xyz" });
    h.standIn.addPerpDex("abc"); // exists, but the account has nothing there
    const events: AlertEvent[] = [];
    const { monitor, metrics } = await h.startMonitor({
      monitorOptions: { alertPublishers: [collectingPublisher(events)], dexDiscovery: FAST_DISCOVERY },
    });
    const watcher = monitor.watcher(ACCOUNT)!;
    await eventually("dex xyz followed", () => dexSubscriptions(h).includes(`${ACCOUNT}|xyz`));
    expect(watcher.followedDexes).toEqual(["", "xyz"]);

    await eventually("xyz state received", async () => {
      await monitor.takeSnapshots();
      return (monitor.latestSnapshot(ACCOUNT)?.positionsCount ?? 0) > 0;
    });
    const snapshot = monitor.latestSnapshot(ACCOUNT)!;
    expect(snapshot.positions.map((p) => p.coin)).toEqual(["xyz:XYZ100"]);
    expect(snapshot.positions[0]).toMatchObject({
      leverageType: "isolated",
      liquidationDistance: "0.04006518",
    });
    expect(snapshot.minLiquidationDistance).toBe("0.04006518");
    // 30.937022 on the default dex + 13109.482328 on xyz.
    expect(snapshot.accountValue).toBe("13140.41935");
    expect(metrics.total("PerpDexesFollowed")).toBeGreaterThanOrEqual(1);

    await eventually("liquidation alert", () => events.some((e) => e.kind === "liquidation_risk"));
    const alert = events.find((e) => e.kind === "liquidation_risk")!;
    expect(alert.coin).toBe("xyz:XYZ100");
    expect(alert.title).toContain("on dex xyz");

    // An order placed on xyz while the socket is down: only frontendOpenOrders with dex xyz lists it.
    h.standIn.dropConnections();
    h.standIn.addOrders(ACCOUNT, [openOrder("xyz:XYZ100", 7_000_001)]);
    await eventually("xyz order reconciled", async () =>
      (await h.reader.listOrders(ACCOUNT)).some((o) => o.oid === 7_000_001 && o.status === "open"),
    );
    expect(
      h.standIn.requests.some(
        (r) => r.type === "frontendOpenOrders" && r.dex === "xyz" && r.user === ACCOUNT,
      ),
    ).toBe(true);
  });

  it("a fill for a coin of a dex not followed starts following that dex at once", async () => {
    harness = await startHarness();
    const h = harness;
    h.standIn.setClearinghouseState(ACCOUNT, realState());
    const { monitor } = await h.startMonitor({ monitorOptions: { dexDiscovery: FAST_DISCOVERY } });
    const watcher = monitor.watcher(ACCOUNT)!;
    await eventually("live", () => watcher.fills.phase === "live");
    await eventually("discovery round done", () => h.standIn.requests.some((r) => r.type === "perpDexs"));
    expect(watcher.followedDexes).toEqual([""]);
    // Dex vntl appears after the discovery round; the account trades on it.
    const state = structuredClone(hip3State());
    state.assetPositions[0]!.position.coin = "vntl:ABC";
    h.standIn.setClearinghouseState(ACCOUNT, state, { dex: "vntl" });
    const fill: WireFill = {
      ...currentFills()[0]!,
      coin: "vntl:ABC",
      tid: 8_000_001,
      time: Date.now(),
      startPosition: "0.0",
      dir: "Open Long",
    };
    h.standIn.pushFills(ACCOUNT, [fill]);
    await eventually("vntl subscribed", () => dexSubscriptions(h).includes(`${ACCOUNT}|vntl`), 5_000);
    expect(watcher.followedDexes).toEqual(["", "vntl"]);
    await monitor.takeSnapshots();
    expect(monitor.latestSnapshot(ACCOUNT)!.positions.map((p) => p.coin)).toEqual(["BTC", "vntl:ABC"]);
  });

  it("after a restart, a stored position on a dex is followed at once, before any discovery probe", async () => {
    // Only the newest fill in the subscribe snapshot: the restarted monitor sees no xyz fill again.
    harness = await startHarness({ standIn: { snapshotSize: 1 } });
    const h = harness;
    h.standIn.setClearinghouseState(ACCOUNT, realState());
    const first = await h.startMonitor({ monitorOptions: { dexDiscovery: FAST_DISCOVERY } });
    await eventually("live", () => first.monitor.watcher(ACCOUNT)!.fills.phase === "live");
    const fill: WireFill = {
      ...currentFills()[0]!,
      coin: "xyz:XYZ100",
      tid: 8_100_001,
      time: Date.now(),
      startPosition: "0.0",
      dir: "Open Long",
    };
    // The newest fill is on the default dex: the restart's backfill (from the cursor) sees only that one.
    const later: WireFill = { ...fill, coin: "BTC", tid: 8_100_002, time: fill.time + 60_000 };
    h.standIn.pushFills(ACCOUNT, [fill, later]);
    await eventually("positions stored", () => first.monitor.positions.get(ACCOUNT, "BTC") !== undefined);
    expect(first.monitor.positions.get(ACCOUNT, "xyz:XYZ100")?.isOpen).toBe(true);
    await first.stop();
    // Discovery this time pauses 20 minutes after perpDexs: only the stored position can lead to xyz.
    const second = await h.startMonitor({ monitorOptions: { dexDiscovery: { weightPerMinute: 1 } } });
    expect(second.monitor.watcher(ACCOUNT)!.followedDexes).toEqual(["", "xyz"]);
    await eventually("xyz subscribed", () => dexSubscriptions(h).includes(`${ACCOUNT}|xyz`));
  });

  it("discovery is one perpDexs per round plus 22 weight per account and unfollowed dex, paced within its budget", async () => {
    const accounts = [ACCOUNT, "0x0000000000000000000000000000000000000002"];
    harness = await startHarness({ env: { ACCOUNT_ADDRESS: accounts.join(",") } });
    const h = harness;
    const dexes = ["d1", "d2", "d3", "d4", "d5"];
    for (const dex of dexes) h.standIn.addPerpDex(dex);
    const weightPerMinute = 6_000; // 100 per second: the round below takes about 2.4 s
    await h.startMonitor({ monitorOptions: { dexDiscovery: { intervalMs: 600_000, weightPerMinute } } });
    const isDiscovery = (body: Record<string, unknown>) =>
      body.type === "perpDexs" || typeof body.dex === "string";
    const expected = 20 + accounts.length * dexes.length * (2 + 20);
    await eventually(
      "discovery round done",
      () =>
        h.standIn.charges.filter((c) => isDiscovery(c.body)).reduce((sum, c) => sum + c.weight, 0) >=
        expected,
      10_000,
    );
    const discovery = h.standIn.charges.filter((c) => isDiscovery(c.body));
    expect(discovery.reduce((sum, c) => sum + c.weight, 0)).toBe(expected);
    expect(discovery.filter((c) => c.body.type === "perpDexs")).toHaveLength(1); // once per process
    // Paced: no second holds more than its share of the budget plus one probe (clearinghouseState + orders).
    for (const first of discovery) {
      const inSecond = discovery.filter((c) => c.at >= first.at && c.at < first.at + 1_000);
      expect(inSecond.reduce((sum, c) => sum + c.weight, 0)).toBeLessThanOrEqual(weightPerMinute / 60 + 22);
    }
    expect(h.standIn.rateLimitedCount).toBe(0);
  }, 20_000);
});
