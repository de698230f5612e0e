/**
 * Hyperliquid's REST limit is a weight budget per IP (1200 per minute). The service's exact accounting is
 * not documented, so this keeps the strictest reading: a sliding window, in which the weight of requests
 * sent in any `periodMs` never exceeds `capacity`. `acquire` waits (in order, abortable) until the most a
 * request can cost fits (the service charges a page of fills by its size), then `settle` books what it
 * really cost; `charge` books extra spending (a 429 fills the window, to back off).
 */
import { untilAborted } from "../abort.ts";

export interface WeightBudgetOptions {
  capacity?: number;
  periodMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class WeightBudget {
  readonly #capacity: number;
  readonly #periodMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #spent: { at: number; weight: number }[] = [];
  /** Waiters are served in order, so a heavy request is not starved by light ones. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: WeightBudgetOptions = {}) {
    this.#capacity = options.capacity ?? 1200;
    this.#periodMs = options.periodMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleep;
  }

  get available(): number {
    return this.#capacity - this.#used(this.#now());
  }

  /**
   * Reserves `weight` (the most a request can cost, answer size included) once it fits the window; the
   * returned `settle` corrects the reservation to what the request really cost.
   */
  acquire(weight: number, signal?: AbortSignal): Promise<{ settle(actual: number): void }> {
    const turn = this.#queue.then(async () => {
      const needed = Math.min(weight, this.#capacity);
      for (let attempt = 0; attempt < 10_000; attempt++) {
        signal?.throwIfAborted();
        const now = this.#now();
        if (this.#used(now) + needed <= this.#capacity) {
          const entry = { at: now, weight };
          this.#spent.push(entry);
          return {
            settle: (actual: number) => {
              entry.weight = actual;
            },
          };
        }
        // Wait until the oldest spending leaves the window.
        await this.#sleep(Math.max(1, this.#spent[0]!.at + this.#periodMs - now + 1), signal);
      }
      throw new Error("weight budget: gave up waiting");
    });
    this.#queue = turn.then(
      () => {},
      () => {},
    );
    // A waiter queued behind others hears of its abort at once; its turn, when it comes, reserves nothing.
    return signal ? untilAborted(turn, signal) : turn;
  }

  charge(weight: number): void {
    if (weight > 0) this.#spent.push({ at: this.#now(), weight });
  }

  #used(now: number): number {
    while (this.#spent.length > 0 && this.#spent[0]!.at <= now - this.#periodMs) this.#spent.shift();
    return this.#spent.reduce((sum, entry) => sum + entry.weight, 0);
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
