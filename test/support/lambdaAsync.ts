/**
 * Lambda's asynchronous invocation semantics, for driving the alert handler the way SNS does: a failed
 * invocation is retried (by default twice), and an event that still fails goes to the function's
 * dead-letter queue. The real service waits about a minute, then two, between tries; here the retries
 * follow at once. No Lambda service can run on this machine; this follows the documented behaviour.
 */
export interface AsyncInvocationResult<E> {
  attempts: number;
  errors: string[];
  deadLetters: E[];
}

export async function invokeAsync<E>(
  handler: (event: E) => Promise<unknown>,
  event: E,
  options: { maximumRetryAttempts?: number } = {},
): Promise<AsyncInvocationResult<E>> {
  const tries = 1 + (options.maximumRetryAttempts ?? 2);
  const errors: string[] = [];
  for (let attempt = 1; attempt <= tries; attempt++) {
    try {
      await handler(event);
      return { attempts: attempt, errors, deadLetters: [] };
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
  return { attempts: tries, errors, deadLetters: [event] };
}
