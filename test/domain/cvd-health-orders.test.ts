import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CvdAggregator } from "../../monitor/src/domain/cvd.ts";
import { accountSnapshotFrom } from "../../monitor/src/domain/health.ts";
import { OrderBook, orderFromWire } from "../../monitor/src/domain/orders.ts";
import type { Trade } from "../../monitor/src/domain/types.ts";
import type { WireClearinghouseState, WireOrder } from "../../monitor/src/domain/wire.ts";
import { fixture, realState, realTrades } from "../support/fixtures.ts";

const MINUTE = 60_000;
const T0 = 1_785_251_400_000; // a minute boundary

function trades(n: number, start = T0): Trade[] {
  const [a, b] = realTrades();
  return Array.from({ length: n }, (_, i) => ({
    ...(i % 3 === 0 ? b! : a!),
    side: i % 3 === 0 ? "A" : "B",
    time: start + i * 1000,
    tid: 10_000 + i,
  }));
}

describe("CVD aggregator", () => {
  it("buckets per minute with exact volumes and a running cvd", () => {
    const cvd = new CvdAggregator();
    cvd.ingest(trades(90)); // 90 trades, 1 s apart, 0.00016 each: 60 in the first minute, 30 in the second
    const [first, second] = cvd.drainDirtyBuckets();
    expect(first).toMatchObject({
      coin: "BTC",
      bucket: T0,
      buyVolume: "0.0064",
      sellVolume: "0.0032",
      delta: "0.0032",
      cvd: "0.0032",
      tradeCount: 60,
      gap: false,
    });
    expect(second).toMatchObject({
      bucket: T0 + MINUTE,
      buyVolume: "0.0032",
      sellVolume: "0.0016",
      cvd: "0.0048",
      tradeCount: 30,
    });
    expect(second!.lastTradeTime).toBe(T0 + 89_000);
  });

  it("ignores replayed trades, also after a restart from the stored bucket", () => {
    const all = trades(60);
    const cvd = new CvdAggregator();
    cvd.ingest(all.slice(0, 40));
    cvd.streamRestarted("BTC");
    expect(cvd.ingest(all.slice(10, 40))).toEqual({ accepted: 0, duplicates: 30, invalid: 0 }); // the 30-trade replay
    const stored = cvd.drainDirtyBuckets().at(-1)!;
    const restarted = new CvdAggregator();
    restarted.restore(new Map([["BTC", JSON.parse(JSON.stringify(stored))]]));
    restarted.streamRestarted("BTC");
    expect(restarted.ingest(all.slice(10, 45))).toEqual({ accepted: 5, duplicates: 30, invalid: 0 });
    const [bucket] = restarted.drainDirtyBuckets();
    expect(bucket).toMatchObject({ tradeCount: 45, gap: false });
  });

  it("marks a gap when the first batch after a reconnect does not overlap", () => {
    const all = trades(60);
    const cvd = new CvdAggregator();
    cvd.ingest(all.slice(0, 10));
    cvd.drainDirtyBuckets();
    cvd.streamRestarted("BTC");
    cvd.ingest(all.slice(20, 30)); // trades 10..19 never arrived
    expect(cvd.drainDirtyBuckets()[0]!.gap).toBe(true);
  });

  it("any duplication and batching of a trade set gives the same buckets (property)", () => {
    const base = trades(120);
    const reference = new CvdAggregator();
    reference.ingest(base);
    const expected = reference.drainDirtyBuckets();
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 119 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 50 }),
        (dupes, batch) => {
          // In-order delivery in batches, with replays of already-delivered trades mixed in.
          const cvd = new CvdAggregator();
          let delivered = 0;
          let d = 0;
          while (delivered < base.length) {
            const next = base.slice(delivered, delivered + batch);
            const replays = dupes
              .slice(d, d + 3)
              .filter((i) => i < delivered)
              .map((i) => base[i]!);
            d += 3;
            cvd.ingest([...replays, ...next]);
            delivered += next.length;
          }
          const got = cvd.drainDirtyBuckets();
          expect(got.map(({ lastTids, ...rest }) => rest)).toEqual(
            expected.map(({ lastTids, ...rest }) => rest),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("account health", () => {
  it("computes ratio, health, leverage and liquidation distance from the real short with a liquidation price", () => {
    const frames =
      fixture<{ channel: string; data: { clearinghouseState: WireClearinghouseState } }[]>(
        "ws-webData2-frames-1.json",
      );
    const state = frames[1]!.data.clearinghouseState;
    const snap = accountSnapshotFrom("0xD400564F7E3C2502C1666E2D2FCBF8A9CACE482D", state, 1);
    // ratio 0.1348 / 29.996247 = 0.0044938955… → 0.0044939 (8 dp); health 100·(1 − ratio) = 99.550610448… → 99.55061045
    expect(snap).toMatchObject({
      account: "0xd400564f7e3c2502c1666e2d2fcbf8a9cace482d",
      crossMarginRatio: "0.0044939",
      healthScore: "99.55061045",
      leverage: "0.35951164",
      positionsCount: 1,
      totalUnrealizedPnl: "0.0011",
    });
    // mark = 10.784 / 0.0001 = 107840; distance = |107840 − 402767.8716…| / 107840 = 2.7348652782… → 2.73486528
    expect(snap.positions[0]).toMatchObject({ markPx: "107840", liquidationDistance: "2.73486528" });
    expect(snap.minLiquidationDistance).toBe("2.73486528");
  });

  it("handles a position without a liquidation price and the legacy payload", () => {
    const snap = accountSnapshotFrom("0xabc", realState(), 2);
    expect(snap.positions[0]).toMatchObject({ liquidationDistance: null, markPx: "118685" });
    expect(snap.minLiquidationDistance).toBeNull();
    const legacy = accountSnapshotFrom(
      "0xabc",
      fixture<WireClearinghouseState>("info-clearinghouseState-1.json"),
      3,
    );
    expect(legacy.crossMarginRatio).toBeNull();
    expect(legacy.positionsCount).toBeGreaterThan(0);
  });
});

describe("account health at or below zero account value", () => {
  /** The real account state with its cross account value set to `value` and maintenance to `maintenance`. */
  function stateWith(value: string, maintenance: string): WireClearinghouseState {
    const state = structuredClone(realState());
    state.marginSummary.accountValue = value;
    state.crossMarginSummary.accountValue = value;
    state.crossMaintenanceMarginUsed = maintenance;
    return state;
  }

  it("reads an account with value ≤ 0 and maintenance margin in use as at liquidation: ratio 1, health 0", () => {
    for (const value of ["0.0", "-0.000001", "-12.5"]) {
      const snap = accountSnapshotFrom("0xabc", stateWith(value, "0.13352"), 1);
      expect(snap, value).toMatchObject({ crossMarginRatio: "1", healthScore: "0" });
    }
  });

  it("keeps the ratio past 1 when value is positive but below maintenance, and 100 with no margin used", () => {
    expect(accountSnapshotFrom("0xabc", stateWith("0.1", "0.2"), 1)).toMatchObject({
      crossMarginRatio: "2",
      healthScore: "0",
    });
    expect(accountSnapshotFrom("0xabc", stateWith("-1.0", "0.0"), 1)).toMatchObject({
      crossMarginRatio: null,
      healthScore: "100",
    });
  });
});

describe("order state", () => {
  it("keeps the newest status; a final status wins a tie; older updates are ignored", () => {
    const wire = fixture<{ data: WireOrder[] }>("ws-orderUpdates-1.json").data[0]!;
    const book = new OrderBook();
    const open = orderFromWire("0xabc", wire);
    const filled = orderFromWire("0xabc", { ...wire, status: "filled" });
    const stale = orderFromWire("0xabc", {
      ...wire,
      status: "open",
      statusTimestamp: wire.statusTimestamp - 1,
    });
    expect(book.offer(open)).toBe(true);
    expect(book.offer(filled)).toBe(true);
    expect(book.offer(open)).toBe(false);
    expect(book.offer(stale)).toBe(false);
    expect(book.get("0xabc", wire.order.oid)).toMatchObject({
      status: "filled",
      isTerminal: true,
      origSz: "0.00037",
    });
  });
});
