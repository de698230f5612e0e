/**
 * The read-only view of the monitor's store that the commands need. Every back end implements it with
 * reads only (DynamoDB Query/GetItem, PostgREST GET): the commands Lambda is granted nothing else.
 *
 * Contract, checked by test/commands/storeConformance.ts against DynamoDB (dynalite) and Supabase (PGlite):
 * - Records come back exactly as the monitor wrote them (decimal strings unchanged).
 * - Ranges are inclusive, times epoch ms; lists are oldest first unless said otherwise.
 * - Every read is bounded: one partition (DynamoDB) or one indexed filter (PostgreSQL), never a scan.
 */
import type {
  AccountSnapshot,
  ClosedPosition,
  Fill,
  FillCursor,
  OrderState,
  PositionState,
} from "../../../monitor/src/domain/types.ts";

export interface TimeRange {
  from: number;
  to: number;
}

export interface CommandStore {
  /** Current positions of an account that are open. */
  openPositions(account: string): Promise<PositionState[]>;
  /** Closed positions with from ≤ closedAt ≤ to, oldest first. */
  closedPositions(account: string, range: TimeRange): Promise<ClosedPosition[]>;
  /** The newest `count` fills, newest first. */
  latestFills(account: string, count: number): Promise<Fill[]>;
  /** Fills with from ≤ time ≤ to, oldest first (fees and funding-free totals of a period). */
  fills(account: string, range: TimeRange): Promise<Fill[]>;
  /** Orders whose latest state is open or triggered. */
  openOrders(account: string): Promise<OrderState[]>;
  /** The newest account snapshot (written every minute while the account's feed is live). */
  latestSnapshot(account: string): Promise<AccountSnapshot | null>;
  /** The newest snapshot with from ≤ time ≤ to (a point of the account value series), or null. */
  snapshotWithin(account: string, range: TimeRange): Promise<AccountSnapshot | null>;
  /** The fill backfill cursor: `updatedAt` is when the monitor last stored backfilled history. */
  fillCursor(account: string): Promise<FillCursor | null>;
}

/** The store did not answer in time or failed: the user is told to try again. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

/**
 * Runs `read` under a deadline: a store that hangs (a cold connection, a throttled table) becomes a
 * StoreUnavailableError well within the Function URL's time limit, and Discord's three seconds.
 */
export async function withDeadline<T>(deadlineMs: number, read: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreUnavailableError(`no answer within ${deadlineMs} ms`)),
      deadlineMs,
    );
  });
  try {
    return await Promise.race([read(), timeout]);
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    throw new StoreUnavailableError("store read failed", { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
