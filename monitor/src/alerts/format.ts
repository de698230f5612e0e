/**
 * Display strings for alerts. Figures are computed in decimal and shown exactly (trailing zeros trimmed);
 * titles round to a few places because a chat notification line is read at a glance.
 */
import { D, type Dec, dec, str } from "../domain/decimal.ts";

/** Exact, plain notation, trailing zeros trimmed: "0.23480000" → "0.2348". */
export function exact(value: string | Dec): string {
  return str(dec(value));
}

/** Exact with an explicit sign: "+12.3456", "-0.5", "0". */
export function signed(value: string | Dec): string {
  const d = dec(value);
  return d.isPositive() && !d.isZero() ? `+${str(d)}` : str(d);
}

/** Rounded half-even to `places`, signed: "+12.35". */
export function signedRounded(value: string | Dec, places = 2): string {
  return signed(dec(value).toDecimalPlaces(places, D.ROUND_HALF_EVEN));
}

/** A ratio as a percentage with two decimals: "0.04523" → "4.52%". */
export function percent(ratio: string | Dec, places = 2): string {
  return `${str(dec(ratio).times(100).toDecimalPlaces(places, D.ROUND_HALF_EVEN))}%`;
}

/** "2d 3h", "2h 5m", "4m 10s", "12s". */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

export function shortAddress(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}
