/**
 * Hyperliquid's REST limit is a weight budget per IP (1200 per minute). A token bucket refilled
 * continuously: `acquire` waits for the base weight of a request before sending it; `charge` books the
 * weight that depends on the response size afterwards (it may go below zero, so later requests wait).
 */
export interface WeightBudgetOptions {
  capacity?: number;
  periodMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class WeightBudget {
  readonly #capacity: number;
  readonly #perMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #tokens: number;
  #updatedAt: number;
  /** Waiters are served in order, so a heavy request is not starved by light ones. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: WeightBudgetOptions = {}) {
    this.#capacity = options.capacity ?? 1200;
    this.#perMs = this.#capacity / (options.periodMs ?? 60_000);
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleep;
    this.#tokens = this.#capacity;
    this.#updatedAt = this.#now();
  }

  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  acquire(weight: number, signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(async () => {
      for (let attempt = 0; attempt < 1000; attempt++) {
        signal?.throwIfAborted();
        this.#refill();
        const needed = Math.min(weight, this.#capacity);
        if (this.#tokens >= needed) {
          this.#tokens -= weight;
          return;
        }
        await this.#sleep(Math.ceil((needed - this.#tokens) / this.#perMs), signal);
      }
      throw new Error("weight budget: gave up waiting");
    });
    this.#queue = turn.catch(() => {});
    return turn;
  }

  charge(weight: number): void {
    this.#refill();
    this.#tokens -= weight;
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#updatedAt) * this.#perMs);
    this.#updatedAt = now;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
