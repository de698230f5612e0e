/**
 * `untilAborted(work, signal)`: the caller stops waiting for `work` as soon as `signal` aborts (rejecting
 * with its reason); `work` itself goes on, so it must check the signal before doing anything lasting.
 * Used where a wait sits in a queue (the REST weight budget) or on a one-time event (the stored cursor),
 * so that a shutdown never waits behind them.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
