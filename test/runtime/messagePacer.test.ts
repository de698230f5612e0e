/** MessagePacer: at most maxPerWindow sends per sliding window, in order, sends that found nothing to send free. */
import { describe, expect, it } from "vitest";
import { MessagePacer } from "../../monitor/src/runtime/messagePacer.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("MessagePacer", () => {
  it("sends up to the limit at once and the rest, in order, once the window has room", async () => {
    const pacer = new MessagePacer({ maxPerWindow: 3, windowMs: 150, slackMs: 0 });
    const sent: { n: number; at: number }[] = [];
    const start = Date.now();
    for (let n = 0; n < 7; n++)
      pacer.run(() => {
        sent.push({ n, at: Date.now() - start });
        return true;
      });
    expect(sent.map((s) => s.n)).toEqual([0, 1, 2]);
    expect(pacer.waiting).toBe(4);
    for (let i = 0; i < 40 && sent.length < 7; i++) await sleep(25);
    expect(sent.map((s) => s.n)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(sent[3]!.at).toBeGreaterThanOrEqual(140);
    expect(sent[6]!.at).toBeGreaterThanOrEqual(290);
    expect(pacer.peakPerWindow).toBe(3);
  });

  it("does not count a send that found its socket closed", () => {
    const pacer = new MessagePacer({ maxPerWindow: 2, windowMs: 60_000 });
    let sent = 0;
    pacer.run(() => false);
    pacer.run(() => false);
    pacer.run(() => ++sent > 0);
    pacer.run(() => ++sent > 0);
    expect(sent).toBe(2);
    expect(pacer.waiting).toBe(0);
  });
});
