/**
 * A loopback HTTP proxy in front of a DynamoDB API server (dynalite) that injects DynamoDB's real failure
 * shapes on demand, to show that storage outages lose nothing:
 * - "throttle": HTTP 400 with `x-amzn-ErrorType: ProvisionedThroughputExceededException` and DynamoDB's
 *   JSON error body, exactly as DynamoDB throttles;
 * - "internal": HTTP 500 InternalServerError;
 * - "reset": the connection is destroyed without an answer (the SDK sees ECONNRESET / socket hang up);
 * for the next N requests (`failNext`), for a time window (`failFor`), or until cleared (`fault`).
 * It can also answer BatchWriteItem partially, as DynamoDB does under load: only the first item of the
 * request is forwarded and the rest come back as UnprocessedItems (`partialBatches`).
 * Otherwise every request is forwarded unchanged.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

export type FaultKind = "throttle" | "internal" | "reset";

const ERROR_TYPES = {
  throttle: {
    status: 400,
    type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
    message:
      "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
  },
  internal: {
    status: 500,
    type: "com.amazonaws.dynamodb.v20120810#InternalServerError",
    message: "Internal server error",
  },
} as const;

interface FaultPlan {
  kind: FaultKind;
  /** Requests still to fail (count plans), or the time the window ends (window plans). */
  remaining?: number;
  until?: number;
  /** Only requests of this DynamoDB operation (e.g. "BatchWriteItem") fail; others pass. */
  operation?: string;
}

export class DynamoFaultProxy {
  readonly #target: URL;
  readonly #server: Server;
  #plan: FaultPlan | null = null;
  /** While set, every request fails this way (until set back to null). */
  fault: FaultKind | null = null;
  /** While > 0, each BatchWriteItem of 2+ items writes only its first item; counts down per rewrite. */
  partialBatches = 0;
  faultsServed = 0;
  forwarded = 0;
  /** Items answered as UnprocessedItems so far. */
  unprocessedServed = 0;

  constructor(targetEndpoint: string) {
    this.#target = new URL(targetEndpoint);
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => this.#handle(req, res, Buffer.concat(chunks)));
    });
  }

  /** The next `count` requests (of `operation` only, if given) fail with `kind`. */
  failNext(kind: FaultKind, count: number, options: { operation?: string } = {}): void {
    this.#plan = { kind, remaining: count, ...options };
  }

  /** Every request (of `operation` only, if given) fails with `kind` for the next `ms`. */
  failFor(kind: FaultKind, ms: number, options: { operation?: string } = {}): void {
    this.#plan = { kind, until: Date.now() + ms, ...options };
  }

  /** Stops injecting faults and partial batches. */
  heal(): void {
    this.#plan = null;
    this.fault = null;
    this.partialBatches = 0;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const operation = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
    const fault = this.#faultFor(operation);
    if (fault) {
      this.faultsServed += 1;
      if (fault === "reset") {
        req.socket.destroy();
        return;
      }
      const { status, type, message } = ERROR_TYPES[fault];
      const answer = JSON.stringify({ __type: type, message });
      res.writeHead(status, {
        "content-type": "application/x-amz-json-1.0",
        "content-length": String(Buffer.byteLength(answer)),
        "x-amzn-errortype": type.split("#")[1]!,
        "x-amzn-requestid": `fault-${this.faultsServed}`,
      });
      res.end(answer);
      return;
    }
    this.forwarded += 1;
    if (this.partialBatches > 0 && operation === "BatchWriteItem") {
      const input = JSON.parse(body.toString("utf8")) as { RequestItems: Record<string, unknown[]> };
      const [table, requests] = Object.entries(input.RequestItems)[0]!;
      if (requests.length > 1) {
        this.partialBatches -= 1;
        this.unprocessedServed += requests.length - 1;
        const firstOnly = Buffer.from(JSON.stringify({ RequestItems: { [table]: requests.slice(0, 1) } }));
        this.#forward(req, res, firstOnly, { UnprocessedItems: { [table]: requests.slice(1) } });
        return;
      }
    }
    this.#forward(req, res, body, null);
  }

  /** The fault this request gets, if any; consumes one request of a count plan. */
  #faultFor(operation: string): FaultKind | null {
    if (this.fault) return this.fault;
    const plan = this.#plan;
    if (!plan || (plan.operation && plan.operation !== operation)) return null;
    if (plan.until !== undefined) {
      if (Date.now() < plan.until) return plan.kind;
      this.#plan = null;
      return null;
    }
    if ((plan.remaining ?? 0) <= 0) {
      this.#plan = null;
      return null;
    }
    plan.remaining = (plan.remaining ?? 0) - 1;
    return plan.kind;
  }

  /** Sends `body` upstream; answers with upstream's response, or with `replacement` once upstream succeeded. */
  #forward(req: IncomingMessage, res: ServerResponse, body: Buffer, replacement: object | null): void {
    const upstream = httpRequest(
      {
        host: this.#target.hostname,
        port: this.#target.port,
        method: req.method,
        path: req.url,
        // The signature no longer matches a rewritten body; dynalite does not check signatures.
        headers: { ...req.headers, "content-length": String(body.length) },
      },
      (answer) => {
        if (!replacement || answer.statusCode !== 200) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        answer.resume();
        answer.on("end", () => {
          const out = Buffer.from(JSON.stringify(replacement));
          // The checksum header covers the original body: drop it with the length.
          const { "content-length": _length, "x-amz-crc32": _crc, ...headers } = answer.headers;
          res.writeHead(200, { ...headers, "content-length": String(out.length) });
          res.end(out);
        });
      },
    );
    upstream.on("error", () => res.destroy());
    upstream.end(body);
  }
}
