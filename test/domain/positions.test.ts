import { describe, expect, it } from "vitest";
import { D } from "../../monitor/src/domain/decimal.ts";
import { isLiquidationFill, normalizeFill, orderFills } from "../../monitor/src/domain/fill.ts";
import { applyFill, PositionBook } from "../../monitor/src/domain/positions.ts";
import type { Fill } from "../../monitor/src/domain/types.ts";
import type { WireFill } from "../../monitor/src/domain/wire.ts";
import { fillToRow } from "../../monitor/src/storage/supabase/rows.ts";
import {
  currentFills,
  LEGACY_ACCOUNT,
  LIQUIDATED_USER,
  legacyFills,
  liquidationFill,
  ownLiquidationFill,
} from "../support/fixtures.ts";

const EXPECTED_500 = { fills: 500, perp: 500, closed: 39, resyncs: 15, mismatches: 279 };
const ACCOUNT = "0x1111111111111111111111111111111111111111";
let nextTid = 1;

/** A fill shaped like the real current ones, with the fields a scenario varies. */
function fill(over: Partial<WireFill> & Pick<WireFill, "side" | "sz" | "px" | "startPosition">): Fill {
  const base = currentFills()[0]!;
  return normalizeFill(ACCOUNT, { ...base, closedPnl: "0.0", fee: "0.0", tid: nextTid++, ...over });
}

