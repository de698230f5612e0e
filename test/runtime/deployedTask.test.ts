/**
 * What the CDK stack relies on in the monitor: sharding by SHARD_INDEX/SHARD_COUNT, the metric set that
 * keeps a deployment inside the CloudWatch free tier, and a task that waits (healthy, not ready, saying
 * what to fix) instead of crash-looping when its secret has not been filled in yet.
 */
import { describe, expect, it } from "vitest";
import { accountsOfShard, ConfigError, loadConfig } from "../../monitor/src/config/config.ts";
import { COUNTERS, ESSENTIAL_METRICS, Metrics } from "../../monitor/src/telemetry/metrics.ts";
import { startMonitorProcess } from "../support/monitorProcess.ts";

const ADDRESSES = Array.from({ length: 5 }, (_, i) => `0x${String(i + 1).repeat(40)}`);

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("sharding", () => {
  it("gives the account at position i to shard i mod N, after removing repeats", () => {
    expect(accountsOfShard(ADDRESSES, 0, 2)).toEqual([ADDRESSES[0], ADDRESSES[2], ADDRESSES[4]]);
    expect(accountsOfShard(ADDRESSES, 1, 2)).toEqual([ADDRESSES[1], ADDRESSES[3]]);
    const list = [ADDRESSES[0], ADDRESSES[0], ...ADDRESSES.slice(1)].join(",");
    const shards = [0, 1, 2].map(
      (index) => loadConfig({ ACCOUNT_ADDRESS: list, SHARD_INDEX: String(index), SHARD_COUNT: "3" }).accounts,
    );
    expect(shards).toEqual([[ADDRESSES[0], ADDRESSES[3]], [ADDRESSES[1], ADDRESSES[4]], [ADDRESSES[2]]]);
    // Every account in exactly one shard.
    expect(shards.flat().sort()).toEqual([...ADDRESSES].sort());
    expect(loadConfig({ ACCOUNT_ADDRESS: list }).shard).toEqual({ index: 0, count: 1 });
  });

  it("rejects a shard outside the count, or one left without accounts, in one line", () => {
    expect(errorOf({ ACCOUNT_ADDRESS: ADDRESSES[0]!, SHARD_INDEX: "2", SHARD_COUNT: "2" })).toBe(
      "SHARD_INDEX must be below SHARD_COUNT (2): shards are numbered 0 to 1",
    );
    expect(errorOf({ ACCOUNT_ADDRESS: ADDRESSES[0]!, SHARD_INDEX: "1", SHARD_COUNT: "2" })).toBe(
      "ACCOUNT_ADDRESS lists 1 account(s), so shard 1 of 2 has none: deploy with shards=1 or fewer",
    );
    expect(errorOf({ ACCOUNT_ADDRESS: ADDRESSES[0]!, SHARD_COUNT: "0" })).toMatch(/^SHARD_COUNT /);
    expect(errorOf({ ACCOUNT_ADDRESS: ADDRESSES[0]!, METRICS: "some" })).toBe(
      "METRICS must be essential or all",
    );
  });
});

describe("metrics a deployment pays for", () => {
  function flushOnce(metrics: Metrics, lines: string[]) {
    metrics.count("FramesReceived", 7);
    metrics.count("FillsStored", 2);
    metrics.gauge("AccountValue", 100.5);
    metrics.flush(1_700_000_000_000);
    return lines.map((line) => JSON.parse(line));
  }

  it("declares only the nine essential metrics by default; the rest stay log fields", () => {
    const lines: string[] = [];
    const [document] = flushOnce(new Metrics((line) => lines.push(line)), lines);
    const declared = document._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name);
    expect(ESSENTIAL_METRICS).toHaveLength(9);
    expect(declared.every((name: string) => ESSENTIAL_METRICS.includes(name as never))).toBe(true);
    expect(declared).toEqual(expect.arrayContaining(["Heartbeat", "FillsStored", "AccountValue"]));
    expect(declared).not.toContain("FramesReceived");
    // Still in the line for Logs Insights.
    expect(document).toMatchObject({ FramesReceived: 7, FillsStored: 2, AccountValue: 100.5 });
    expect(lines).toHaveLength(1);
  });

  it("declares every figure with METRICS=all, and a per-shard heartbeat with shards", () => {
    const lines: string[] = [];
    const metrics = new Metrics((line) => lines.push(line), { detail: "all", shard: { index: 2, count: 3 } });
    const [document, shardDocument] = flushOnce(metrics, lines);
    const declared = document._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name);
    expect(declared).toContain("FramesReceived");
    // Heartbeat, every counter, and the one gauge that has a value.
    expect(declared).toHaveLength(1 + Object.keys(COUNTERS).length + 1);
    expect(shardDocument._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: "HyperliquidMonitor",
      Dimensions: [["Shard"]],
      Metrics: [{ Name: "ShardHeartbeat", Unit: "Count" }],
    });
    expect(shardDocument).toMatchObject({ Shard: "2", ShardHeartbeat: 1 });
  });
});

