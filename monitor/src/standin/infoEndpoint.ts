/**
 * `POST /info` over HTTP: reads the JSON body, logs it, applies injected failures and the per-IP weight
 * limit, and sends the answer (JSON on 200; plain text on 422, 429, 500 like the real API's errors).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ExchangeRecords } from "./exchangeRecords.ts";
import { answerInfo } from "./infoAnswers.ts";
import { RollingWeightLimiter } from "./weightLimiter.ts";

/** Bodies are tiny JSON objects; anything larger is refused rather than buffered. */
const MAX_BODY_BYTES = 64 * 1024;

export interface InfoEndpointOptions {
  weightLimit: number;
  weightWindowMs: number;
  recentTrades: number;
}

/** Charged requests remembered: plenty for a test, bounded for a long `--replay`. */
const CHARGES_KEPT = 10_000;

export class InfoEndpoint {
  readonly #records: ExchangeRecords;
  readonly #options: InfoEndpointOptions;
  readonly #limiter: RollingWeightLimiter;
  #failuresToInject = 0;
  /** Every JSON body received, in order (including refused ones), for assertions. */
  readonly requests: Record<string, unknown>[] = [];
  rateLimitedCount = 0;
  /** The latest answered requests (at most CHARGES_KEPT) with their weight, time and client IP (for budgets). */
  readonly charges: { at: number; client: string; body: Record<string, unknown>; weight: number }[] = [];

  constructor(records: ExchangeRecords, options: InfoEndpointOptions) {
    this.#records = records;
    this.#options = options;
    this.#limiter = new RollingWeightLimiter({
      limit: options.weightLimit,
      windowMs: options.weightWindowMs,
    });
  }

  /** Weight charged for answered requests since start, over all clients. */
  get weightUsed(): number {
    return this.#limiter.totalCharged;
  }

  /** The next `count` requests fail with HTTP 500 (after being logged; they cost no weight). */
  failNext(count: number): void {
    this.#failuresToInject = Math.max(0, Math.floor(count));
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(request);
    if (request.url !== "/info") return send(response, 404, "Not Found");
    if (request.method !== "POST") return send(response, 405, "Method Not Allowed");
    if (text === null) return send(response, 413, "Payload Too Large");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return send(response, 422, "Failed to deserialize the JSON body into the target type: expected value");
    }
    if (typeof body === "object" && body !== null && !Array.isArray(body)) {
      this.requests.push(body as Record<string, unknown>);
    }
    if (this.#failuresToInject > 0) {
      this.#failuresToInject -= 1;
      return send(response, 500, "Internal Server Error");
    }
    const answer = answerInfo(body, this.#records, { recentTrades: this.#options.recentTrades });
    if (answer.status === 422) return send(response, 422, answer.text);
    const client = request.socket.remoteAddress ?? "unknown";
    if (!this.#limiter.tryCharge(client, answer.weight)) {
      this.rateLimitedCount += 1;
      // The real 429 body is undocumented; clients must key on the status.
      return send(response, 429, JSON.stringify({ error: "rate limited" }), "application/json");
    }
    this.charges.push({
      at: Date.now(),
      client,
      body: body as Record<string, unknown>,
      weight: answer.weight,
    });
    if (this.charges.length > CHARGES_KEPT) this.charges.splice(0, this.charges.length - CHARGES_KEPT);
    send(response, 200, JSON.stringify(answer.result), "application/json");
  }
}

/** The body as text, or null when it exceeds MAX_BODY_BYTES (the rest is drained, not kept). */
async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString("utf8");
}

function send(response: ServerResponse, status: number, body: string, contentType = "text/plain"): void {
  response.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  response.end(body);
}
