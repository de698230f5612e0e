/**
 * A token bucket per chat (Telegram) or user (Discord): a burst of `capacity` commands, then one every
 * `refillMs`. It lives in the warm Lambda instance's memory, so each instance has its own buckets: a
 * stuck client gets at most the allowance times the number of instances Lambda runs at once. That is
 * bounded by the account's concurrency quota, or by `--context commands_concurrency=N` (reserved
 * concurrency) where the quota allows one. Every rejected request is still an invocation, but one that reads
 * nothing and sends nothing: about $0.2 a million.
 */

export interface RateLimitPolicy {
  capacity: number;
  refillMs: number;
}

/** Five commands at once, then one every 12 s: five a minute. */
export const DEFAULT_RATE_LIMIT: RateLimitPolicy = { capacity: 5, refillMs: 12_000 };
/** Keys remembered at most; the least recently used goes first (bounds memory whatever the traffic). */
const MAX_KEYS = 10_000;

export class RateLimiter {
  readonly #policy: RateLimitPolicy;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(policy: RateLimitPolicy = DEFAULT_RATE_LIMIT) {
    this.#policy = policy;
  }

  /** Takes a token for `key`; false when its bucket is empty. */
  take(key: string, now: number): boolean {
    const { capacity, refillMs } = this.#policy;
    const bucket = this.#buckets.get(key) ?? { tokens: capacity, at: now };
    const refilled = Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.at) / refillMs);
    this.#buckets.delete(key);
    if (this.#buckets.size >= MAX_KEYS) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (refilled < 1) {
      this.#buckets.set(key, { tokens: refilled, at: now });
      return false;
    }
    this.#buckets.set(key, { tokens: refilled - 1, at: now });
    return true;
  }
}
