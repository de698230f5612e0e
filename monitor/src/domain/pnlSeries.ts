/**
 * The cumulative realised PnL of an account over a period, as chart points: one per closed position
 * (summed exactly in decimal), starting from 0 at the period's start. More closes than `maxPoints` are
 * merged into equal time buckets (the last running total of each), so a busy account's month still fits
 * one SNS message.
 */
import { dec, str } from "./decimal.ts";
import type { ClosedPosition } from "./types.ts";

export interface PnlPoint {
  t: number;
  value: string;
}

export function cumulativePnlSeries(
  closed: readonly ClosedPosition[],
  range: { from: number; to: number },
  maxPoints: number,
): PnlPoint[] {
  const inRange = closed
    .filter((position) => position.closedAt >= range.from && position.closedAt <= range.to)
    .sort((a, b) => a.closedAt - b.closedAt || a.positionId.localeCompare(b.positionId));
  if (inRange.length === 0) return [];
  let total = dec(0);
  const points: PnlPoint[] = [{ t: range.from, value: "0" }];
  for (const position of inRange) {
    total = total.plus(position.realizedPnl);
    points.push({ t: position.closedAt, value: str(total) });
  }
  if (points.length <= maxPoints) return points;
  // Buckets over the period; each keeps the running total at its last close, stamped with that close.
  const buckets = Math.max(1, maxPoints - 1);
  const width = Math.max(1, Math.ceil((range.to - range.from + 1) / buckets));
  const merged = new Map<number, PnlPoint>();
  for (const point of points.slice(1)) merged.set(Math.floor((point.t - range.from) / width), point);
  return [points[0]!, ...merged.values()];
}
