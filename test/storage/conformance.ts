/**
 * The storage contract (monitor/src/storage/store.ts) as one suite. Every back end runs it unchanged:
 * the DynamoDB adapter (test/storage/dynamodb.test.ts), the Supabase adapter with its own server.
 *
 *   describeStoreConformance("MyStore", async () => {
 *     const store = new MyStore({ ...fresh namespace per call... });
 *     return { store, cleanup: () => store.close() };
 *   });
 *
 * `makeStore` is called before every test and must return an empty store; the suite calls `init()`.
 * Expiry (`retentionDays`) is not visible through the interface: each back end tests it on its own.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ALERT_SCHEMA } from "../../lambda-alerts/src/alertEvent.ts";
import { normalizeFill } from "../../monitor/src/domain/fill.ts";
import { applyFill } from "../../monitor/src/domain/positions.ts";
import type {
  AccountSnapshot,
  ClosedPosition,
  CvdBucket,
  Fill,
  OrderState,
  PositionState,
} from "../../monitor/src/domain/types.ts";
import type { AlertRecord, MonitorStore } from "../../monitor/src/storage/store.ts";
import { currentFills, generatedFills, legacyFills, liquidationFill } from "../support/fixtures.ts";

const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const OTHER_ACCOUNT = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";
const UNKNOWN_ACCOUNT = "0x0000000000000000000000000000000000000000";
const T0 = 1_789_407_000_000;

export type StoreFactory = () => Promise<{ store: MonitorStore; cleanup(): Promise<void> }>;

export function describeStoreConformance(name: string, makeStore: StoreFactory): void {
  describe(`${name} conforms to MonitorStore`, () => {
    let store: MonitorStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
      await store.init();
    });
    afterEach(async () => {
      await cleanup();
    });

    describe("fills", () => {
      it("stores fills idempotently, every field unchanged, decimals as exact strings", async () => {
        const fills = [
          ...currentFills().map((wire) => normalizeFill(ACCOUNT, wire)),
          normalizeFill(ACCOUNT, liquidationFill()),
          normalizeFill(ACCOUNT, legacyFills()[0]!), // no tid: composite fillId, nulls
          normalizeFill(ACCOUNT, {
            ...currentFills()[0]!,
            tid: 77,
            sz: "0.000100",
            fee: "0.000000",
            px: "0.00001230",
          }),
        ];
        await store.putFills(fills);
        await store.putFills(fills);
        // The same fill twice in one call is one fill too.
        await store.putFills([fills[0]!, fills[0]!]);

        const stored = await store.listFills(ACCOUNT);
        expect(stored).toHaveLength(fills.length);
        const byId = new Map(stored.map((fill) => [fill.fillId, fill]));
        for (const fill of fills) expect(byId.get(fill.fillId)).toStrictEqual(fill);
        expect(byId.get("t:1109765720343214")).toMatchObject({
          px: "78751.0",
          sz: "0.00535",
          fee: "-0.012639",
          closedPnl: "0.0",
        });
        expect(byId.get("t:77")).toMatchObject({ sz: "0.000100", fee: "0.000000", px: "0.00001230" });
        const legacy = stored.find((fill) => fill.fillId.startsWith("c:"));
        expect(legacy).toMatchObject({ tid: null, cloid: null, liquidation: null });
        expect(byId.get(fills[2]!.fillId)!.liquidation).toEqual(fills[2]!.liquidation);
      });

      it("lists fills by inclusive time range, oldest first, per account", async () => {
        const mine = generatedFills(40, T0).map((wire) => normalizeFill(ACCOUNT, wire));
        const theirs = generatedFills(5, T0).map((wire) => normalizeFill(OTHER_ACCOUNT, wire));
        // Written newest first, in two calls: the order of writes must not matter.
        await store.putFills([...mine].reverse().slice(0, 20));
        await store.putFills([...theirs, ...[...mine].reverse().slice(20)]);

        const all = await store.listFills(ACCOUNT);
        expect(all.map((fill) => fill.time)).toEqual(mine.map((fill) => fill.time));
        const middle = await store.listFills(ACCOUNT, { from: T0 + 10, to: T0 + 19 });
        expect(middle.map((fill) => fill.time)).toEqual(mine.slice(10, 20).map((fill) => fill.time));
        expect(await store.listFills(ACCOUNT, { from: T0 + 35 })).toHaveLength(5);
        expect(await store.listFills(ACCOUNT, { to: T0 + 4 })).toHaveLength(5);
        expect(await store.listFills(ACCOUNT, { from: T0 + 100 })).toEqual([]);
        expect(await store.listFills(ACCOUNT, { from: T0 + 10, to: T0 + 5 })).toEqual([]);
        expect(await store.listFills(OTHER_ACCOUNT)).toHaveLength(5);
        expect(await store.listFills(UNKNOWN_ACCOUNT)).toEqual([]);
      });

      it("stores a large batch whole (2,500 fills in one call)", async () => {
        const fills = generatedFills(2_500, T0).map((wire) => normalizeFill(ACCOUNT, wire));
        await store.putFills(fills);
        const stored = await store.listFills(ACCOUNT);
        expect(stored).toHaveLength(2_500);
        expect(new Set(stored.map((fill) => fill.fillId)).size).toBe(2_500);
        expect(stored.map((fill) => fill.time)).toEqual(fills.map((fill) => fill.time));
        expect(stored.at(-1)).toStrictEqual(fills.at(-1));
      });

      it("takes an empty write as a no-op", async () => {
        await store.putFills([]);
        await store.putOrders([]);
        await store.putCvdBuckets([]);
        await store.savePositions([], []);
        expect(await store.listFills(ACCOUNT)).toEqual([]);
      });
    });

    describe("fill cursor", () => {
      it("never moves backwards; at the same time it keeps the union of fill ids", async () => {
        expect(await store.getFillCursor(ACCOUNT)).toBeNull();
        await store.setFillCursor({ account: ACCOUNT, time: 200, fillIds: ["t:2"], updatedAt: 1 });
        await store.setFillCursor({ account: ACCOUNT, time: 100, fillIds: ["t:1"], updatedAt: 2 });
        expect(await store.getFillCursor(ACCOUNT)).toStrictEqual({
          account: ACCOUNT,
          time: 200,
          fillIds: ["t:2"],
          updatedAt: 1,
        });

        // Same time: a superset, a disjoint set (e.g. a retried older write), a subset.
        await store.setFillCursor({ account: ACCOUNT, time: 200, fillIds: ["t:2", "t:3"], updatedAt: 3 });
        await store.setFillCursor({ account: ACCOUNT, time: 200, fillIds: ["t:4"], updatedAt: 4 });
        await store.setFillCursor({ account: ACCOUNT, time: 200, fillIds: ["t:3"], updatedAt: 5 });
        const merged = await store.getFillCursor(ACCOUNT);
        expect(merged?.time).toBe(200);
        expect([...(merged?.fillIds ?? [])].sort()).toEqual(["t:2", "t:3", "t:4"]);

        await store.setFillCursor({ account: ACCOUNT, time: 300, fillIds: ["t:9"], updatedAt: 6 });
        expect(await store.getFillCursor(ACCOUNT)).toStrictEqual({
          account: ACCOUNT,
          time: 300,
          fillIds: ["t:9"],
          updatedAt: 6,
        });
        expect(await store.getFillCursor(OTHER_ACCOUNT)).toBeNull();
      });

      it("stores a cursor with no fill ids (an account whose history import found no fills)", async () => {
        await store.setFillCursor({ account: ACCOUNT, time: 50, fillIds: [], updatedAt: 1 });
        expect(await store.getFillCursor(ACCOUNT)).toStrictEqual({
          account: ACCOUNT,
          time: 50,
          fillIds: [],
          updatedAt: 1,
        });
        await store.setFillCursor({ account: ACCOUNT, time: 50, fillIds: ["t:5"], updatedAt: 2 });
        expect((await store.getFillCursor(ACCOUNT))?.fillIds).toEqual(["t:5"]);
      });

      it("keeps the newest of concurrent cursor writes", async () => {
        const writes = [5, 3, 9, 1, 7, 9, 2].map((time, i) =>
          store.setFillCursor({ account: ACCOUNT, time, fillIds: [`t:${time}-${i}`], updatedAt: i }),
        );
        await Promise.all(writes);
        const cursor = await store.getFillCursor(ACCOUNT);
        expect(cursor?.time).toBe(9);
        expect([...(cursor?.fillIds ?? [])].sort()).toEqual(["t:9-2", "t:9-5"]);
      });
    });

    describe("positions", () => {
      it("upserts the current state per coin and writes each closed position once", async () => {
        const { opened, closed, closedPosition } = openAndClose();
        await store.savePositions([opened], []);
        await store.savePositions([closed], [closedPosition]);
        await store.savePositions([closed], [closedPosition]);

        expect(await store.loadPositionStates(ACCOUNT)).toStrictEqual([closed]);
        expect(await store.listClosedPositions(ACCOUNT)).toStrictEqual([closedPosition]);
        expect(closedPosition.realizedPnl).toBe("0.525278"); // 0.5 − (−0.012639 − 0.012639): two rebates
        expect(await store.loadPositionStates(OTHER_ACCOUNT)).toEqual([]);
        expect(await store.listClosedPositions(OTHER_ACCOUNT)).toEqual([]);
      });

      it("keeps one state per coin and lists closed positions by close time", async () => {
        const { closed, closedPosition } = openAndClose();
        const eth: PositionState = { ...closed, coin: "ETH", isOpen: true, side: "short", size: "-1.5" };
        const earlierEth: ClosedPosition = {
          ...closedPosition,
          coin: "ETH",
          positionId: `ETH#${T0 - 9_000}#t:5`,
          openedAt: T0 - 9_000,
          closedAt: T0 - 5_000,
          realizedPnl: "-0.000100",
        };
        await store.savePositions([closed, eth], [closedPosition, earlierEth]);
        const states = await store.loadPositionStates(ACCOUNT);
        expect(states.map((state) => state.coin).sort()).toEqual(["BTC", "ETH"]);
        expect(states.find((state) => state.coin === "ETH")).toStrictEqual(eth);
        expect(await store.listClosedPositions(ACCOUNT)).toStrictEqual([earlierEth, closedPosition]);
      });
    });

    describe("orders", () => {
      it("keeps the newest state; a terminal status wins a tie; an older state is ignored", async () => {
        const open = order();
        const canceled = { ...open, status: "canceled", isTerminal: true };
        await store.putOrders([open]);
        await store.putOrders([canceled]);
        await store.putOrders([open]); // same time, not terminal: loses the tie
        await store.putOrders([{ ...open, statusTimestamp: open.statusTimestamp - 5 }]); // older
        expect(await store.listOrders(ACCOUNT)).toStrictEqual([canceled]);

        const filled = {
          ...open,
          status: "filled",
          statusTimestamp: open.statusTimestamp + 1,
          isTerminal: true,
          sz: "0.0",
        };
        await store.putOrders([filled]);
        expect(await store.listOrders(ACCOUNT)).toStrictEqual([filled]);
      });

      it("keeps the newest state of an order given several times in one call, per order", async () => {
        const first = order();
        const second = order({ oid: 57118842020, cloid: null });
        const triggered = { ...second, status: "triggered", statusTimestamp: second.statusTimestamp + 10 };
        await store.putOrders([
          triggered,
          first,
          second,
          { ...first, statusTimestamp: first.statusTimestamp - 1 },
        ]);
        const stored = await store.listOrders(ACCOUNT);
        expect([...stored].sort((a, b) => a.oid - b.oid)).toStrictEqual([first, triggered]);
        expect(await store.listOrders(OTHER_ACCOUNT)).toEqual([]);
      });
    });

    describe("long lists", () => {
      // Supabase's "Max rows" may be set far below a page; every list must still come back whole.
      it("lists every order, closed position, CVD bucket and pending alert, in order, however many", async () => {
        const count = 23;
        const orders = Array.from({ length: count }, (_, i) => order({ oid: 57118842019 + i, cloid: null }));
        await store.putOrders(orders);
        const { closedPosition } = openAndClose();
        const closed = Array.from({ length: count }, (_, i) => ({
          ...closedPosition,
          positionId: `${closedPosition.positionId}-${i}`,
          closedAt: closedPosition.closedAt + i,
        }));
        await store.savePositions([], closed);
        const buckets = Array.from({ length: count }, (_, i) => bucket("BTC", T0 + i * 60_000, `${i}`, 1));
        await store.putCvdBuckets(buckets);
        const alerts = Array.from({ length: count }, (_, i) => alertRecord(`many:${i}`, T0 + i));
        for (const record of alerts) expect(await store.claimAlert(record)).toBeNull();

        expect([...(await store.listOrders(ACCOUNT))].sort((a, b) => a.oid - b.oid)).toStrictEqual(orders);
        expect(await store.listClosedPositions(ACCOUNT)).toStrictEqual(closed);
        expect(await store.listCvdBuckets("BTC")).toStrictEqual(buckets);
        expect(await store.listPendingAlerts(ACCOUNT)).toStrictEqual(alerts);
      });
    });

    describe("text no back end can store as it is", () => {
      // PostgreSQL text and jsonb refuse U+0000 (22P05) and jsonb refuses lone surrogates (22P02);
      // DynamoDB strings are UTF-8, which has no encoding for a lone surrogate. Each becomes U+FFFD.
      const raw = "a\u0000b \ud83d c \udc00 d 🚀";
      const stored = "a\ufffdb \ufffd c \ufffd d 🚀";

      it("stores an alert with NUL and lone surrogates, U+FFFD in their place, found by its original key", async () => {
        const record = alertRecord(`odd:${raw}`, T0);
        record.event.title = raw;
        record.event.fields = [{ label: raw, value: raw }];
        expect(await store.claimAlert(record)).toBeNull();
        const expected = {
          ...record,
          key: `odd:${stored}`,
          event: {
            ...record.event,
            key: `odd:${stored}`,
            title: stored,
            fields: [{ label: stored, value: stored }],
          },
        };
        expect(await store.getAlert(ACCOUNT, record.key)).toStrictEqual(expected);
        expect(await store.listPendingAlerts(ACCOUNT)).toStrictEqual([expected]);
        // A second claim of the same key sees the stored record; the lease update finds it too.
        expect(await store.claimAlert(record)).toStrictEqual(expected);
        expect(await store.updateAlert(ACCOUNT, record.key, record.leaseUntil, { attempts: 2 })).toBe(true);
      });

      it("stores a fill whose text carries NUL and lone surrogates", async () => {
        const fill = normalizeFill(ACCOUNT, { ...currentFills()[0]!, dir: raw, feeToken: raw });
        await store.putFills([fill]);
        expect(await store.listFills(ACCOUNT)).toStrictEqual([{ ...fill, dir: stored, feeToken: stored }]);
      });
    });

    describe("account snapshots", () => {
      it("returns the latest snapshot with its nested positions", async () => {
        expect(await store.latestAccountSnapshot(ACCOUNT)).toBeNull();
        const later = snapshot(T0 + 60_000, "30.937022");
        await store.putAccountSnapshot(snapshot(T0, "30.1"));
        await store.putAccountSnapshot(later);
        await store.putAccountSnapshot(snapshot(T0 + 30_000, "30.5")); // written late, older
        await store.putAccountSnapshot(later); // idempotent
        expect(await store.latestAccountSnapshot(ACCOUNT)).toStrictEqual(later);
        expect(await store.latestAccountSnapshot(OTHER_ACCOUNT)).toBeNull();
      });
    });

    describe("CVD buckets", () => {
      it("upserts buckets (the newest write wins) and returns the newest bucket per coin", async () => {
        await store.putCvdBuckets([
          bucket("BTC", T0, "0.00016", 3),
          bucket("BTC", T0 + 60_000, "0.00032", 3),
        ]);
        await store.putCvdBuckets([bucket("BTC", T0 + 60_000, "0.00048", 4), bucket("ETH", T0, "-2.5", 1)]);
        // One bucket twice in one call: the later one is meant.
        await store.putCvdBuckets([bucket("ETH", T0, "-2.6", 2), bucket("ETH", T0, "-2.7", 3)]);

        const latest = await store.latestCvdBuckets(["BTC", "ETH", "SOL"]);
        expect([...latest.keys()].sort()).toEqual(["BTC", "ETH"]);
        expect(latest.get("BTC")).toStrictEqual(bucket("BTC", T0 + 60_000, "0.00048", 4));
        expect(latest.get("ETH")).toStrictEqual(bucket("ETH", T0, "-2.7", 3));
        expect((await store.latestCvdBuckets([])).size).toBe(0);
      });

      it("lists a coin's buckets by inclusive range, oldest first", async () => {
        const buckets = [0, 1, 2, 3, 4].map((minute) =>
          bucket("BTC", T0 + minute * 60_000, `0.0000${minute + 1}`, minute),
        );
        await store.putCvdBuckets([...buckets].reverse());
        expect(await store.listCvdBuckets("BTC")).toStrictEqual(buckets);
        expect(await store.listCvdBuckets("BTC", { from: T0 + 60_000, to: T0 + 180_000 })).toStrictEqual(
          buckets.slice(1, 4),
        );
        expect(await store.listCvdBuckets("BTC", { from: T0 + 60_000, to: T0 })).toEqual([]);
        expect(await store.listCvdBuckets("ETH")).toEqual([]);
      });
    });

    describe("alert claims", () => {
      it("lets exactly one of concurrent claims of a key through; the others see the stored record", async () => {
        const record = alertRecord("position_closed:a:BTC#1", T0);
        const results = await Promise.all(
          [1, 2, 3, 4, 5].map((n) => store.claimAlert({ ...record, leaseUntil: T0 + n })),
        );
        const winners = results.filter((result) => result === null);
        expect(winners).toHaveLength(1);
        const stored = await store.getAlert(ACCOUNT, record.key);
        expect(stored).not.toBeNull();
        for (const result of results) if (result !== null) expect(result).toStrictEqual(stored);
        expect(stored!.event).toStrictEqual(record.event);
        expect(await store.getAlert(OTHER_ACCOUNT, record.key)).toBeNull();
      });

      it("updates a pending record only under the expected lease, and lists pending records oldest first", async () => {
        const first = alertRecord("k1", T0 + 10);
        const second = alertRecord("k2", T0);
        const third = alertRecord("k3", T0 + 20);
        for (const record of [first, second, third]) expect(await store.claimAlert(record)).toBeNull();
        expect((await store.listPendingAlerts(ACCOUNT)).map((r) => r.key)).toEqual(["k2", "k1", "k3"]);

        expect(await store.updateAlert(ACCOUNT, "k1", first.leaseUntil + 1, { leaseUntil: 5 })).toBe(false);
        expect(await store.updateAlert(ACCOUNT, "k1", first.leaseUntil, { leaseUntil: 7, attempts: 2 })).toBe(
          true,
        );
        expect(await store.updateAlert(ACCOUNT, "k1", 7, { status: "sent", sentAt: T0 + 99 })).toBe(true);
        // Sent is final: no lease matches any more.
        expect(await store.updateAlert(ACCOUNT, "k1", 7, { status: "pending" })).toBe(false);
        expect(await store.getAlert(ACCOUNT, "k1")).toStrictEqual({
          ...first,
          leaseUntil: 7,
          attempts: 2,
          status: "sent",
          sentAt: T0 + 99,
        });
        expect((await store.listPendingAlerts(ACCOUNT)).map((r) => r.key)).toEqual(["k2", "k3"]);
        expect(await store.listPendingAlerts(OTHER_ACCOUNT)).toEqual([]);
      });
    });
  });
}

function alertRecord(key: string, createdAt: number): AlertRecord {
  return {
    owner: ACCOUNT,
    key,
    status: "pending",
    createdAt,
    holder: "task-a",
    leaseUntil: createdAt + 60_000,
    attempts: 1,
    sentAt: null,
    event: {
      schema: ALERT_SCHEMA,
      key,
      kind: "position_closed",
      severity: "success",
      title: "BTC long closed: +0.23 USDC",
      summary: "Closed 0.001 BTC long after 1m 0s: entry 100.5, exit 100.74.",
      account: ACCOUNT,
      coin: "BTC",
      time: createdAt,
      fields: [
        { label: "Realised PnL (net of fees)", value: "+0.2348 USDC" },
        { label: "Empty", value: "" },
      ],
      links: [{ label: "Explorer", url: `https://app.hyperliquid.xyz/explorer/address/${ACCOUNT}` }],
    },
  };
}

// --- test data -----------------------------------------------------------------------------------------

/** A real BTC fill opening a position, and a later one closing it; the states and the closed record. */
function openAndClose(): { opened: PositionState; closed: PositionState; closedPosition: ClosedPosition } {
  const [first] = generatedFills(1, T0).map((wire) => normalizeFill(ACCOUNT, wire));
  const opened = applyFill(undefined, first as Fill).state;
  const closing = normalizeFill(ACCOUNT, {
    ...currentFills()[0]!,
    time: T0 + 5,
    tid: 99,
    side: "A",
    sz: "0.00001",
    startPosition: "0.00001",
    closedPnl: "0.5",
  });
  const result = applyFill(opened, closing);
  return { opened, closed: result.state, closedPosition: result.events[0]!.closed! };
}

