/**
 * The keep-alive watchdog on its own (runtime/keepAlive.ts), on fake timers: what it sends and when it
 * replaces the socket. test/runtime/faults.test.ts drives it through a real socket to the stand-in.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { KeepAlive } from "../../monitor/src/runtime/keepAlive.ts";

function socket() {
  return {
    sent: [] as string[],
    reconnects: 0,
    send(text: string) {
      this.sent.push(text);
    },
    reconnect() {
      this.reconnects += 1;
    },
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("keep-alive", () => {
  it("pings every interval while open, and a pong in time keeps the socket", () => {
    const s = socket();
    const keepAlive = new KeepAlive(s, { intervalMs: 30_000, timeoutMs: 10_000 });
    keepAlive.opened();
    keepAlive.opened(); // a second open does not start a second ping loop
    vi.advanceTimersByTime(30_000);
    expect(s.sent).toEqual(['{"method":"ping"}']);
    vi.advanceTimersByTime(9_000);
    keepAlive.pong();
    vi.advanceTimersByTime(21_000 + 5_000);
    keepAlive.pong(); // 5 s after the second ping
    vi.advanceTimersByTime(25_000);
    expect(s.sent).toHaveLength(3);
    keepAlive.pong();
    expect(s.reconnects).toBe(0);
  });

  it("replaces the socket once, timeoutMs after the first ping left unanswered", () => {
    const s = socket();
    const keepAlive = new KeepAlive(s, { intervalMs: 200, timeoutMs: 300 });
    keepAlive.opened();
    vi.advanceTimersByTime(499);
    // Two pings sent (200, 400 ms); the second does not push back the deadline armed by the first.
    expect(s.sent).toHaveLength(2);
    expect(s.reconnects).toBe(0);
    vi.advanceTimersByTime(1);
    expect(s.reconnects).toBe(1);
  });

  it("sends nothing and replaces nothing once closed, until the next open", () => {
    const s = socket();
    const keepAlive = new KeepAlive(s, { intervalMs: 200, timeoutMs: 300 });
    keepAlive.opened();
    vi.advanceTimersByTime(250);
    keepAlive.closed();
    vi.advanceTimersByTime(10_000);
    expect(s.sent).toHaveLength(1);
    expect(s.reconnects).toBe(0);
    keepAlive.opened();
    vi.advanceTimersByTime(200);
    expect(s.sent).toHaveLength(2);
  });
});
