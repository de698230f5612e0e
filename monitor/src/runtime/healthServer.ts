/**
 * HTTP probes for the container: `/health` says the process is alive (the event loop answers), `/ready`
 * says the monitor is doing its job: on every connection, every subscription acknowledged and a data frame
 * (not a pong) received recently.
 */
import { createServer, type Server } from "node:http";

export interface Readiness {
  ready: boolean;
  [detail: string]: unknown;
}

export class HealthServer {
  readonly #server: Server;
  readonly #readiness: () => Readiness;

  /** `details` adds figures to the `/health` answer (memory, frames), for operators and the benchmark. */
  constructor(readiness: () => Readiness, details: () => Record<string, unknown> = () => ({})) {
    this.#readiness = readiness;
    this.#server = createServer((request, response) => {
      const path = (request.url ?? "/").split("?")[0];
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      if (path === "/health") {
        respond(response, 200, { status: "ok", ...details() });
      } else if (path === "/ready") {
        const readiness = this.#readiness();
        respond(response, readiness.ready ? 200 : 503, readiness);
      } else {
        respond(response, 404, { error: "not found: try /health or /ready" });
      }
    });
  }

  /** Listens on all interfaces (the container health check and the load of ECS reach it there). */
  async listen(port: number, host = "0.0.0.0"): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    const address = this.#server.address();
    return typeof address === "object" && address !== null ? address.port : port;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function respond(response: import("node:http").ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}
