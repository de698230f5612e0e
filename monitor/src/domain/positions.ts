/**
 * The position state machine: fills in, position lifecycle out, per (account, coin), perps only.
 *
 * - Size is signed (buy adds, sell subtracts). A fill that crosses zero is a flip: its closing part ends
 *   the old position, its remainder opens the opposite one.
 * - Running sums stay exact; the only inexact values are the average prices, rounded at output.
 * - Realised PnL of a closed position = Σ closedPnl − Σ fee over its fills, exactly. A flip fill's
 *   closedPnl belongs to the closing part; its fee is split by size, the closing share rounded to
 *   FEE_SPLIT_DECIMALS and the opening share taking the exact remainder, so the two add up to the fee.
 * - Application is idempotent through a watermark (time of the last applied fill and the ids applied at
 *   it): callers feed fills in (time, fillId) order, and anything at or behind the watermark is a duplicate.
 * - A position first met with a non-zero `startPosition` began before the reachable history: it starts
 *   from that size, its entry approximated by the fill's price, and is flagged `partialHistory`.
 */
import { D, type Dec, dec, quotient, str } from "./decimal.ts";
import { isLiquidationFill } from "./fill.ts";
import type { ClosedPosition, Fill, PositionEvent, PositionSide, PositionState } from "./types.ts";

export const FEE_SPLIT_DECIMALS = 8;

export interface ApplyResult {
  state: PositionState;
  events: PositionEvent[];
  duplicate: boolean;
  /** The position was started from the fill's non-zero startPosition (history before it unknown). */
  resynced: boolean;
  /** The tracked size before the fill differed from the fill's startPosition. */
  mismatch: boolean;
}

/** The account's own liquidation (see fill.ts): a counterparty's fill in a liquidation is not one. */
export { isLiquidationFill };

export function flatPosition(account: string, coin: string): PositionState {
  return {
    account,
    coin,
    isOpen: false,
    side: null,
    size: "0",
    entryPx: null,
    openNotional: "0",
    openSize: "0",
    closeNotional: "0",
    closeSize: "0",
    maxSize: "0",
    closedPnl: "0",
    fees: "0",
    fillCount: 0,
    openedAt: null,
    openFillId: null,
    liquidated: false,
    partialHistory: false,
    lastFillTime: 0,
    lastFillIds: [],
    updatedAt: 0,
  };
}

export function isDuplicateFill(state: PositionState | undefined, fill: Fill): boolean {
  if (!state) return false;
  return (
    fill.time < state.lastFillTime ||
    (fill.time === state.lastFillTime && state.lastFillIds.includes(fill.fillId))
  );
}

/** Mutable working copy with Decimal sums; converted back to the stored string form at the end. */
interface Working {
  base: PositionState;
  size: Dec;
  openNotional: Dec;
  openSize: Dec;
  closeNotional: Dec;
  closeSize: Dec;
  maxSize: Dec;
  closedPnl: Dec;
  fees: Dec;
}

function working(state: PositionState): Working {
  return {
    base: { ...state },
    size: dec(state.size),
    openNotional: dec(state.openNotional),
    openSize: dec(state.openSize),
    closeNotional: dec(state.closeNotional),
    closeSize: dec(state.closeSize),
    maxSize: dec(state.maxSize),
    closedPnl: dec(state.closedPnl),
    fees: dec(state.fees),
  };
}

function sideOf(size: Dec): PositionSide | null {
  return size.isZero() ? null : size.isPositive() ? "long" : "short";
}

function snapshot(w: Working): PositionState {
  const isOpen = !w.size.isZero();
  return {
    ...w.base,
    isOpen,
    side: sideOf(w.size),
    size: str(w.size),
    entryPx: isOpen && !w.openSize.isZero() ? quotient(w.openNotional, w.openSize) : null,
    openNotional: str(w.openNotional),
    openSize: str(w.openSize),
    closeNotional: str(w.closeNotional),
    closeSize: str(w.closeSize),
    maxSize: str(w.maxSize),
    closedPnl: str(w.closedPnl),
    fees: str(w.fees),
  };
}

