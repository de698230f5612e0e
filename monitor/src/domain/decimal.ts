/**
 * The project's decimal arithmetic. Values arrive as decimal strings and leave as decimal strings in plain
 * notation; in between they are Decimal, never a JavaScript number. 40 significant digits hold any sum of
 * Hyperliquid prices, sizes and fees exactly.
 */
import { Decimal } from "decimal.js";

export const D = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -40,
  toExpPos: 40,
});
export type Dec = InstanceType<typeof D>;

/** Decimal places kept when a division makes a value inexact (average prices, ratios, distances). */
export const QUOTIENT_DECIMALS = 8;

export function dec(value: string | number | Dec): Dec {
  return new D(value);
}

/** Plain-notation string of an exact value (no exponent, no trailing zeros; "-0" becomes "0"). */
export function str(value: Dec): string {
  return value.isZero() ? "0" : value.toFixed();
}

/** A quotient rounded half-even to QUOTIENT_DECIMALS places, in plain notation. */
export function quotient(numerator: Dec, denominator: Dec, decimals = QUOTIENT_DECIMALS): string {
  return str(numerator.div(denominator).toDecimalPlaces(decimals, D.ROUND_HALF_EVEN));
}

export function add(a: string, b: string): string {
  return str(dec(a).plus(b));
}
