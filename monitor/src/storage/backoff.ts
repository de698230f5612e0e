/**
 * Exponential backoff with full jitter, shared by the DynamoDB batch writer and the RetryingStore.
 *
 * Full jitter (a uniformly random wait between 0 and the exponential bound) spreads the retries of many
 * writers that failed at the same moment, so a recovering back end is not hit by all of them at once.
 * See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/.
 */

export interface BackoffPolicy {
  /** Upper bound of the first retry's wait; doubles with every further retry. */
  baseDelayMs: number;
  /** The bound never grows past this. */
  maxDelayMs: number;
}

/** The wait before retry number `retry` (1 for the first retry): uniform in [0, min(max, base·2^(retry−1))]. */
export function backoffDelayMs(retry: number, policy: BackoffPolicy): number {
  // The exponent is capped so that a long outage cannot overflow the bound to Infinity.
  const bound = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(Math.max(retry - 1, 0), 30));
  return Math.random() * bound;
}

/** Resolves after `ms`, or as soon as `signal` aborts (whichever comes first); never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
