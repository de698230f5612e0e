/**
 * The items of a `trades` frame, checked by hand instead of through zod: this is the monitor's hottest
 * path (every public trade of every followed coin), and a zod object schema copies each item into a new
 * object. Here every item is checked in place and the parsed array is handed on as it is when all of its
 * items pass (almost always), so a valid frame costs no allocation per trade.
 *
 * Checked: the fields a trade is read by (coin, side, sz, time, tid for the CVD) and the ones its type
 * promises (px as a decimal string, hash as a string), each as TradeSchema states it. Not checked: `users`,
 * which nothing reads (TradeSchema still describes it for the stand-in and the recordings). An item that
 * fails is left out and reported with its reason and raw text, like any invalid item (validateEach).
 */
import type { WireTrade } from "../domain/wire.ts";
import { DECIMAL_PATTERN, type RejectedItem, rejectedItem } from "./schemas.ts";

/** Shared by every frame without a rejected item; never written to. */
const NONE: RejectedItem[] = [];
Object.freeze(NONE);

/** Why the item is not a trade, as `field: problem`; null when it is one. */
export function tradeProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return "(root): expected an object";
  const item = value as Record<string, unknown>;
  const coin = item.coin;
  if (typeof coin !== "string" || coin.length === 0) return "coin: expected a non-empty string";
  const side = item.side;
  if (side !== "B" && side !== "A") return 'side: expected "B" or "A"';
  if (!isDecimalString(item.px)) return "px: expected a decimal string";
  if (!isDecimalString(item.sz)) return "sz: expected a decimal string";
  const time = item.time;
  if (typeof time !== "number" || !Number.isSafeInteger(time) || time < 0)
    return "time: expected a non-negative integer";
  // In TradeSchema's order, so that the first problem named is the one zod would name.
  if (typeof item.hash !== "string") return "hash: expected a string";
  const tid = item.tid;
  if (typeof tid !== "number" || !Number.isSafeInteger(tid) || tid < 0)
    return "tid: expected a non-negative integer";
  return null;
}

/** The valid trades of a frame's `data` array (the array itself when all are valid) and the rejected. */
export function checkTrades(values: readonly unknown[]): { items: WireTrade[]; rejected: RejectedItem[] } {
  for (let i = 0; i < values.length; i++) {
    if (tradeProblem(values[i]) !== null) return splitFrom(values, i);
  }
  return { items: values as WireTrade[], rejected: NONE };
}

/** The rare frame with an invalid item: copies the valid ones out, from the first invalid on. */
function splitFrom(
  values: readonly unknown[],
  firstInvalid: number,
): { items: WireTrade[]; rejected: RejectedItem[] } {
  const items = values.slice(0, firstInvalid) as WireTrade[];
  const rejected: RejectedItem[] = [];
  for (let i = firstInvalid; i < values.length; i++) {
    const problem = tradeProblem(values[i]);
    if (problem === null) items.push(values[i] as WireTrade);
    else rejected.push(rejectedItem(problem, values[i]));
  }
  return { items, rejected };
}

function isDecimalString(value: unknown): boolean {
  return typeof value === "string" && DECIMAL_PATTERN.test(value);
}
