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

/**
 * The hot path's cheaper units: 10⁻⁸, in a double, which holds every integer up to 2⁵³ exactly. Trade
 * sizes have at most szDecimals places (5 for BTC), so nearly every size is a whole number of them;
 * summing those is float-free integer arithmetic that allocates nothing, where each BigInt sum is a
 * new object.
 */
const SMALL_PLACES = 8;
const SMALL_TO_SCALED = 10n ** BigInt(PLACES - SMALL_PLACES);

/**
 * The value as a whole number of 10⁻⁸ when that is exact in a double, else NaN (more places, too large,
 * or not a plain decimal: `toScaled` decides). Reads the characters; allocates nothing.
 */
export function toSmallUnits(value: string): number {
  const length = value.length;
  let i = 0;
  const negative = length > 0 && value.charCodeAt(0) === 45; // "-"
  if (negative) i = 1;
  const wholeStart = i;
  let units = 0;
  for (; i < length; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    units = units * 10 + digit;
  }
  if (i === wholeStart) return Number.NaN;
  let places = 0;
  if (i < length) {
    if (value.charCodeAt(i) !== 46 || i === length - 1) return Number.NaN; // "." and at least one digit
    for (i += 1; i < length; i++) {
      const digit = value.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return Number.NaN;
      if (places < SMALL_PLACES) {
        units = units * 10 + digit;
        places += 1;
      } else if (digit !== 0) return Number.NaN; // a ninth significant place: toScaled's
    }
  }
  for (; places < SMALL_PLACES; places++) units *= 10;
  // Every step is monotonic, so a value past 2⁵³ anywhere on the way ends past it too.
  if (units > Number.MAX_SAFE_INTEGER) return Number.NaN;
  return negative ? -units : units;
}

/**
 * An exact running sum in units of 10⁻¹⁸: whole 10⁻⁸ amounts add up in a double while the total stays
 * within ±2⁵³ (no allocation), and fold into the BigInt part only when the next one would not fit.
 */
export class ExactSum {
  #scaled: bigint;
  #small = 0;

  constructor(scaled = 0n) {
    this.#scaled = scaled;
  }

  /** Adds a whole number of 10⁻⁸ (from `toSmallUnits`; negative subtracts). */
  addSmall(units: number): void {
    const next = this.#small + units;
    // Both terms are within ±2⁵³, so a true sum past it shows as past it (2⁵³ itself is a double).
    if (next > Number.MAX_SAFE_INTEGER || next < -Number.MAX_SAFE_INTEGER) {
      this.#scaled += BigInt(this.#small) * SMALL_TO_SCALED;
      this.#small = units;
    } else this.#small = next;
  }

  /** Adds units of 10⁻¹⁸ (from `toScaled`). */
  addScaled(units: bigint): void {
    this.#scaled += units;
  }

  /** The total in units of 10⁻¹⁸. */
  get scaled(): bigint {
    return this.#scaled + BigInt(this.#small) * SMALL_TO_SCALED;
  }
}