describe("position lifecycle with exact decimal PnL", () => {
  it("open, increase, partial close, close: realised = Σ closedPnl − Σ fee", () => {
    const book = new PositionBook();
    const steps = [
      fill({ time: 1, side: "B", sz: "0.5", px: "100.1", startPosition: "0", fee: "0.01" }),
      fill({ time: 2, side: "B", sz: "0.25", px: "101.3", startPosition: "0.5", fee: "0.005" }),
      fill({
        time: 3,
        side: "A",
        sz: "0.3",
        px: "102",
        startPosition: "0.75",
        closedPnl: "0.48",
        fee: "0.0061",
      }),
      fill({
        time: 4,
        side: "A",
        sz: "0.45",
        px: "99.9",
        startPosition: "0.45",
        closedPnl: "-0.225",
        fee: "-0.0009",
      }),
    ];
    const kinds = steps.flatMap((f) => book.apply(f).events.map((e) => e.kind));
    expect(kinds).toEqual(["opened", "increased", "reduced", "closed"]);
    const { closed, states } = book.drainChanges();
    expect(closed).toHaveLength(1);
    const position = closed[0]!;
    expect(position).toMatchObject({
      side: "long",
      maxSize: "0.75",
      closedSize: "0.75",
      // (0.5·100.1 + 0.25·101.3) / 0.75 = 100.5
      entryPx: "100.5",
      // (0.3·102 + 0.45·99.9) / 0.75 = 100.74
      exitPx: "100.74",
      closedPnl: "0.255",
      fees: "0.0202",
      realizedPnl: "0.2348",
      openedAt: 1,
      closedAt: 4,
      durationMs: 3,
      fillCount: 4,
      liquidated: false,
    });
    expect(states[0]).toMatchObject({ isOpen: false, size: "0", lastFillTime: 4 });
  });

  it("a flip (Long > Short) closes the long and opens a short; the fee split adds up exactly", () => {
    const book = new PositionBook();
    book.apply(fill({ time: 1, side: "B", sz: "1", px: "10", startPosition: "0", fee: "0.003" }));
    const flip = fill({
      time: 2,
      side: "A",
      sz: "3",
      px: "12",
      startPosition: "1",
      dir: "Long > Short",
      closedPnl: "2",
      fee: "0.0100001",
    });
    const { events } = book.apply(flip);
    expect(events.map((e) => e.kind)).toEqual(["flipped"]);
    const closed = events[0]!.closed!;
    // Closing share of the fee: 0.0100001 · 1/3 = 0.00333336666… → 0.00333337 (8 dp, half-even).
    expect(closed).toMatchObject({
      side: "long",
      closedSize: "1",
      exitPx: "12",
      closedPnl: "2",
      fees: "0.00633337",
    });
    expect(closed.realizedPnl).toBe("1.99366663");
    const short = book.get(ACCOUNT, flip.coin)!;
    expect(short).toMatchObject({
      isOpen: true,
      side: "short",
      size: "-2",
      entryPx: "12",
      fees: "0.00666673",
    });
    expect(new D("0.00333337").plus(short.fees).toFixed()).toBe("0.0100001");
  });

  it("marks the account's own liquidation fills on the position they close", () => {
    // The real liquidation fill (Open Short 0.001 from -0.0213) as the liquidated account's own.
    const wire = ownLiquidationFill(ACCOUNT.toUpperCase().replace("0X", "0x"));
    const book = new PositionBook();
    const opened = book.apply(normalizeFill(ACCOUNT, wire));
    // History before the fill is unknown: the position starts from the fill's startPosition, flagged.
    expect(opened.resynced).toBe(true);
    expect(opened.events[0]!.liquidation).toBe(true);
    expect(book.get(ACCOUNT, "BTC")).toMatchObject({
      size: "-0.0223",
      liquidated: true,
      partialHistory: true,
    });
    const close = book.apply(
      fill({
        time: wire.time + 1,
        side: "B",
        sz: "0.0223",
        px: "66700",
        startPosition: "-0.0223",
        closedPnl: "-1.0481",
      }),
    );
    expect(close.events[0]!.closed).toMatchObject({
      liquidated: true,
      partialHistory: true,
      closedSize: "0.0223",
    });
  });

  it("a counterparty's fill in someone else's liquidation (the real sample) is not a liquidation", () => {
    const wire = liquidationFill(); // liquidatedUser is another account; dir "Open Short"
    expect(wire.liquidation!.liquidatedUser).toBe(LIQUIDATED_USER);
    const book = new PositionBook();
    const opened = book.apply(normalizeFill(ACCOUNT, wire));
    expect(opened.events[0]!.liquidation).toBe(false);
    expect(book.get(ACCOUNT, "BTC")).toMatchObject({ size: "-0.0223", liquidated: false });
    const close = book.apply(
      fill({ time: wire.time + 1, side: "B", sz: "0.0223", px: "66700", startPosition: "-0.0223" }),
    );
    expect(close.events[0]!.closed).toMatchObject({ liquidated: false, closedSize: "0.0223" });
  });

  it("decides whose liquidation a fill is from liquidatedUser, falling back to the account's own dir", () => {
    const at = (over: Partial<WireFill>) =>
      isLiquidationFill(normalizeFill(ACCOUNT, { ...liquidationFill(), ...over }));
    const mark = { markPx: "66607.0", method: "market" };
    // The real counterparty fill, and the same fill as the liquidated account's (address case ignored).
    expect(at({})).toBe(false);
    expect(at({ liquidation: { ...mark, liquidatedUser: ACCOUNT.toUpperCase().replace("0X", "0x") } })).toBe(
      true,
    );
    // liquidatedUser names someone else: not ours, whatever the dir says.
    expect(at({ dir: "Liquidated Isolated Long" })).toBe(false);
    // No liquidatedUser (the docs type it optional): the account's own dir decides.
    expect(at({ liquidation: mark })).toBe(false);
    expect(at({ liquidation: mark, dir: "Liquidated Cross Short" })).toBe(true);
    // No liquidation object: a dir describing a forced close of this account's position.
    expect(at({ liquidation: null, dir: "Liquidated Isolated Long" })).toBe(true);
    expect(at({ liquidation: null, dir: "Auto-Deleveraging" })).toBe(true);
    expect(at({ liquidation: null, dir: "Open Short" })).toBe(false);
  });

  it("stores a counterparty's fill as neither a liquidation nor a position close (Supabase row)", () => {
    const counterparty = fillToRow(normalizeFill(ACCOUNT, liquidationFill()));
    expect(counterparty).toMatchObject({ is_liquidation: false, is_position_close: false });
    const own = fillToRow(normalizeFill(ACCOUNT, ownLiquidationFill(ACCOUNT)));
    expect(own).toMatchObject({ is_liquidation: true, is_position_close: true });
  });

  it("negative fees (real rebates) increase realised PnL", () => {
    const [later, earlier] = currentFills(); // both Open Long of one maker order, fees -0.012639 and -0.000378
    const book = new PositionBook();
    for (const wire of [earlier!, later!]) book.apply(normalizeFill(ACCOUNT, wire));
    const state = book.get(ACCOUNT, "BTC")!;
    expect(state.fees).toBe("-0.013017");
    expect(state.size).toBe("4.23153"); // 4.22602 + 0.00016 + 0.00535, started before our history
    const closed = book.apply(
      fill({
        time: later!.time + 1,
        side: "A",
        sz: "4.23153",
        px: "78800",
        startPosition: "4.23153",
        closedPnl: "1.5",
      }),
    ).events[0]!.closed!;
    expect(closed.realizedPnl).toBe("1.513017");
  });

  it("spot fills and dust conversions (tid 0) do not touch perp positions", () => {
    const book = new PositionBook();
    book.apply(fill({ time: 1, side: "B", sz: "2", px: "5", startPosition: "0", coin: "PURR" }));
    const spot = [
      fill({ time: 2, side: "B", sz: "100", px: "0.2", startPosition: "0", coin: "PURR/USDC", dir: "Buy" }),
      fill({ time: 3, side: "A", sz: "3", px: "5", startPosition: "7", coin: "@107", dir: "Sell" }),
      fill({
        time: 4,
        side: "A",
        sz: "0.01",
        px: "0",
        startPosition: "0.01",
        coin: "PURR",
        dir: "Spot Dust Conversion",
        tid: 0,
      }),
    ];
    for (const f of spot) expect(book.apply(f).events).toEqual([]);
    expect(spot[2]!.fillId.startsWith("c:")).toBe(true);
    expect(book.get(ACCOUNT, "PURR")).toMatchObject({ size: "2", fillCount: 1 });
    expect(book.get(ACCOUNT, "PURR/USDC")).toBeUndefined();
  });

  it("applies a fill once: replays and snapshot repeats are duplicates", () => {
    const first = fill({ time: 10, side: "B", sz: "1", px: "10", startPosition: "0" });
    const sameMs = fill({ time: 10, side: "B", sz: "1", px: "10", startPosition: "1" });
    const one = applyFill(undefined, first);
    const two = applyFill(one.state, sameMs);
    expect(two.state.size).toBe("2");
    expect(applyFill(two.state, first).duplicate).toBe(true);
    expect(applyFill(two.state, sameMs).duplicate).toBe(true);
    // Restored from storage (a JSON round-trip) the watermark still holds.
    const restored = new PositionBook();
    restored.restore([JSON.parse(JSON.stringify(two.state))]);
    expect(restored.apply(first).duplicate).toBe(true);
    expect(restored.get(ACCOUNT, first.coin)!.size).toBe("2");
  });

  it("500 real fills: PnL over closed and open positions is conserved exactly", () => {
    const fills = orderFills(legacyFills().map((w) => normalizeFill(LEGACY_ACCOUNT, w)));
    const book = new PositionBook();
    let resyncs = 0;
    let mismatches = 0;
    let closedCount = 0;
    for (const f of fills) {
      const result = book.apply(f);
      if (result.resynced) resyncs += 1;
      if (result.mismatch) mismatches += 1;
      closedCount += result.events.filter((e) => e.closed).length;
    }
    const { closed, states } = book.drainChanges();
    expect(closed).toHaveLength(closedCount);
    const perp = fills.filter((f) => f.isPerp);
    const expected = perp.reduce((s, f) => s.plus(f.closedPnl).minus(f.fee), new D(0));
    const realised = closed.reduce((s, p) => s.plus(p.realizedPnl), new D(0));
    const open = states.reduce((s, p) => s.plus(p.closedPnl).minus(p.fees), new D(0));
    expect(realised.plus(open).toFixed()).toBe(expected.toFixed());
    // Figures of this payload. The 2023 API reported one startPosition per block, so a fill's startPosition
    // can disagree with the running size (mismatches); the running size, and so the PnL, stay exact.
    expect({ fills: fills.length, perp: perp.length, closed: closedCount, resyncs, mismatches }).toEqual(
      EXPECTED_500,
    );
  });
});

