/** Shaping writes into requests, shared by the storage adapters. */

/** Consecutive slices of at most `size` items. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * One item per key, the last one given: a batch or a statement may not name a key twice, and for
 * upserts the last write of a key is the one meant.
 */
export function lastPerKey<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  return [...new Map(items.map((item) => [keyOf(item), item])).values()];
}
