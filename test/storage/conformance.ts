/**
 * The storage contract (monitor/src/storage/store.ts) as one suite. Every back end runs it unchanged:
 * the DynamoDB adapter here, the Supabase adapter with its own server.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { normalizeFill } from "../../monitor/src/domain/fill.ts";
import { applyFill } from "../../monitor/src/domain/positions.ts";
import type { AccountSnapshot, CvdBucket, OrderState } from "../../monitor/src/domain/types.ts";
import type { MonitorStore } from "../../monitor/src/storage/store.ts";
import { currentFills, generatedFills, liquidationFill } from "../support/fixtures.ts";

const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
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

    it("stores fills idempotently with exact decimal strings", async () => {
      const fills = [...currentFills(), liquidationFill()].map((w) => normalizeFill(ACCOUNT, w));
      await store.putFills(fills);
      await store.putFills(fills);
      const stored = await store.listFills(ACCOUNT);
      expect(stored).toHaveLength(3);
      const byId = new Map(stored.map((f) => [f.fillId, f]));
      for (const fill of fills) expect(byId.get(fill.fillId)).toEqual(fill);
      expect(byId.get("t:1109765720343214")).toMatchObject({
        px: "78751.0",
        sz: "0.00535",
        fee: "-0.012639",
      });
    });

    it("lists fills by time range, oldest first, and stores large batches whole", async () => {
      const fills = generatedFills(2_500, T0).map((w) => normalizeFill(ACCOUNT, w));
      await store.putFills(fills);
      const all = await store.listFills(ACCOUNT);
      expect(all).toHaveLength(2_500);
      expect(all.map((f) => f.time)).toEqual(fills.map((f) => f.time));
      expect(await store.listFills(ACCOUNT, { from: T0 + 10, to: T0 + 19 })).toHaveLength(10);
      expect(await store.listFills("0x0000000000000000000000000000000000000000")).toEqual([]);
    });

    it("never moves the fill cursor backwards", async () => {
      expect(await store.getFillCursor(ACCOUNT)).toBeNull();
      await store.setFillCursor({ account: ACCOUNT, time: 200, fillIds: ["t:2"], updatedAt: 1 });
      await store.setFillCursor({ account: ACCOUNT, time: 100, fillIds: ["t:1"], updatedAt: 2 });
      expect(await store.getFillCursor(ACCOUNT)).toMatchObject({ time: 200, fillIds: ["t:2"] });
      await store.setFillCursor({ account: ACCOUNT, time: 200, fillIds: ["t:2", "t:3"], updatedAt: 3 });
      expect(await store.getFillCursor(ACCOUNT)).toMatchObject({ time: 200, fillIds: ["t:2", "t:3"] });
    });

    it("upserts current positions and writes each closed position once", async () => {
      const [a] = generatedFills(1, T0).map((w) => normalizeFill(ACCOUNT, w));
      const opened = applyFill(undefined, a!).state;
      const closing = normalizeFill(ACCOUNT, {
        ...currentFills()[0]!,
        time: T0 + 5,
        tid: 99,
        side: "A",
        sz: "0.00001",
        startPosition: "0.00001",
        closedPnl: "0.5",
      });
      const closed = applyFill(opened, closing);
      const closedPosition = closed.events[0]!.closed!;
      await store.savePositions([opened], []);
      await store.savePositions([closed.state], [closedPosition]);
      await store.savePositions([closed.state], [closedPosition]);
      const states = await store.loadPositionStates(ACCOUNT);
      expect(states).toHaveLength(1);
      expect(states[0]).toEqual(closed.state);
      expect(await store.listClosedPositions(ACCOUNT)).toEqual([closedPosition]);
      expect(closedPosition.realizedPnl).toBe("0.525278"); // 0.5 − (−0.012639 − 0.012639): two rebates
    });

    it("keeps the newest order state; a final status wins a tie; older is ignored", async () => {
      const base: OrderState = {
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
      };
      await store.putOrders([base]);
      await store.putOrders([{ ...base, status: "canceled", isTerminal: true }]);
      await store.putOrders([base]);
      await store.putOrders([{ ...base, status: "open", statusTimestamp: base.statusTimestamp - 5 }]);
      expect(await store.listOrders(ACCOUNT)).toEqual([{ ...base, status: "canceled", isTerminal: true }]);
      await store.putOrders([
        { ...base, status: "filled", statusTimestamp: base.statusTimestamp + 1, isTerminal: true, sz: "0.0" },
      ]);
      expect((await store.listOrders(ACCOUNT))[0]).toMatchObject({ status: "filled", sz: "0.0" });
    });

    it("returns the latest account snapshot", async () => {
      const snapshot = (time: number, accountValue: string): AccountSnapshot => ({
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
        minLiquidationDistance: null,
        positions: [],
      });
      expect(await store.latestAccountSnapshot(ACCOUNT)).toBeNull();
      await store.putAccountSnapshot(snapshot(T0, "30.1"));
      await store.putAccountSnapshot(snapshot(T0 + 60_000, "30.937022"));
      expect(await store.latestAccountSnapshot(ACCOUNT)).toEqual(snapshot(T0 + 60_000, "30.937022"));
    });

    it("upserts CVD buckets and returns the newest per coin", async () => {
      const bucket = (start: number, cvd: string, count: number): CvdBucket => ({
        coin: "BTC",
        bucket: start,
        buyVolume: "0.00032",
        sellVolume: "0.00016",
        delta: "0.00016",
        cvd,
        tradeCount: count,
        gap: false,
        lastTradeTime: start + 59_000,
        lastTids: [447757798903687],
      });
      await store.putCvdBuckets([bucket(T0, "0.00016", 3), bucket(T0 + 60_000, "0.00032", 3)]);
      await store.putCvdBuckets([bucket(T0 + 60_000, "0.00048", 4)]);
      const latest = await store.latestCvdBuckets(["BTC", "ETH"]);
      expect([...latest.keys()]).toEqual(["BTC"]);
      expect(latest.get("BTC")).toEqual(bucket(T0 + 60_000, "0.00048", 4));
      expect(await store.listCvdBuckets("BTC")).toHaveLength(2);
    });
  });
}
