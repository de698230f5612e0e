/** LagHistogram: percentiles as bucket upper edges, exact max; CvdFeed records one lag per trades frame. */
import { describe, expect, it } from "vitest";
import { CvdFeed } from "../../monitor/src/runtime/cvdFeed.ts";
import { LagHistogram } from "../../monitor/src/runtime/lagHistogram.ts";
import { silentLogger } from "../../monitor/src/telemetry/logger.ts";
import { Metrics } from "../../monitor/src/telemetry/metrics.ts";
import { MemoryStore } from "../support/memoryStore.ts";

describe("LagHistogram", () => {
  it("reads p50 and p99 off the counts and keeps the exact max", () => {
    const lags = new LagHistogram();
    expect(lags.figures()).toBeNull();
    for (let i = 0; i < 98; i++) lags.record(2.4);
    lags.record(250.5);
    lags.record(12_345);
    expect(lags.figures()).toEqual({ samples: 100, p50Ms: 3, p99Ms: 260, maxMs: 12_345 });
    lags.record(-5); // a clock a little ahead of the exchange's counts as no lag
    expect(lags.figures()!.samples).toBe(101);
  });

  it("CvdFeed records, per frame, the newest trade's exchange time to the bucket being current", async () => {
    const feed = new CvdFeed({
      store: new MemoryStore(),
      metrics: new Metrics(() => {}),
      logger: silentLogger(),
    });
    await feed.track(["BTC"]);
    const now = Date.now();
    const trade = (time: number, tid: number) => ({
      coin: "BTC",
      side: "B" as const,
      px: "100.0",
      sz: "0.5",
      time,
      tid,
      hash: "0x0",
      users: ["0xa", "0xb"] as [string, string],
    });
    feed.receive([trade(now - 5_000, 1), trade(now - 40, 2)]);
    const figures = feed.lag.figures()!;
    expect(figures.samples).toBe(1);
    expect(figures.maxMs).toBeGreaterThanOrEqual(40);
    expect(figures.maxMs).toBeLessThan(1_000);
  });
});
