/**
 * Length-safe truncation. Limits are counted in UTF-16 code units (JavaScript `length`), which is never
 * less than the code points Discord counts or the characters Telegram counts, so staying within them in
 * units stays within the services' limits. A cut never splits a surrogate pair.
 */
const ELLIPSIS = "…";

export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  if (max <= 0) return "";
  return `${cutAt(value, max - ELLIPSIS.length)}${ELLIPSIS}`;
}

/** The longest prefix of `value` of at most `units` code units that does not end inside a surrogate pair. */
export function cutAt(value: string, units: number): string {
  if (value.length <= units) return value;
  let end = Math.max(0, units);
  const last = value.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return value.slice(0, end);
}