describe("a task whose secret is not filled in yet", () => {
  it("exits 2 with one line by default", async () => {
    const { output, exited } = startMonitorProcess({ ACCOUNT_ADDRESS: "" });
    expect((await exited).code).toBe(2);
    expect(output().trim()).toBe(
      "configuration error: ACCOUNT_ADDRESS is required: set it to your account address (0x followed by 40 hex characters)",
    );
  });

  it("with ON_CONFIG_ERROR=wait stays up: healthy, not ready, says what to fix; exits 0 on SIGTERM", async () => {
    const { child, output, exited } = startMonitorProcess({
      ACCOUNT_ADDRESS: "",
      ON_CONFIG_ERROR: "wait",
      HEALTH_PORT: "0",
      SUPABASE_SERVICE_KEY: "service-key-never-logged",
    });
    let line: { healthPort: number; problem: string; level: string } | null = null;
    for (let i = 0; i < 100 && line === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const first = output().split("\n")[0];
      if (first && output().includes("\n")) line = JSON.parse(first);
    }
    expect(line).toMatchObject({
      level: "error",
      problem: expect.stringMatching(/^ACCOUNT_ADDRESS is required/),
    });
    const base = `http://127.0.0.1:${line!.healthPort}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, status: "unconfigured" });
    child.kill("SIGTERM");
    expect((await exited).code).toBe(0);
    expect(output()).not.toContain("service-key-never-logged");
  });
});

describe("the secrets as the task receives them: each secret's whole JSON in one variable", () => {
  const address = ADDRESSES[0]!;

  it("reads the keys present; a secret still at its empty placeholder means 'not set'", () => {
    const config = loadConfig({ CREDENTIALS_SECRET_JSON: JSON.stringify({ ACCOUNT_ADDRESS: address }) });
    expect(config.accounts).toEqual([address]);
    // The template's placeholder (never rewritten by a deploy): the task waits, saying what to put.
    expect(errorOf({ CREDENTIALS_SECRET_JSON: "{}" })).toBe(
      "ACCOUNT_ADDRESS is required: set it to your account address (0x followed by 40 hex characters)",
    );
    const supabase = loadConfig({
      DB_MODE: "supabase",
      CREDENTIALS_SECRET_JSON: JSON.stringify({ ACCOUNT_ADDRESS: address, UNRELATED: "x" }),
      // The anon key may be absent; keys this version does not know are ignored.
      SUPABASE_SECRET_JSON: JSON.stringify({
        SUPABASE_URL: "https://p.supabase.co",
        SUPABASE_SERVICE_KEY: "sk",
      }),
    });
    expect(supabase.supabase).toEqual({ url: "https://p.supabase.co", serviceKey: "sk" });
    expect(
      errorOf({
        DB_MODE: "supabase",
        CREDENTIALS_SECRET_JSON: JSON.stringify({ ACCOUNT_ADDRESS: address }),
        SUPABASE_SECRET_JSON: JSON.stringify({ SUPABASE_URL: "https://p.supabase.co" }),
      }),
    ).toMatch(/^SUPABASE_SERVICE_KEY is required with DB_MODE=supabase/);
  });

  it("says which secret is not a JSON object, without echoing its value", () => {
    const message = errorOf({ CREDENTIALS_SECRET_JSON: "0xnot-json-secret-value" });
    expect(message).toBe(
      `the credentials secret (CREDENTIALS_SECRET_JSON) is not a JSON object: put {"ACCOUNT_ADDRESS":"0x…"} with the put-secret-value command in the stack outputs`,
    );
    expect(message).not.toContain("not-json-secret-value");
    expect(errorOf({ CREDENTIALS_SECRET_JSON: JSON.stringify({ ACCOUNT_ADDRESS: 5 }) })).toBe(
      "the credentials secret (CREDENTIALS_SECRET_JSON) has ACCOUNT_ADDRESS that is not a string: put it as text",
    );
  });

  it("refuses a trading key in the credentials secret: the monitor is read-only", () => {
    const key = `0x${"ab".repeat(32)}`;
    const message = errorOf({
      CREDENTIALS_SECRET_JSON: JSON.stringify({ ACCOUNT_ADDRESS: address, HYPERLIQUID_API_KEY: key }),
    });
    expect(message).toBe(
      "the credentials secret (CREDENTIALS_SECRET_JSON) holds HYPERLIQUID_API_KEY: the monitor is read-only and must not be given a trading key; put the secret again with ACCOUNT_ADDRESS only",
    );
    expect(message).not.toContain(key);
    // The empty key an older template created is no key at all.
    expect(
      loadConfig({
        CREDENTIALS_SECRET_JSON: JSON.stringify({ ACCOUNT_ADDRESS: address, HYPERLIQUID_API_KEY: "" }),
      }).accounts,
    ).toEqual([address]);
  });

  it("a task started on the empty placeholder waits (healthy, not ready) instead of failing to start", async () => {
    const { child, output, exited } = startMonitorProcess({
      CREDENTIALS_SECRET_JSON: "{}",
      ON_CONFIG_ERROR: "wait",
      HEALTH_PORT: "0",
    });
    let line: { healthPort: number; problem: string } | null = null;
    for (let i = 0; i < 100 && line === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const first = output().split("\n")[0];
      if (first && output().includes("\n")) line = JSON.parse(first);
    }
    expect(line?.problem).toMatch(/^ACCOUNT_ADDRESS is required/);
    expect((await fetch(`http://127.0.0.1:${line!.healthPort}/health`)).status).toBe(200);
    child.kill("SIGTERM");
    expect((await exited).code).toBe(0);
  });
});
