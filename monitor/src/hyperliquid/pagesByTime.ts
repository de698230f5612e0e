/**
 * Pages a time-ranged /info request (`userFillsByTime`, `userFunding`: inclusive bounds, a capped number
 * of items per response) from `startTime` to the end of the range.
 *
 * The next page starts at the newest time of the previous one (inclusive, so boundary items repeat and
 * the caller deduplicates). If a full page lies within one millisecond, the next page starts one
 * millisecond later: more items than a page in one millisecond cannot be paged by time, and the rest of
 * that millisecond is skipped.
 *
 * A fetch may answer with the valid items only, plus how many items the server sent and the newest time
 * among them (`TimedPage`): an answer is full, and its newest time known, by what the server sent, not by
 * what passed validation, so one invalid item in a full page neither ends the paging early nor hides the
 * time the next page starts from.
 */
export interface TimedPage<T> {
  /** The valid items. */
  items: T[];
  /** Items the server sent, valid or not. */
  received: number;
  /** Newest time among the items the server sent (valid or not), when any had a usable time. */
  newestTime: number | null;
}

export async function* pagesByTime<T extends { time: number }>(
  fetchPage: (startTime: number) => Promise<T[] | TimedPage<T>>,
  options: { startTime: number; pageSize: number; maxPages: number },
): AsyncGenerator<T[]> {
  let startTime = options.startTime;
  for (let page = 0; page < options.maxPages; page++) {
    const answer = await fetchPage(startTime);
    const { items, received, newestTime } = Array.isArray(answer)
      ? { items: answer, received: answer.length, newestTime: null }
      : answer;
    // The server's order has changed over the years: sort locally.
    items.sort((a, b) => a.time - b.time);
    if (items.length > 0) yield items;
    if (received < options.pageSize) return;
    const newest = Math.max(
      newestTime ?? Number.NEGATIVE_INFINITY,
      items.at(-1)?.time ?? Number.NEGATIVE_INFINITY,
    );
    startTime = newest > startTime ? newest : startTime + 1;
  }
}