describe("staged batches", () => {
  it("leave the book unchanged until committed, so a failed batch applies again with the same events", () => {
    const book = new PositionBook();
    const open = fill({ time: 10, side: "B", sz: "1", px: "100", startPosition: "0", fee: "0.01" });
    const close = fill({
      time: 11,
      side: "A",
      sz: "1",
      px: "101",
      startPosition: "1",
      closedPnl: "1",
      fee: "0.01",
    });
    const spot = normalizeFill(ACCOUNT, { ...currentFills()[0]!, coin: "@107", time: 12, tid: nextTid++ });
    const first = book.stage([open, close, spot]);
    expect(first.changes.map((change) => change.event.kind)).toEqual(["opened", "closed"]);
    expect(first.closed).toHaveLength(1);
    expect(first.states).toHaveLength(1);
    // Not committed (its alerts or its write failed): the book has not moved.
    expect(book.get(ACCOUNT, "BTC")).toBeUndefined();
    const again = book.stage([open, close]);
    expect(again.changes.map((change) => change.event)).toEqual(first.changes.map((change) => change.event));
    again.commit();
    expect(book.get(ACCOUNT, "BTC")).toMatchObject({ isOpen: false, lastFillTime: 11 });
    // Committed: the same fills are now duplicates.
    const third = book.stage([open, close]);
    expect(third.changes).toEqual([]);
    expect(third.states).toEqual([]);
  });
});
