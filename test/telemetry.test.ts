import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../monitor/src/telemetry/logger.ts";
import { METRIC_NAMESPACE, Metrics } from "../monitor/src/telemetry/metrics.ts";

describe("EMF metrics", () => {
  it("emits one CloudWatch EMF document per flush, counters per interval, no dimensions", () => {
    const lines: string[] = [];
    const metrics = new Metrics((line) => lines.push(line));
    metrics.count("FramesReceived", 3);
    metrics.count("FillsStored");
    metrics.gauge("AccountValue", 30.937022);
    metrics.gauge("MarginRatio", null);
    metrics.flush(1_700_000_000_000);
    metrics.count("FramesReceived");
    metrics.flush(1_700_000_060_000);

    const [first, second] = lines.map((line) => JSON.parse(line));
    const directive = first._aws.CloudWatchMetrics[0];
    expect(first._aws.Timestamp).toBe(1_700_000_000_000);
    expect(directive.Namespace).toBe(METRIC_NAMESPACE);
    expect(directive.Dimensions).toEqual([[]]);
    const names = directive.Metrics.map((m: { Name: string }) => m.Name);
    expect(names).toContain("Heartbeat");
    expect(names).toContain("AccountValue");
    expect(names).not.toContain("MarginRatio");
    // Every declared metric has its value in the document, as EMF requires.
    for (const name of names) expect(typeof first[name]).toBe("number");
    expect(first).toMatchObject({ Heartbeat: 1, FramesReceived: 3, FillsStored: 1, AccountValue: 30.937022 });
    expect(second).toMatchObject({ FramesReceived: 1, FillsStored: 0, AccountValue: 30.937022 });
    expect(metrics.total("FramesReceived")).toBe(4);
  });
});

describe("heartbeat", () => {
  it("is emitted only when the caller says every feed is live, for the shard's heartbeat too", () => {
    const lines: string[] = [];
    const metrics = new Metrics((line) => lines.push(line), { shard: { index: 1, count: 2 } });
    metrics.count("FramesReceived", 2);
    metrics.flush(1_700_000_000_000, { heartbeat: false });
    expect(lines).toHaveLength(1); // no shard heartbeat document either
    const [dead] = lines.map((line) => JSON.parse(line));
    const declared = dead._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name);
    expect(declared).not.toContain("Heartbeat");
    expect(dead.Heartbeat).toBeUndefined();
    expect(dead.FramesReceived).toBe(2); // the other figures still flow
    metrics.flush(1_700_000_060_000, { heartbeat: true });
    const [live, shard] = lines.slice(1).map((line) => JSON.parse(line));
    expect(live.Heartbeat).toBe(1);
    expect(shard).toMatchObject({ Shard: "1", ShardHeartbeat: 1 });
  });
});

describe("JSON logs", () => {
  it("writes one JSON line with a textual level and redacts secret-bearing keys", async () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        chunks.push(String(chunk));
        callback();
      },
    });
    const logger = createLogger({ destination });
    logger.info({ TELEGRAM_BOT_TOKEN: "123:abc", alerts: { webhookUrl: "https://discord/x" } }, "hello");
    logger.flush();
    const record = JSON.parse(chunks.join(""));
    expect(record.level).toBe("info");
    expect(record.msg).toBe("hello");
    expect(JSON.stringify(record)).not.toContain("123:abc");
    expect(JSON.stringify(record)).not.toContain("discord/x");
  });
});