/** Starts a position of `size` at `fill` (a fresh open, the remainder of a flip, or a resync). */
function begin(w: Working, fill: Fill, size: Dec, px: Dec, partialHistory: boolean): void {
  w.size = size;
  w.openNotional = size.abs().times(px);
  w.openSize = size.abs();
  w.closeNotional = new D(0);
  w.closeSize = new D(0);
  w.maxSize = size.abs();
  w.closedPnl = new D(0);
  w.fees = new D(0);
  w.base.fillCount = 0;
  w.base.openedAt = fill.time;
  w.base.openFillId = fill.fillId;
  w.base.liquidated = false;
  w.base.partialHistory = partialHistory;
}

function closedRecord(w: Working, fill: Fill): ClosedPosition {
  const { account, coin } = w.base;
  const openedAt = w.base.openedAt ?? fill.time;
  const openFillId = w.base.openFillId ?? fill.fillId;
  return {
    account,
    coin,
    positionId: `${coin}#${openedAt}#${openFillId}`,
    side: sideOf(w.size) ?? "long",
    maxSize: str(w.maxSize),
    closedSize: str(w.closeSize),
    entryPx: w.openSize.isZero() ? "0" : quotient(w.openNotional, w.openSize),
    exitPx: w.closeSize.isZero() ? "0" : quotient(w.closeNotional, w.closeSize),
    openedAt,
    closedAt: fill.time,
    durationMs: fill.time - openedAt,
    fees: str(w.fees),
    closedPnl: str(w.closedPnl),
    realizedPnl: str(w.closedPnl.minus(w.fees)),
    fillCount: w.base.fillCount,
    liquidated: w.base.liquidated,
    partialHistory: w.base.partialHistory,
  };
}

export function applyFill(previous: PositionState | undefined, fill: Fill): ApplyResult {
  const current = previous ?? flatPosition(fill.account, fill.coin);
  if (!fill.isPerp || isDuplicateFill(previous, fill)) {
    return { state: current, events: [], duplicate: fill.isPerp, resynced: false, mismatch: false };
  }
  const w = working(current);
  const px = dec(fill.px);
  const sz = dec(fill.sz);
  const fee = dec(fill.fee);
  const liquidation = isLiquidationFill(fill);
  const events: PositionEvent[] = [];

  // A position met for the first time with a non-zero startPosition was opened before the reachable
  // history: it starts from there, flagged. An open position whose size disagrees with startPosition
  // is reported but not changed: legacy fills carry one startPosition per block rather than per fill.
  const start = dec(fill.startPosition);
  const resynced = w.size.isZero() && !start.isZero();
  const mismatch = !w.size.isZero() && !w.size.eq(start);
  if (resynced) begin(w, fill, start, px, true);

  const before = w.size;
  const delta = fill.side === "B" ? sz : sz.neg();
  const after = before.plus(delta);
  const event = (kind: PositionEvent["kind"], closed?: ClosedPosition): void => {
    events.push({
      kind,
      account: fill.account,
      coin: fill.coin,
      time: fill.time,
      fillId: fill.fillId,
      position: snapshot(w),
      ...(closed ? { closed } : {}),
      liquidation,
    });
  };

  const opening = before.isZero() || before.isPositive() === delta.isPositive();
  if (opening) {
    const wasFlat = before.isZero();
    if (wasFlat) begin(w, fill, new D(0), px, false);
    w.size = after;
    w.openNotional = w.openNotional.plus(sz.times(px));
    w.openSize = w.openSize.plus(sz);
    w.maxSize = D.max(w.maxSize, after.abs());
    w.closedPnl = w.closedPnl.plus(fill.closedPnl);
    w.fees = w.fees.plus(fee);
    w.base.fillCount += 1;
    if (liquidation) w.base.liquidated = true;
    stamp(w, fill);
    event(wasFlat ? "opened" : "increased");
    return { state: snapshot(w), events, duplicate: false, resynced, mismatch };
  }

  const closing = D.min(sz, before.abs());
  const remainder = sz.minus(closing);
  const closingFee = remainder.isZero()
    ? fee
    : fee.times(closing).div(sz).toDecimalPlaces(FEE_SPLIT_DECIMALS, D.ROUND_HALF_EVEN);
  w.closeNotional = w.closeNotional.plus(closing.times(px));
  w.closeSize = w.closeSize.plus(closing);
  w.closedPnl = w.closedPnl.plus(fill.closedPnl);
  w.fees = w.fees.plus(closingFee);
  w.base.fillCount += 1;
  if (liquidation) w.base.liquidated = true;
  stamp(w, fill);

  if (!after.isZero() && remainder.isZero()) {
    w.size = after;
    event("reduced");
    return { state: snapshot(w), events, duplicate: false, resynced, mismatch };
  }

  const closed = closedRecord(w, fill);
  if (remainder.isZero()) {
    w.size = new D(0);
    begin(w, fill, new D(0), px, false);
    w.base.openedAt = null;
    w.base.openFillId = null;
    event("closed", closed);
    return { state: snapshot(w), events, duplicate: false, resynced, mismatch };
  }
  // Flip: the remainder opens the opposite position with the rest of the fee.
  begin(w, fill, after, px, false);
  w.fees = fee.minus(closingFee);
  w.base.fillCount = 1;
  event("flipped", closed);
  return { state: snapshot(w), events, duplicate: false, resynced, mismatch };
}

