/**
 * Pages a time-ranged /info request (`userFillsByTime`, `userFunding`: inclusive bounds, a capped number
 * of items per response) from `startTime` to the end of the range.
 *
 * The next page starts at the newest time of the previous one (inclusive, so boundary items repeat and
 * the caller deduplicates). If a full page lies within one millisecond, the next page starts one
 * millisecond later: more items than a page in one millisecond cannot be paged by time, and the rest of
 * that millisecond is skipped.
 */
export async function* pagesByTime<T extends { time: number }>(
  fetchPage: (startTime: number) => Promise<T[]>,
  options: { startTime: number; pageSize: number; maxPages: number },
): AsyncGenerator<T[]> {
  let startTime = options.startTime;
  for (let page = 0; page < options.maxPages; page++) {
    const items = await fetchPage(startTime);
    // The server's order has changed over the years: sort locally.
    items.sort((a, b) => a.time - b.time);
    if (items.length > 0) yield items;
    if (items.length < options.pageSize) return;
    const newest = items.at(-1)!.time;
    startTime = newest > startTime ? newest : startTime + 1;
  }
}
