/**
 * Wraps any MonitorStore so that a storage outage delays writes instead of losing them.
 *
 * A write's promise resolves only once the back end has it. Retryable failures (throttling, 5xx, network)
 * are retried with exponential backoff and full jitter, for as long as it takes, until the store is
 * closed. What is waiting is bounded: past `maxPendingItems` a write is refused at once (and reported),
 * which the fill path treats as "not stored": its cursor stays behind those fills, so the next backfill
 * fetches them again. Nothing acknowledged as stored is ever dropped.
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
import { type MonitorStore, StorageError } from "./store.ts";

export interface RetryingStoreOptions {
  maxPendingItems?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (error: unknown, attempt: number) => void;
  onDropped?: (kind: string, items: number) => void;
  onRecovered?: () => void;
}

export class RetryingStore implements MonitorStore {
  readonly #inner: MonitorStore;
  readonly #options: Required<Omit<RetryingStoreOptions, "onRetry" | "onDropped" | "onRecovered">> &
    RetryingStoreOptions;
  readonly #inFlight = new Set<Promise<unknown>>();
  #pendingItems = 0;
  #failing = false;
  #closed = false;
  /** Set when closing gives up on writes still failing: their callers get a rejection. */
  #abandoned = false;

  constructor(inner: MonitorStore, options: RetryingStoreOptions = {}) {
    this.#inner = inner;
    this.#options = { maxPendingItems: 50_000, baseDelayMs: 200, maxDelayMs: 30_000, ...options };
  }

  get pendingItems(): number {
    return this.#pendingItems;
  }

  init(): Promise<void> {
    return this.#read(() => this.#inner.init(), 5);
  }

  /** Waits for the writes on hand (up to `timeoutMs`), then closes the back end. */
  async close(timeoutMs = 20_000): Promise<void> {
    await this.flush(timeoutMs);
    this.#closed = true;
    this.#abandoned = true;
    await this.#inner.close();
  }

  async flush(timeoutMs = 20_000): Promise<boolean> {
    const all = Promise.allSettled([...this.#inFlight]).then(() => true);
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    return Promise.race([all, timeout]);
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

  #write(kind: string, items: number, action: () => Promise<void>): Promise<void> {
    if (items === 0) return Promise.resolve();
    if (this.#closed) {
      return Promise.reject(new StorageError(`store is closed; ${kind} not written`, { retryable: false }));
    }
    if (this.#pendingItems + items > this.#options.maxPendingItems) {
      this.#options.onDropped?.(kind, items);
      return Promise.reject(
        new StorageError(
          `pending-write bound of ${this.#options.maxPendingItems} items reached; ${kind} refused`,
          {
            retryable: false,
          },
        ),
      );
    }
    this.#pendingItems += items;
    const run = this.#untilStored(action).finally(() => {
      this.#pendingItems -= items;
      this.#inFlight.delete(run);
    });
    this.#inFlight.add(run);
    return run;
  }

  async #untilStored(action: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await action();
        if (this.#failing) {
          this.#failing = false;
          this.#options.onRecovered?.();
        }
        return;
      } catch (error) {
        const retryable = !(error instanceof StorageError) || error.retryable;
        if (!retryable || this.#abandoned) throw error;
        this.#failing = true;
        this.#options.onRetry?.(error, attempt);
        const bound = Math.min(
          this.#options.maxDelayMs,
          this.#options.baseDelayMs * 2 ** Math.min(attempt, 20),
        );
        await new Promise((resolve) => setTimeout(resolve, Math.random() * bound));
      }
    }
  }

  async #read<T>(action: () => Promise<T>, attempts = 3): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await action();
      } catch (error) {
        const retryable = !(error instanceof StorageError) || error.retryable;
        if (!retryable || attempt >= attempts) throw error;
        await new Promise((resolve) =>
          setTimeout(resolve, Math.random() * this.#options.baseDelayMs * 2 ** attempt),
        );
      }
    }
  }
}
