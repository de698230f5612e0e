/**
 * Wraps any MonitorStore so that a storage outage delays writes instead of losing them.
 *
 * - A write's promise resolves only once the back end has stored it. A retryable failure (a StorageError
 *   with `retryable: true`: throttling, 5xx, network) is retried with exponential backoff and full jitter
 *   (by default waits up to 200 ms · 2^n, at most 30 s) for as long as it takes, until the store is closed.
 * - Anything else is rejected at once: a validation error will not pass by waiting, and a bug must not
 *   hold the pending-write bound forever. The contract says back ends throw StorageError, so an error of
 *   another type is treated as a bug.
 * - What waits is bounded: past `maxPendingItems` (fills, orders, buckets, position records; a cursor or a
 *   snapshot counts as one) a write is refused at once with a non-retryable StorageError and reported
 *   through `onDropped`. Nothing acknowledged is lost: the fill path does not move its backfill cursor
 *   over a refused write, so the next backfill fetches those fills again. When nothing waits, a single
 *   write is taken whatever its size, so that progress stays possible.
 * - Upserts whose last write must win (current positions, CVD buckets) are kept in call order: a retried
 *   older write never lands after a newer one. Fills, orders (versioned), the cursor (never backwards) and
 *   snapshots (keyed by time) are order-independent and retried side by side.
 * - Reads pass through with a few quick retries: the caller is waiting, and it has its own error path.
 */
import type {
  AccountSnapshot,
  ClosedPosition,
  CvdBucket,
  Fill,
  FillCursor,
  OrderState,
  PositionState,
} from "../domain/types.ts";
import { type BackoffPolicy, backoffDelayMs, sleep } from "./backoff.ts";
import { type AlertChange, type AlertRecord, type MonitorStore, StorageError } from "./store.ts";

export type WriteKind = "fills" | "cursor" | "positions" | "orders" | "snapshot" | "cvd";

export interface RetryingStoreOptions {
  /** Items waiting to be stored, at most. Default 50_000. */
  maxPendingItems?: number;
  /** First retry waits up to this; doubles per retry. Default 200 ms. */
  baseDelayMs?: number;
  /** Cap of a retry's wait. Default 30 s. */
  maxDelayMs?: number;
  /** Attempts of a read (and of `init`) before its error goes to the caller. Default 3. */
  readAttempts?: number;
  /** A write failed with a retryable error and will be tried again (`attempt` = attempts so far). */
  onRetry?: (error: unknown, attempt: number) => void;
  /** A write was refused because the pending-write bound was reached. */
  onDropped?: (kind: WriteKind, items: number) => void;
  /** A write succeeded after writes had been failing. */
  onRecovered?: () => void;
}

/** Kinds whose writes are upserts where the last write must win: each waits for the previous one. */
const ORDERED_KINDS: ReadonlySet<WriteKind> = new Set(["positions", "cvd"]);

export class RetryingStore implements MonitorStore {
  readonly #inner: MonitorStore;
  readonly #maxPendingItems: number;
  readonly #backoff: BackoffPolicy;
  readonly #readAttempts: number;
  readonly #hooks: Pick<RetryingStoreOptions, "onRetry" | "onDropped" | "onRecovered">;

  /** Writes accepted and not yet settled. */
  readonly #pendingWrites = new Set<Promise<void>>();
  #pendingItems = 0;
  /** The last accepted write of each ordered kind; the next one starts after it settles. */
  readonly #lastOrderedWrite = new Map<WriteKind, Promise<void>>();
  /** True from a retryable failure until the next success (for `onRecovered`). */
  #failing = false;
  /** When writes started failing (first retryable failure since the last success), or null. */
  #failingSince: number | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  /** Aborted when closing gives up: waiting retries wake and reject instead of trying again. */
  readonly #giveUp = new AbortController();

