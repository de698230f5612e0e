/**
 * The numbers behind `/pnl`: the period's realised PnL (net of fees) with wins, losses, best and worst
 * trade, and the two series its chart draws: cumulative realised PnL after each close, and the account
 * value at evenly spaced times. Pure and exact (decimal.js over the stored decimal strings).
 */
import { dec, str } from "../../../monitor/src/domain/decimal.ts";
import type { AccountSnapshot, ClosedPosition } from "../../../monitor/src/domain/types.ts";
import type { TimeRange } from "../store/commandStore.ts";
import type { PnlPeriod } from "./parse.ts";

const DAY_MS = 86_400_000;
/** Account value points on a chart: one every hour of a day, every seven hours of a week… */
export const ACCOUNT_VALUE_POINTS = 24;

export interface SeriesPoint {
  t: number;
  value: string;
}

/** What the chart renderer takes (lambda-alerts/src/render/pnlChart.ts `renderPnlChartPng`). */
export interface PnlChartInput {
  title: string;
  cumulativePnl: SeriesPoint[];
  accountValue?: SeriesPoint[];
}

export interface PnlSummary {
  period: PnlPeriod;
  range: TimeRange;
  trades: number;
  wins: number;
  losses: number;
  /** Σ realizedPnl (closedPnl − fees) of the positions closed in the period. */
  realizedPnl: string;
  /** Σ closedPnl, before fees. */
  grossPnl: string;
  fees: string;
  best: ClosedPosition | null;
  worst: ClosedPosition | null;
}

/** The period's time range: `today` since 00:00 UTC, `7d` and `30d` back from now, `all` from 1970. */
export function periodRange(period: PnlPeriod, now: number): TimeRange {
  switch (period) {
    case "today":
      return { from: now - (now % DAY_MS), to: now };
    case "7d":
      return { from: now - 7 * DAY_MS, to: now };
    case "30d":
      return { from: now - 30 * DAY_MS, to: now };
    case "all":
      return { from: 0, to: now };
  }
}

export function pnlSummary(
  period: PnlPeriod,
  range: TimeRange,
  closed: readonly ClosedPosition[],
): PnlSummary {
  let realized = dec(0);
  let gross = dec(0);
  let fees = dec(0);
  let wins = 0;
  let losses = 0;
  let best: ClosedPosition | null = null;
  let worst: ClosedPosition | null = null;
  for (const position of closed) {
    const pnl = dec(position.realizedPnl);
    realized = realized.plus(pnl);
    gross = gross.plus(position.closedPnl);
    fees = fees.plus(position.fees);
    if (pnl.gt(0)) wins += 1;
    else if (pnl.lt(0)) losses += 1;
    if (best === null || pnl.gt(best.realizedPnl)) best = position;
    if (worst === null || pnl.lt(worst.realizedPnl)) worst = position;
  }
  return {
    period,
    range,
    trades: closed.length,
    wins,
    losses,
    realizedPnl: str(realized),
    grossPnl: str(gross),
    fees: str(fees),
    best,
    worst,
  };
}

/**
 * Times at which the account value is sampled: `points` evenly spaced ends of equal slices of the range
 * (the newest snapshot within each slice is the point). Snapshots are kept RETENTION_DAYS (30 by
 * default), so a longer range is sampled over its last `maxSpanMs` only.
 */
export function accountValueSlices(range: TimeRange, points = ACCOUNT_VALUE_POINTS, maxSpanMs = 30 * DAY_MS) {
  const from = Math.max(range.from, range.to - maxSpanMs);
  const step = Math.max(1, Math.floor((range.to - from) / points));
  const slices: TimeRange[] = [];
  for (let index = 0; index < points; index++) {
    const end = index === points - 1 ? range.to : from + step * (index + 1);
    slices.push({ from: end - step + 1, to: end });
  }
  return slices;
}

/**
 * The chart's series: cumulative realised PnL starting at 0 at the period's start (or the first close for
 * `all`) and stepping at each close, over every account given; and the account value summed over the
 * accounts at each sample time where any of them has a snapshot.
 */
export function pnlSeries(input: {
  range: TimeRange;
  closed: readonly ClosedPosition[];
  /** Per sample time (the slices' order), the snapshots found for it, one per account at most. */
  accountValues?: readonly (readonly AccountSnapshot[])[];
}): { cumulativePnl: SeriesPoint[]; accountValue: SeriesPoint[] } {
  const closes = [...input.closed].sort(
    (a, b) => a.closedAt - b.closedAt || (a.positionId < b.positionId ? -1 : 1),
  );
  const start = input.range.from > 0 ? input.range.from : (closes[0]?.closedAt ?? input.range.to);
  const cumulativePnl: SeriesPoint[] = [{ t: start, value: "0" }];
  let running = dec(0);
  for (const position of closes) {
    running = running.plus(position.realizedPnl);
    cumulativePnl.push({ t: position.closedAt, value: str(running) });
  }
  const accountValue: SeriesPoint[] = [];
  for (const snapshots of input.accountValues ?? []) {
    if (snapshots.length === 0) continue;
    const total = snapshots.reduce((sum, snapshot) => sum.plus(snapshot.accountValue), dec(0));
    const t = Math.max(...snapshots.map((snapshot) => snapshot.time));
    accountValue.push({ t, value: str(total) });
  }
  return { cumulativePnl, accountValue };
}
