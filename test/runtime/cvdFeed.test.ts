/** CvdFeed's writes: one per coin-minute, once the minute has ended; everything at shutdown. */
import { describe, expect, it } from "vitest";
import { CvdFeed } from "../../monitor/src/runtime/cvdFeed.ts";
import { silentLogger } from "../../monitor/src/telemetry/logger.ts";
import { Metrics } from "../../monitor/src/telemetry/metrics.ts";
import { MemoryStore } from "../support/memoryStore.ts";

const MINUTE = 60_000;
const T0 = 1_789_407_000_000; // a minute boundary

function trade(time: number, tid: number, side: "B" | "A" = "B") {
  return {
    coin: "BTC",
    side,
    px: "100.0",
    sz: "0.5",
    time,
    tid,
    hash: "0x0",
    users: ["0xa", "0xb"] as [string, string],
  };
}

describe("CvdFeed writes", () => {
  it("writes each coin-minute once, after it ends (5 s grace), and the unfinished one at shutdown", async () => {
    const store = new MemoryStore();
    const feed = new CvdFeed({ store, metrics: new Metrics(() => {}), logger: silentLogger() });
    await feed.track(["BTC"]);
    // Flushed every 5 s, as the monitor does, while trades arrive through three minutes.
    let tid = 0;
    for (let now = T0; now < T0 + 3 * MINUTE; now += 5_000) {
      feed.receive([trade(now, ++tid), trade(now + 1, ++tid, "A")]);
      await feed.flush({ now: now + 2_000 });
    }
    // Minutes 0 and 1 have ended; minute 2 is still open.
    expect((await store.listCvdBuckets("BTC")).map((b) => b.bucket)).toEqual([T0, T0 + MINUTE]);
    // Within the grace after its end, a late trade may still come: not yet written.
    await feed.flush({ now: T0 + 3 * MINUTE + 4_000 });
    expect(await store.listCvdBuckets("BTC")).toHaveLength(2);
    await feed.flush({ final: true });
    const stored = await store.listCvdBuckets("BTC");
    expect(stored.map((b) => [b.bucket, b.tradeCount])).toEqual([
      [T0, 24],
      [T0 + MINUTE, 24],
      [T0 + 2 * MINUTE, 24],
    ]);
    expect(store.counts.items.cvd).toBe(3); // one write per coin-minute
  });

  it("writes nothing for a tracked coin with no trades in a minute (CVD_COINS=all follows many silent coins)", async () => {
    const store = new MemoryStore();
    const feed = new CvdFeed({ store, metrics: new Metrics(() => {}), logger: silentLogger() });
    await feed.track(["BTC", "ETH", "SOPH"]);
    feed.receive([trade(T0 + 1_000, 1)]);
    feed.receive([{ ...trade(T0 + MINUTE + 1_000, 2), coin: "ETH" }]);
    await feed.flush({ now: T0 + 3 * MINUTE });
    await feed.flush({ final: true });
    expect((await store.listCvdBuckets("BTC")).map((b) => b.bucket)).toEqual([T0]);
    expect((await store.listCvdBuckets("ETH")).map((b) => b.bucket)).toEqual([T0 + MINUTE]);
    expect(await store.listCvdBuckets("SOPH")).toEqual([]);
    expect(store.counts.items.cvd).toBe(2); // two coin-minutes traded, two writes
  });
});
