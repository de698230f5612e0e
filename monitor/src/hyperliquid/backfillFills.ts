/**
 * Pages through a user's fills from `startTime` to now with `userFillsByTime` (PROTOCOL.md §5):
 * inclusive bounds, at most 2000 fills per response, only the 10,000 most recent fills reachable.
 *
 * The next page starts at the newest time of the previous one (inclusive, so boundary fills repeat and
 * the caller deduplicates by id). If a full page lies within one millisecond, the next page starts one
 * millisecond later: more than 2000 fills of one user in one millisecond cannot be paged by time, and
 * the rest of that millisecond is skipped (and logged by the caller as a short page count).
 */
import type { WireFill } from "../domain/wire.ts";
import { userFillsByTime } from "./info/userFillsByTime.ts";
import type { InfoClient } from "./infoClient.ts";

export const FILLS_PAGE_SIZE = 2000;

export interface BackfillOptions {
  user: string;
  startTime: number;
  endTime?: number;
  pageSize?: number;
  /** 10,000 reachable fills are 5 full pages; allow for boundary repeats. */
  maxPages?: number;
  signal?: AbortSignal;
}

export async function* backfillFills(info: InfoClient, options: BackfillOptions): AsyncGenerator<WireFill[]> {
  const pageSize = options.pageSize ?? FILLS_PAGE_SIZE;
  const maxPages = options.maxPages ?? 10;
  let startTime = options.startTime;
  for (let page = 0; page < maxPages; page++) {
    const params = {
      user: options.user,
      startTime,
      ...(options.endTime ? { endTime: options.endTime } : {}),
    };
    const fills = await userFillsByTime(info, params, options.signal);
    // The server's order has changed over the years: sort locally.
    fills.sort((a, b) => a.time - b.time);
    if (fills.length > 0) yield fills;
    if (fills.length < pageSize) return;
    const newest = fills.at(-1)!.time;
    startTime = newest > startTime ? newest : startTime + 1;
  }
}