function order(overrides: Partial<OrderState> = {}): OrderState {
  return {
    account: ACCOUNT,
    oid: 57118842019,
    coin: "BTC",
    side: "B",
    limitPx: "31795.0",
    sz: "0.00037",
    origSz: "0.00037",
    status: "open",
    statusTimestamp: 1785261289146,
    timestamp: 1785261289146,
    cloid: "0xa1f0cddc17303d07f3fd128d5b35071d",
    isTerminal: false,
    ...overrides,
  };
}

function snapshot(time: number, accountValue: string): AccountSnapshot {
  return {
    account: ACCOUNT,
    time,
    accountValue,
    totalMarginUsed: "10.68165",
    totalNtlPos: "10.68165",
    withdrawable: "20.255372",
    totalUnrealizedPnl: "0.99324",
    leverage: "0.34527079",
    crossMarginRatio: null,
    healthScore: "100",
    positionsCount: 1,
    minLiquidationDistance: "0.120000",
    positions: [
      {
        coin: "BTC",
        size: "0.00016",
        entryPx: "78751.0",
        markPx: "80000.0",
        liquidationPx: "70400.0",
        liquidationDistance: "0.120000",
        unrealizedPnl: "0.19984",
        marginUsed: "10.68165",
        positionValue: "12.8",
        leverageType: "cross",
        leverage: "20",
      },
    ],
  };
}

function bucket(coin: string, start: number, cvd: string, count: number): CvdBucket {
  return {
    coin,
    bucket: start,
    buyVolume: "0.00032",
    sellVolume: "0.00016",
    delta: "0.00016",
    cvd,
    tradeCount: count,
    gap: count === 0,
    lastTradeTime: start + 59_000,
    lastTids: [447757798903687, 447757798903688],
  };
}
