/**
 * Text every back end stores as it is. PostgreSQL's text and jsonb refuse U+0000 (SQLSTATE 22P05 in
 * JSON, 22021 as a parameter) and jsonb refuses a lone surrogate (22P02); DynamoDB stores strings as
 * UTF-8, which has no encoding for a lone surrogate. Such a write would be refused for good (a 400 that
 * is never retried), so the record is stored with U+FFFD in place of each: the same on every back end.
 * Text from outside (Hyperliquid payloads, alert texts made from them) may carry either.
 */

const NUL = "\u0000";
const REPLACEMENT = "\uFFFD";

export function storableText(text: string): string {
  const withoutNul = text.includes(NUL) ? text.replaceAll(NUL, REPLACEMENT) : text;
  return withoutNul.isWellFormed() ? withoutNul : withoutNul.toWellFormed();
}

/** `value` with storableText applied to every string in it (object keys too); other values as they are. */
export function storable<T>(value: T): T {
  if (typeof value === "string") return storableText(value) as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[storableText(key)] = storable(item);
    return copy as T;
  }
  return value;
}

/** Whether JSON text may hold a string storableText would change (`\u0000` or a lone `\uD800`–`\uDFFF`). */
export function jsonMayNeedStorable(json: string): boolean {
  return /\\u(0000|[dD][89a-fA-F])/.test(json);
}
