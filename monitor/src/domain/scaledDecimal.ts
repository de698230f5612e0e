/**
 * Exact sums of decimal strings as integers of 10⁻¹⁸ (BigInt), for the hottest loop of the monitor: the
 * CVD adds up every public trade's size. Decimal.js is exact too but allocates and parses far more per
 * operation; trade sizes have a handful of decimals (Hyperliquid's szDecimals are at most 8), so 18
 * places hold them, and any sum of them, exactly. A value with more places is refused, never rounded.
 */

const PLACES = 18;
const SCALE = 10n ** BigInt(PLACES);
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** The value in units of 10⁻¹⁸, or null when it is not a plain decimal with at most 18 places. */
export function toScaled(value: string): bigint | null {
  const match = DECIMAL.exec(value);
  if (!match) return null;
  const fraction = (match[3] ?? "").replace(/0+$/, "");
  if (fraction.length > PLACES) return null;
  const units = BigInt(match[2]! + fraction.padEnd(PLACES, "0"));
  return match[1] ? -units : units;
}

/** Plain notation, no exponent, no trailing zeros, "0" for zero: as decimal.ts's `str` writes it. */
export function fromScaled(units: bigint): string {
  const negative = units < 0n;
  const magnitude = negative ? -units : units;
  const whole = magnitude / SCALE;
  const fraction = (magnitude % SCALE).toString().padStart(PLACES, "0").replace(/0+$/, "");
  if (whole === 0n && fraction === "") return "0";
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}
