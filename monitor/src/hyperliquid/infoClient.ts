/**
 * The `/info` client: the SDK's HttpTransport sends the request; this layer adds the weight budget,
 * validation of the answer, and retries of 429, 5xx and network failures with exponential backoff and
 * full jitter (bounded attempts, abortable).
 */
import { HttpRequestError, HttpTransport } from "@nktkas/hyperliquid";
import type { z } from "zod";
import { sleep, WeightBudget } from "./_weightBudget.ts";
import { describeIssue } from "./schemas.ts";

export interface InfoClientOptions {
  apiUrl: string;
  budget?: WeightBudget;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  onRequest?: (type: string, weight: number) => void;
  onRateLimited?: () => void;
  /** Every successful exchange (for `--record`, so a replay can answer the same backfills). */
  onResponse?: (request: Record<string, unknown>, response: unknown) => void;
}

/** What one request type needs: its base weight, and the extra weight per item returned. */
export interface InfoMethod<T> {
  type: string;
  weight: number;
  /** Extra weight per 20 items returned (userFills, userFillsByTime, historicalOrders, recentTrades). */
  perTwentyItems?: boolean;
  /** Most items one answer can hold (2000 for fills), to reserve the worst-case weight up front. */
  maxItems?: number;
  schema: z.ZodType<T>;
}

export class InfoRequestError extends Error {
  override name = "InfoRequestError";
  readonly status: number | null;
  constructor(message: string, status: number | null, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

export class InfoClient {
  readonly #transport: HttpTransport;
  readonly #budget: WeightBudget;
  readonly #options: InfoClientOptions;
  requests = 0;
  retries = 0;
  rateLimited = 0;

  constructor(options: InfoClientOptions) {
    this.#options = options;
    this.#transport = new HttpTransport({ apiUrl: options.apiUrl, timeout: options.timeoutMs ?? 10_000 });
    this.#budget = options.budget ?? new WeightBudget();
  }

  get budget(): WeightBudget {
    return this.#budget;
  }

  async request<T>(method: InfoMethod<T>, params: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const maxAttempts = this.#options.maxAttempts ?? 5;
    const base = this.#options.baseDelayMs ?? 500;
    const cap = this.#options.maxDelayMs ?? 20_000;
    for (let attempt = 1; ; attempt++) {
      const reserved = method.weight + (method.perTwentyItems ? Math.floor((method.maxItems ?? 0) / 20) : 0);
      const spending = await this.#budget.acquire(reserved, signal);
      this.requests += 1;
      this.#options.onRequest?.(method.type, method.weight);
      let body: unknown;
      const request = { type: method.type, ...params };
      try {
        body = await this.#transport.request("info", request, signal);
      } catch (error) {
        spending.settle(method.weight);
        const status = error instanceof HttpRequestError ? (error.response?.status ?? null) : null;
        if (status === 429) {
          this.rateLimited += 1;
          this.#options.onRateLimited?.();
          // Over the limit the server counts nothing back: drain the bucket so the next tries wait.
          this.#budget.charge(this.#budget.available);
        }
        const retryable = status === null || status === 429 || status >= 500;
        if (signal?.aborted || !retryable || attempt >= maxAttempts) {
          throw new InfoRequestError(
            `info ${method.type} failed after ${attempt} attempt(s): ${status === null ? "no response" : `HTTP ${status}`}`,
            status,
            { cause: error },
          );
        }
        this.retries += 1;
        await sleep(Math.random() * Math.min(cap, base * 2 ** (attempt - 1)), signal);
        continue;
      }
      this.#options.onResponse?.(request, body);
      const parsed = method.schema.safeParse(body);
      if (!parsed.success) {
        throw new InfoRequestError(
          `info ${method.type}: unexpected response (${describeIssue(parsed.error)})`,
          null,
        );
      }
      const items = method.perTwentyItems && Array.isArray(parsed.data) ? parsed.data.length : 0;
      spending.settle(method.weight + Math.floor(items / 20));
      return parsed.data;
    }
  }
}
