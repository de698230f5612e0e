/**
 * Failures of a delivery channel. Messages name the channel and the HTTP status, never the URL: the
 * Discord webhook URL and the Telegram bot URL both carry the secret token.
 */
export type ChannelName = "discord" | "telegram";

export class ChannelError extends Error {
  readonly channel: ChannelName;
  /** HTTP status, or 0 when no response arrived (network error, timeout). */
  readonly status: number;
  /** The service's parsed answer (an error object), for callers that act on its details. */
  readonly answer: unknown;
  constructor(channel: ChannelName, status: number, message: string, answer: unknown = null) {
    super(message);
    this.name = "ChannelError";
    this.channel = channel;
    this.status = status;
    this.answer = answer;
  }

  /**
   * The service refused this request for good: any 4xx but 408 and 429 (a deleted webhook, a bot removed
   * from the chat, a wrong token, a message it will never accept). Asking again gives the same answer, so
   * retrying the invocation would only loop; network failures, 5xx and 429s are worth another try.
   */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

/** The service kept answering 429 and waiting longer would overrun the function's time. */
export class RateLimitedError extends ChannelError {
  readonly retryAfterMs: number;
  constructor(channel: ChannelName, retryAfterMs: number, message: string) {
    super(channel, 429, message);
    this.name = "RateLimitedError";
    this.retryAfterMs = retryAfterMs;
  }
}

/** Replaces every occurrence of each secret (raw and URL-encoded) in `text`. */
export function redactSecrets(text: string, secrets: readonly (string | null | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)]))
      out = out.split(form).join("[redacted]");
  }
  return out;
}

/** A short, secret-free description of a network-level failure (fetch's TypeError and its cause). */
export function networkFailure(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError" || error.name === "AbortError") return "timed out";
    const cause = (error as { cause?: { code?: unknown } }).cause;
    if (cause && typeof cause.code === "string") return cause.code;
    return error.name;
  }
  return "unknown error";
}
