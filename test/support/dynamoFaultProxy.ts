/**
 * A loopback HTTP proxy in front of a DynamoDB API server that can answer with DynamoDB's real throttling
 * error (HTTP 400, ProvisionedThroughputExceededException) or a 500, for a while, to show that storage
 * outages lose nothing.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault = "throttle" | "internal" | null;

export class DynamoFaultProxy {
  readonly #target: URL;
  readonly #server: Server;
  fault: Fault = null;
  /**
   * While > 0, each BatchWriteItem is forwarded with only its first item and the rest are answered as
   * UnprocessedItems, as DynamoDB does under load; counts down per rewritten response.
   */
  partialBatches = 0;
  faultsServed = 0;
  forwarded = 0;

  constructor(targetEndpoint: string) {
    this.#target = new URL(targetEndpoint);
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        if (this.fault) {
          this.faultsServed += 1;
          const [status, type] =
            this.fault === "throttle"
              ? [400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"]
              : [500, "com.amazonaws.dynamodb.v20120810#InternalServerError"];
          const body = JSON.stringify({
            __type: type,
            message: "The level of configured provisioned throughput for the table was exceeded.",
          });
          res.writeHead(status, {
            "content-type": "application/x-amz-json-1.0",
            "x-amzn-errortype": type.split("#")[1]!,
          });
          res.end(body);
          return;
        }
        this.forwarded += 1;
        let body = Buffer.concat(chunks);
        let unprocessed: Record<string, unknown[]> | null = null;
        if (this.partialBatches > 0 && String(req.headers["x-amz-target"]).endsWith("BatchWriteItem")) {
          const input = JSON.parse(body.toString("utf8")) as { RequestItems: Record<string, unknown[]> };
          const [table, requests] = Object.entries(input.RequestItems)[0]!;
          if (requests.length > 1) {
            this.partialBatches -= 1;
            unprocessed = { [table]: requests.slice(1) };
            body = Buffer.from(JSON.stringify({ RequestItems: { [table]: requests.slice(0, 1) } }));
          }
        }
        const upstream = httpRequest(
          {
            host: this.#target.hostname,
            port: this.#target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, "content-length": String(body.length) },
          },
          (answer) => {
            if (!unprocessed) {
              res.writeHead(answer.statusCode ?? 500, answer.headers);
              answer.pipe(res);
              return;
            }
            const parts: Buffer[] = [];
            answer.on("data", (chunk: Buffer) => parts.push(chunk));
            answer.on("end", () => {
              const out = Buffer.from(JSON.stringify({ UnprocessedItems: unprocessed }));
              const { "content-length": _length, "x-amz-crc32": _crc, ...rest } = answer.headers;
              res.writeHead(answer.statusCode ?? 200, { ...rest, "content-length": String(out.length) });
              res.end(out);
            });
          },
        );
        upstream.on("error", () => res.destroy());
        upstream.end(body);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
