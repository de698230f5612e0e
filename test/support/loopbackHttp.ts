/** A loopback HTTP server with JSON helpers, shared by the chat-service stand-ins. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface JsonReply {
  status: number;
  body?: unknown;
  /** A body sent as is (XML answers), instead of `body` as JSON. */
  raw?: string;
  headers?: Record<string, string>;
}

export async function startLoopbackServer(
  handle: (request: IncomingMessage, body: string, raw: Buffer) => JsonReply | Promise<JsonReply>,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const raw = Buffer.concat(chunks);
      Promise.resolve(handle(request, raw.toString("utf8"), raw))
        .then((reply) => send(response, reply))
        .catch((error) => send(response, { status: 500, body: { message: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(response: ServerResponse, reply: JsonReply): void {
  const payload = reply.raw ?? (reply.body === undefined ? "" : JSON.stringify(reply.body));
  response.writeHead(reply.status, {
    ...(payload && reply.raw === undefined ? { "content-type": "application/json" } : {}),
    ...reply.headers,
  });
  response.end(payload);
}

/** A loopback port nothing listens on (bound once, then released): connecting to it is refused. */
export async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
