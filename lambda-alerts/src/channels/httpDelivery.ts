/**
 * One POST with the retry policy every channel shares:
 * - 429: wait the service's `retry_after`, then try again, as long as the wait and another request fit in
 *   the time the caller has left (a Lambda's remaining time); otherwise give up with RateLimitedError so
 *   the invocation fails and is retried later by the platform.
 * - 5xx and network errors: up to `attempts` tries with a short backoff, within the same time budget.
 * - other 4xx: no retry here (the request itself is wrong or the credentials are); the error says so.
 */
import { cutAt } from "../render/truncate.ts";
import { ChannelError, type ChannelName, networkFailure, RateLimitedError } from "./channelError.ts";

export interface DeliveryTiming {
  /** Epoch ms by which the caller must be done (for a Lambda: now + remaining time − a margin). */
  deadline: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Per-request timeout (default 10 s). */
  requestTimeoutMs?: number;
  /** Tries per message, 429s included (default 5). */
  attempts?: number;
  fetch?: typeof fetch;
}

export interface ChannelRequest {
  channel: ChannelName;
  url: string;
  /** Sent as JSON, unless `form` is given. */
  body: unknown;
  /** A multipart/form-data body instead (built afresh per try; fetch writes the boundary header). */
  form?: () => FormData;
  /** Reads the wait a 429 asks for, in ms (null when the response does not say). */
  retryAfterMs: (response: Response, body: unknown) => number | null;
  /** Turns a non-success answer into a short, secret-free description. */
  describe: (body: unknown) => string;
}

export interface ChannelResponse {
  status: number;
  body: unknown;
  attempts: number;
  rateLimitedMs: number;
}

const BACKOFF_MS = [250, 1_000, 2_000, 4_000];

export async function postJson(request: ChannelRequest, timing: DeliveryTiming): Promise<ChannelResponse> {
  const now = timing.now ?? Date.now;
  const sleep = timing.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const doFetch = timing.fetch ?? fetch;
  const requestTimeoutMs = timing.requestTimeoutMs ?? 10_000;
  const attempts = timing.attempts ?? 5;
  let rateLimitedMs = 0;
  let lastError: ChannelError | null = null;

  for (let attempt = 1; attempt <= attempts; attempt++) {
    const timeLeft = timing.deadline - now();
    if (timeLeft <= 0) break;
    let response: Response;
    let body: unknown;
    try {
      const signal = AbortSignal.timeout(Math.min(requestTimeoutMs, timeLeft));
      response = await doFetch(
        request.url,
        request.form
          ? { method: "POST", body: request.form(), signal }
          : {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(request.body),
              signal,
            },
      );
      const raw = await response.text();
      body = parseJson(raw);
    } catch (error) {
      lastError = new ChannelError(
        request.channel,
        0,
        `${request.channel}: request failed (${networkFailure(error)})`,
      );
      if (!(await backoff(attempt))) break;
      continue;
    }
    if (response.ok) return { status: response.status, body, attempts: attempt, rateLimitedMs };

    if (response.status === 429) {
      const waitMs = request.retryAfterMs(response, body) ?? 1_000;
      lastError = new RateLimitedError(
        request.channel,
        waitMs,
        `${request.channel}: rate limited (429), retry after ${waitMs} ms`,
      );
      // Wait only if the wait plus one more request still fits before the deadline.
      if (attempt === attempts || now() + waitMs + requestTimeoutMs > timing.deadline) break;
      rateLimitedMs += waitMs;
      await sleep(waitMs);
      continue;
    }
    const description = `${request.channel}: HTTP ${response.status} ${request.describe(body)}`.trim();
    lastError = new ChannelError(request.channel, response.status, description, body);
    if (response.status < 500) break;
    if (!(await backoff(attempt))) break;
  }
  throw lastError ?? new ChannelError(request.channel, 0, `${request.channel}: no time left to deliver`);

  async function backoff(attempt: number): Promise<boolean> {
    const waitMs = BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)]!;
    if (attempt === attempts || now() + waitMs + requestTimeoutMs > timing.deadline) return false;
    await sleep(waitMs);
    return true;
  }
}

function parseJson(raw: string): unknown {
  if (raw.length === 0) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return cutAt(raw, 200);
  }
}
