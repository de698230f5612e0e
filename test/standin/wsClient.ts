/** A raw WebSocket client for stand-in tests (Node's global WebSocket): collects every frame received. */

export interface TestClient {
  socket: WebSocket;
  /** Raw text of every frame received, in order. */
  frames: string[];
  send(message: unknown): void;
  /** Waits (bounded) until at least `count` frames arrived; returns them all, parsed (non-JSON as {raw}). */
  waitForFrames(count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  /** Waits (bounded) until the socket is closed; true if it closed. */
  waitForClose(timeoutMs?: number): Promise<boolean>;
  isClosed(): boolean;
  close(): void;
}

export async function connectClient(url: string): Promise<TestClient> {
  const socket = new WebSocket(url);
  const frames: string[] = [];
  let closed = false;
  socket.addEventListener("message", (event) => frames.push(String(event.data)));
  socket.addEventListener("close", () => {
    closed = true;
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), { once: true });
  });
  const poll = async (done: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 10_000 && !done() && Date.now() < deadline; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return done();
  };
  return {
    socket,
    frames,
    send: (message) => socket.send(typeof message === "string" ? message : JSON.stringify(message)),
    async waitForFrames(count, timeoutMs = 2_000) {
      await poll(() => frames.length >= count, timeoutMs);
      return frames.map(parseFrame);
    },
    waitForClose: (timeoutMs = 2_000) => poll(() => closed, timeoutMs),
    isClosed: () => closed,
    close: () => socket.close(),
  };
}

function parseFrame(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { raw: text };
  }
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