  constructor(inner: MonitorStore, options: RetryingStoreOptions = {}) {
    this.#inner = inner;
    this.#maxPendingItems = options.maxPendingItems ?? 50_000;
    this.#backoff = { baseDelayMs: options.baseDelayMs ?? 200, maxDelayMs: options.maxDelayMs ?? 30_000 };
    this.#readAttempts = options.readAttempts ?? 3;
    this.#hooks = {
      onRetry: options.onRetry,
      onDropped: options.onDropped,
      onRecovered: options.onRecovered,
    };
  }

  /** Items accepted and not yet stored (for metrics). */
  get pendingItems(): number {
    return this.#pendingItems;
  }

  /** Since when writes have been failing and retrying (null while they succeed). */
  get failingSince(): number | null {
    return this.#failingSince;
  }

  init(): Promise<void> {
    return this.#read(() => this.#inner.init());
  }

  /**
   * Waits until every write accepted so far (and any accepted meanwhile) is settled, at most `timeoutMs`.
   * Resolves true when nothing is pending any more, false on timeout. Never rejects.
   */
  async flush(timeoutMs = 20_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    // Each round waits for the writes on hand; a round is needed only when writes arrived meanwhile.
    const timedOut = new AbortController();
    try {
      for (let round = 0; round < 1_000 && this.#pendingWrites.size > 0; round++) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        await Promise.race([Promise.allSettled([...this.#pendingWrites]), sleep(remaining, timedOut.signal)]);
      }
    } finally {
      timedOut.abort(); // clears the timer, so that it does not keep the process alive
    }
    return this.#pendingWrites.size === 0;
  }

  /**
   * Refuses new writes, waits for the pending ones (up to `timeoutMs`), then stops retrying: writes still
   * not stored reject (their callers have not been told they are stored), and the back end is closed.
   */
  close(timeoutMs = 20_000): Promise<void> {
    this.#closing ??= this.#closeOnce(timeoutMs);
    return this.#closing;
  }

  putFills(fills: readonly Fill[]): Promise<void> {
    return this.#write("fills", fills.length, () => this.#inner.putFills(fills));
  }
  setFillCursor(cursor: FillCursor): Promise<void> {
    return this.#write("cursor", 1, () => this.#inner.setFillCursor(cursor));
  }
  savePositions(states: readonly PositionState[], closed: readonly ClosedPosition[]): Promise<void> {
    return this.#write("positions", states.length + closed.length, () =>
      this.#inner.savePositions(states, closed),
    );
  }
  putOrders(orders: readonly OrderState[]): Promise<void> {
    return this.#write("orders", orders.length, () => this.#inner.putOrders(orders));
  }
  putAccountSnapshot(snapshot: AccountSnapshot): Promise<void> {
    return this.#write("snapshot", 1, () => this.#inner.putAccountSnapshot(snapshot));
  }
  putCvdBuckets(buckets: readonly CvdBucket[]): Promise<void> {
    return this.#write("cvd", buckets.length, () => this.#inner.putCvdBuckets(buckets));
  }

  listFills(account: string, range?: { from?: number; to?: number }): Promise<Fill[]> {
    return this.#read(() => this.#inner.listFills(account, range));
  }
  getFillCursor(account: string): Promise<FillCursor | null> {
    return this.#read(() => this.#inner.getFillCursor(account));
  }
  loadPositionStates(account: string): Promise<PositionState[]> {
    return this.#read(() => this.#inner.loadPositionStates(account));
  }
  listClosedPositions(account: string): Promise<ClosedPosition[]> {
    return this.#read(() => this.#inner.listClosedPositions(account));
  }
  listOrders(account: string): Promise<OrderState[]> {
    return this.#read(() => this.#inner.listOrders(account));
  }
  latestAccountSnapshot(account: string): Promise<AccountSnapshot | null> {
    return this.#read(() => this.#inner.latestAccountSnapshot(account));
  }
  latestCvdBuckets(coins: readonly string[]): Promise<Map<string, CvdBucket>> {
    return this.#read(() => this.#inner.latestCvdBuckets(coins));
  }
  listCvdBuckets(coin: string, range?: { from?: number; to?: number }): Promise<CvdBucket[]> {
    return this.#read(() => this.#inner.listCvdBuckets(coin, range));
  }

  // Alert claims answer a question (who holds the key), so they are not queued like writes: the caller
  // waits, with the same quick retries as a read, and handles a failure itself.
  claimAlert(record: AlertRecord): Promise<AlertRecord | null> {
    return this.#read(() => this.#inner.claimAlert(record));
  }
  updateAlert(owner: string, key: string, expectedLeaseUntil: number, change: AlertChange): Promise<boolean> {
    return this.#read(() => this.#inner.updateAlert(owner, key, expectedLeaseUntil, change));
  }
  getAlert(owner: string, key: string): Promise<AlertRecord | null> {
    return this.#read(() => this.#inner.getAlert(owner, key));
  }
  listPendingAlerts(owner: string): Promise<AlertRecord[]> {
    return this.#read(() => this.#inner.listPendingAlerts(owner));
  }

  // --- private -----------------------------------------------------------------------------------------

  async #closeOnce(timeoutMs: number): Promise<void> {
    this.#closed = true;
    await this.flush(timeoutMs);
    this.#giveUp.abort();
    // Writes blocked in the back end settle when their request does (bounded by the SDK's timeouts).
    await Promise.allSettled([...this.#pendingWrites]);
    await this.#inner.close();
  }

  /** Accepts a write (or refuses it at once), and returns the promise of it being stored. */
  #write(kind: WriteKind, items: number, write: () => Promise<void>): Promise<void> {
    if (items === 0) return Promise.resolve();
    if (this.#closed) {
      return Promise.reject(new StorageError(`store is closed; ${kind} not written`, { retryable: false }));
    }
    // A single write larger than the bound is still taken when nothing waits: otherwise it could never
    // be stored, and the caller would retry it forever.
    if (this.#pendingItems > 0 && this.#pendingItems + items > this.#maxPendingItems) {
      this.#notify(() => this.#hooks.onDropped?.(kind, items));
      return Promise.reject(
        new StorageError(
          `pending-write bound of ${this.#maxPendingItems} items reached; ${items} ${kind} item(s) refused`,
          { retryable: false },
        ),
      );
    }
    this.#pendingItems += items;
    const stored = this.#afterPreviousWriteOf(kind)
      .then(() => this.#untilStored(write))
      .finally(() => {
        // Before the caller hears of it, so `pendingItems` is current when the caller resumes.
        this.#pendingItems -= items;
        this.#pendingWrites.delete(settled);
        if (this.#lastOrderedWrite.get(kind) === settled) this.#lastOrderedWrite.delete(kind);
      });
    const settled: Promise<void> = stored.then(ignore, ignore);
    this.#pendingWrites.add(settled);
    if (ORDERED_KINDS.has(kind)) this.#lastOrderedWrite.set(kind, settled);
    return stored;
  }

  #afterPreviousWriteOf(kind: WriteKind): Promise<void> {
    return this.#lastOrderedWrite.get(kind) ?? Promise.resolve();
  }

  /** Tries `write` until it succeeds, fails for good, or closing gives up on it. */
  async #untilStored(write: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await write();
        this.#markRecovered();
        return;
      } catch (error) {
        if (!isRetryable(error)) throw error;
        if (this.#giveUp.signal.aborted) {
          throw new StorageError("store closed before the write was stored", {
            cause: error,
            retryable: true,
          });
        }
        this.#failing = true;
        this.#failingSince ??= Date.now();
        this.#notify(() => this.#hooks.onRetry?.(error, attempt));
        await sleep(backoffDelayMs(attempt, this.#backoff), this.#giveUp.signal);
      }
    }
  }

  #markRecovered(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#failingSince = null;
    this.#notify(() => this.#hooks.onRecovered?.());
  }

  /** Runs a hook; a failing metrics or logging hook must not fail (or stop retrying) a write. */
  #notify(hook: () => void): void {
    try {
      hook();
    } catch {
      // Nothing sensible to do with it here.
    }
  }

  async #read<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await read();
      } catch (error) {
        if (!isRetryable(error) || attempt >= this.#readAttempts) throw error;
        await sleep(backoffDelayMs(attempt, this.#backoff), this.#giveUp.signal);
      }
    }
  }
}

function ignore(): void {}

function isRetryable(error: unknown): boolean {
  return error instanceof StorageError && error.retryable;
}