function stamp(w: Working, fill: Fill): void {
  if (fill.time > w.base.lastFillTime) {
    w.base.lastFillTime = fill.time;
    w.base.lastFillIds = [fill.fillId];
  } else {
    w.base.lastFillIds = [...w.base.lastFillIds, fill.fillId];
  }
  w.base.updatedAt = fill.time;
}

/**
 * A batch of fills applied on top of the book without changing it yet: the caller persists the outcome
 * (alert claims, position records) and commits only once that has succeeded. A batch that fails is
 * dropped, so the book never runs ahead of what storage holds, and the same fills applied again later
 * produce the same events instead of being skipped as duplicates.
 */
export interface StagedPositions {
  /** Each position event with the fill that caused it, in fill order. */
  readonly changes: readonly { event: PositionEvent; fill: Fill }[];
  /** The resulting state of every position the batch touched. */
  readonly states: readonly PositionState[];
  /** Positions the batch closed (a flip closes one too). */
  readonly closed: readonly ClosedPosition[];
  /** Fills whose tracked size before them differed from their startPosition (legacy history). */
  readonly mismatches: readonly Fill[];
  /** Makes the batch's states the book's own. */
  commit(): void;
}

/** All positions of the monitored accounts, collecting what changed for one batched write. */
export class PositionBook {
  readonly #states = new Map<string, PositionState>();
  readonly #changed = new Set<string>();
  #closed: ClosedPosition[] = [];

  restore(states: readonly PositionState[]): void {
    for (const state of states) this.#states.set(keyOf(state.account, state.coin), state);
  }

  apply(fill: Fill): ApplyResult {
    const key = keyOf(fill.account, fill.coin);
    const result = applyFill(this.#states.get(key), fill);
    if (!fill.isPerp || result.duplicate) return result;
    this.#states.set(key, result.state);
    this.#changed.add(key);
    for (const event of result.events) if (event.closed) this.#closed.push(event.closed);
    return result;
  }

  /**
   * Applies `fills` (in order) to a private copy of the positions they touch. Batches of different
   * accounts may be staged side by side; the caller must not stage two batches of one account at once.
   */
  stage(fills: readonly Fill[]): StagedPositions {
    const touched = new Map<string, PositionState>();
    const changes: { event: PositionEvent; fill: Fill }[] = [];
    const closed: ClosedPosition[] = [];
    const mismatches: Fill[] = [];
    for (const fill of fills) {
      if (!fill.isPerp) continue;
      const key = keyOf(fill.account, fill.coin);
      const result = applyFill(touched.get(key) ?? this.#states.get(key), fill);
      if (result.duplicate) continue;
      touched.set(key, result.state);
      if (result.mismatch) mismatches.push(fill);
      for (const event of result.events) {
        changes.push({ event, fill });
        if (event.closed) closed.push(event.closed);
      }
    }
    return {
      changes,
      states: [...touched.values()],
      closed,
      mismatches,
      commit: () => {
        for (const [key, state] of touched) this.#states.set(key, state);
      },
    };
  }

  get(account: string, coin: string): PositionState | undefined {
    return this.#states.get(keyOf(account, coin));
  }

  openPositions(account?: string): PositionState[] {
    return [...this.#states.values()].filter(
      (s) => s.isOpen && (account === undefined || s.account === account),
    );
  }

  /** States changed and positions closed since the last drain. */
  drainChanges(): { states: PositionState[]; closed: ClosedPosition[] } {
    const states = [...this.#changed].map((key) => this.#states.get(key)!);
    const closed = this.#closed;
    this.#changed.clear();
    this.#closed = [];
    return { states, closed };
  }
}

function keyOf(account: string, coin: string): string {
  return `${account}|${coin}`;
}
