/** ConnectionGate: slots held until a close completes, attempts per rolling window, first come first served. */
import { describe, expect, it } from "vitest";
import { ConnectionGate, type ConnectionSlot } from "../../monitor/src/runtime/connectionGate.ts";

const settledWithin = async <T>(promise: Promise<T>, ms: number): Promise<T | "pending"> =>
  Promise.race([promise, new Promise<"pending">((resolve) => setTimeout(() => resolve("pending"), ms))]);

describe("ConnectionGate", () => {
  it("holds a socket's slot until its close has completed", async () => {
    const gate = new ConnectionGate({ maxOpen: 2, maxNewPerWindow: 100, windowMs: 60_000 });
    const a = await gate.acquire();
    await gate.acquire();
    const third = gate.acquire();
    expect(await settledWithin(third, 30)).toBe("pending");
    a.settled(); // opened: still holds its slot
    expect(await settledWithin(third, 30)).toBe("pending");
    a.release();
    a.release(); // idempotent: frees one slot only
    expect(await settledWithin(third, 30)).not.toBe("pending");
    expect(gate.open).toBe(2);
    expect(gate.peakOpen).toBe(2);
  });

  it("allows at most maxNewPerWindow attempts per rolling window, counted from when each ended", async () => {
    const gate = new ConnectionGate({ maxOpen: 10, maxNewPerWindow: 3, windowMs: 300 });
    const slots: ConnectionSlot[] = [];
    for (let i = 0; i < 3; i++) slots.push(await gate.acquire());
    for (const slot of slots) slot.release();
    const start = Date.now();
    const fourth = await gate.acquire();
    expect(Date.now() - start).toBeGreaterThanOrEqual(280);
    fourth.release();
  });

  it("serves waiters in order and lets an aborted waiter leave the queue", async () => {
    const gate = new ConnectionGate({ maxOpen: 1, maxNewPerWindow: 100, windowMs: 60_000 });
    const first = await gate.acquire();
    const abort = new AbortController();
    const order: string[] = [];
    const leaving = gate.acquire(abort.signal).then(
      () => order.push("aborted one"),
      () => order.push("left"),
    );
    const second = gate.acquire().then((slot) => {
      order.push("second");
      return slot;
    });
    abort.abort(new Error("closed"));
    await leaving;
    first.release();
    (await second).release();
    expect(order).toEqual(["left", "second"]);
    expect(gate.waiting).toBe(0);
    expect(gate.open).toBe(0);
  });
});
