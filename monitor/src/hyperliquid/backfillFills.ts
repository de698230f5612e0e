/**
 * Pages through a user's fills from `startTime` to now with `userFillsByTime` (PROTOCOL.md §5):
 * inclusive bounds, at most 2000 fills per response, only the 10,000 most recent fills reachable. Paging
 * rules (boundary repeats, a full millisecond) in pagesByTime.ts; the caller deduplicates by fill id.
 * A fill that fails validation is skipped and reported through `onRejected`; the paging goes on.
 */
import type { WireFill } from "../domain/wire.ts";
import { userFillsByTime } from "./info/userFillsByTime.ts";
import type { InfoClient } from "./infoClient.ts";
import { pagesByTime } from "./pagesByTime.ts";
import type { RejectedItem } from "./schemas.ts";

export const FILLS_PAGE_SIZE = 2000;

export interface BackfillOptions {
  user: string;
  startTime: number;
  endTime?: number;
  pageSize?: number;
  /** 10,000 reachable fills are 5 full pages; allow for boundary repeats. */
  maxPages?: number;
  signal?: AbortSignal;
  /** Items of a page that failed validation (skipped; the valid ones of the page are yielded). */
  onRejected?: (items: readonly RejectedItem[]) => void;
}

export async function* backfillFills(info: InfoClient, options: BackfillOptions): AsyncGenerator<WireFill[]> {
  const { user, endTime, signal } = options;
  yield* pagesByTime(
    async (startTime) => {
      const page = await userFillsByTime(info, { user, startTime, ...(endTime ? { endTime } : {}) }, signal);
      if (page.rejected.length > 0) options.onRejected?.(page.rejected);
      return page;
    },
    {
      startTime: options.startTime,
      pageSize: options.pageSize ?? FILLS_PAGE_SIZE,
      maxPages: options.maxPages ?? 10,
    },
  );
}
