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
        const upstream = httpRequest(
          {
            host: this.#target.hostname,
            port: this.#target.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 500, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on("error", () => res.destroy());
        upstream.end(Buffer.concat(chunks));
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
