/**
 * bin/smoke-check.ts against a scripted AWS CLI and a fake clock: the names it uses are the stack's
 * and the monitor's own, it waits for every shard's heartbeat from after the steady state, and it gives
 * up in bounded time with one line saying what to do.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AwsCli, awsCli, SmokeCheckError, scaleToZero, smokeCheck } from "../../bin/smoke-check.ts";
import { Naming } from "../../lib/naming.ts";
import { SHARD_DIMENSION, SHARD_HEARTBEAT } from "../../monitor/src/telemetry/metrics.ts";

const START = Date.parse("2026-11-22T10:00:20Z");
const MINUTE = 60_000;

interface Scenario {
  /** The stage whose cluster name the stack's outputs give (staging unless told). */
  stage?: string;
  status?: string;
  services?: string[];
  outputs?: { OutputKey: string; OutputValue: string }[];
  /** Heartbeats arrive for a metric (and dimension value) once the clock reaches this time. */
  heartbeatAt?: (metric: string, dimensions: string[]) => number | null;
  servicesStable?: boolean;
}

function scripted(scenario: Scenario = {}) {
  let time = START;
  const calls: string[][] = [];
  const aws: AwsCli = async (args, timeoutMs) => {
    calls.push([...args]);
    expect(timeoutMs).toBeGreaterThan(0);
    const command = args.slice(0, 2).join(" ");
    const value = (flag: string) => args[args.indexOf(flag) + 1]!;
    if (command === "cloudformation describe-stacks") {
      return JSON.stringify({
        Stacks: [
          {
            StackStatus: scenario.status ?? "UPDATE_COMPLETE",
            Outputs: scenario.outputs ?? [
              { OutputKey: "ClusterName", OutputValue: new Naming(scenario.stage ?? "staging").clusterName },
              {
                OutputKey: "ServiceNames",
                OutputValue: (scenario.services ?? ["hl-monitor-service-staging"]).join(","),
              },
            ],
          },
        ],
      });
    }
    if (command === "ecs update-service") {
      expect(args).toContain("--no-cli-pager");
      return JSON.stringify({ service: { serviceName: value("--service") } });
    }
    if (command === "ecs wait") {
      time += 3 * MINUTE;
      if (scenario.servicesStable === false)
        throw new SmokeCheckError("aws ecs wait failed: Max attempts exceeded");
      return "";
    }
    if (command === "cloudwatch get-metric-statistics") {
      const dimensionsAt = args.indexOf("--dimensions");
      const dimensions = dimensionsAt < 0 ? [] : [args[dimensionsAt + 1]!];
      const at = scenario.heartbeatAt
        ? scenario.heartbeatAt(value("--metric-name"), dimensions)
        : START + 4 * MINUTE;
      const start = Date.parse(value("--start-time"));
      const end = Date.parse(value("--end-time"));
      expect(end).toBeGreaterThan(start);
      if (at === null || end < at) return JSON.stringify({ Label: value("--metric-name"), Datapoints: [] });
      const bucket = new Date(Math.floor(Math.max(at, start) / MINUTE) * MINUTE).toISOString();
      return JSON.stringify({
        Label: value("--metric-name"),
        Datapoints: [{ Timestamp: bucket.replace(".000Z", "+00:00"), SampleCount: 1, Unit: "Count" }],
      });
    }
    throw new Error(`unexpected aws ${args.join(" ")}`);
  };
  const lines: string[] = [];
  return {
    calls,
    lines,
    elapsed: () => time - START,
    options: {
      aws,
      log: (line: string) => lines.push(line),
      now: () => time,
      sleep: async (ms: number) => {
        expect(ms).toBeGreaterThan(0);
        time += ms;
      },
    },
  };
}

const metricCalls = (calls: string[][]) => calls.filter((c) => c[1] === "get-metric-statistics");
const flag = (call: string[], name: string) => call[call.indexOf(name) + 1];

describe("smoke check", () => {
  it("staging: the stage's stack, its services, then Heartbeat (no dimensions) in the stage's namespace", async () => {
    const run = scripted();
    const result = await smokeCheck({ stage: "staging", ...run.options });
    expect(result).toMatchObject({
      stackName: "HyperliquidMonitor-staging",
      cluster: "hl-monitor-cluster-staging",
      services: ["hl-monitor-service-staging"],
      namespace: "HyperliquidMonitor/staging",
    });
    expect(run.calls[0]).toEqual([
      "cloudformation",
      "describe-stacks",
      "--stack-name",
      "HyperliquidMonitor-staging",
      "--output",
      "json",
    ]);
    expect(run.calls[1]).toEqual([
      "ecs",
      "wait",
      "services-stable",
      "--cluster",
      "hl-monitor-cluster-staging",
      "--services",
      "hl-monitor-service-staging",
    ]);
    const metric = metricCalls(run.calls);
    expect(metric.length).toBeGreaterThan(0);
    for (const call of metric) {
      expect(flag(call, "--namespace")).toBe("HyperliquidMonitor/staging");
      expect(flag(call, "--metric-name")).toBe("Heartbeat");
      expect(call).not.toContain("--dimensions");
      expect(flag(call, "--statistics")).toBe("SampleCount");
      expect(flag(call, "--period")).toBe("60");
    }
    expect(run.lines.at(-1)).toBe("smoke check passed: HyperliquidMonitor-staging");
  });

  it("counts only whole minutes that begin a minute after the services became stable", async () => {
    const run = scripted();
    await smokeCheck({ stage: "staging", ...run.options });
    const stableAt = START + 3 * MINUTE; // the scripted waiter takes three minutes
    for (const call of metricCalls(run.calls)) {
      const since = Date.parse(flag(call, "--start-time")!);
      expect(since % MINUTE).toBe(0);
      expect(since).toBeGreaterThanOrEqual(stableAt + MINUTE);
      expect(since).toBeLessThan(stableAt + 2 * MINUTE);
    }
  });

  it("prod with three shards: each shard's ShardHeartbeat in the plain namespace", async () => {
    const services = ["hl-monitor-service-0", "hl-monitor-service-1", "hl-monitor-service-2"];
    // Shard 2 reports two minutes after the others.
    const run = scripted({
      stage: "prod",
      services,
      heartbeatAt: (_metric, dimensions) => START + (dimensions[0]?.endsWith("=2") ? 8 : 6) * MINUTE,
    });
    const result = await smokeCheck({ stage: "prod", ...run.options });
    expect(result.stackName).toBe("HyperliquidMonitor");
    expect(result.namespace).toBe("HyperliquidMonitor");
    expect(run.calls[0]).toContain("HyperliquidMonitor");
    const metric = metricCalls(run.calls);
    const asked = new Set(
      metric.map((call) => `${flag(call, "--metric-name")} ${flag(call, "--dimensions")}`),
    );
    expect([...asked].sort()).toEqual(
      [0, 1, 2].map((shard) => `${SHARD_HEARTBEAT} Name=${SHARD_DIMENSION},Value=${shard}`),
    );
    for (const call of metric) expect(flag(call, "--namespace")).toBe("HyperliquidMonitor");
    // Once a shard has reported it is not asked again.
    const lastShard0 = metric.findLastIndex((call) => flag(call, "--dimensions")!.endsWith("=0"));
    const lastShard2 = metric.findLastIndex((call) => flag(call, "--dimensions")!.endsWith("=2"));
    expect(lastShard0).toBeLessThan(lastShard2);
  });

  it("waits for at most ten services per call, as DescribeServices allows", async () => {
    const services = Array.from({ length: 12 }, (_, i) => `hl-monitor-service-staging-${i}`);
    const run = scripted({ services });
    await smokeCheck({ stage: "staging", ...run.options });
    const waits = run.calls.filter((c) => c[1] === "wait");
    expect(waits.map((c) => c.slice(c.indexOf("--services") + 1))).toEqual([
      services.slice(0, 10),
      services.slice(10),
    ]);
  });

  it("gives up after the heartbeat timeout with one line that says what to do", async () => {
    const run = scripted({ heartbeatAt: () => null });
    const error = await smokeCheck({
      stage: "staging",
      heartbeatTimeoutMs: 10 * MINUTE,
      ...run.options,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmokeCheckError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^no heartbeat from the monitor in HyperliquidMonitor\/staging within 10 minutes/,
    );
    expect(message).toContain("PutCredentialsCommand");
    expect(message).toContain("/ecs/hl-monitor-staging");
    expect(message).not.toContain("\n");
    // Bounded: three minutes of waiter, ten of heartbeat polls every 30 s.
    expect(run.elapsed()).toBe(13 * MINUTE);
    expect(metricCalls(run.calls).length).toBeLessThanOrEqual(20);
  });

  it("fails at once on a stack that did not complete, or on outputs that are not an hl-monitor stack's", async () => {
    const rolledBack = scripted({ status: "UPDATE_ROLLBACK_COMPLETE" });
    await expect(smokeCheck({ stage: "staging", ...rolledBack.options })).rejects.toThrow(
      "stack HyperliquidMonitor-staging is UPDATE_ROLLBACK_COMPLETE, not CREATE_COMPLETE or UPDATE_COMPLETE",
    );
    expect(rolledBack.calls).toHaveLength(1);
    const foreign = scripted({ outputs: [{ OutputKey: "BucketName", OutputValue: "b" }] });
    await expect(smokeCheck({ stage: "staging", ...foreign.options })).rejects.toThrow(
      "stack HyperliquidMonitor-staging has no output ClusterName: is it an hl-monitor stack?",
    );
  });

  it("fails at once when the cluster or services are not named as the README's runbook names them", async () => {
    const generated = scripted({
      outputs: [
        { OutputKey: "ClusterName", OutputValue: "HyperliquidMonitor-staging-MonitorCluster1-abc" },
        { OutputKey: "ServiceNames", OutputValue: "hl-monitor-service-staging" },
      ],
    });
    await expect(smokeCheck({ stage: "staging", ...generated.options })).rejects.toThrow(
      "stack HyperliquidMonitor-staging names its cluster HyperliquidMonitor-staging-MonitorCluster1-abc and its services hl-monitor-service-staging, not hl-monitor-cluster-staging and hl-monitor-service-staging: the runbook's commands (--cluster hl-monitor-cluster-staging) would not find them",
    );
    expect(generated.calls).toHaveLength(1);
    const sharded = scripted({ services: ["hl-monitor-service-staging-0", "hl-monitor-service-staging-1"] });
    await expect(smokeCheck({ stage: "staging", ...sharded.options })).resolves.toMatchObject({
      services: ["hl-monitor-service-staging-0", "hl-monitor-service-staging-1"],
    });
  });

  it("reports services that never become stable, pointing at their events", async () => {
    const run = scripted({ servicesStable: false });
    const error = (await smokeCheck({ stage: "staging", ...run.options }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(SmokeCheckError);
    expect(error.message).toMatch(/did not reach a steady state within 10 minutes/);
    expect(error.message).toContain("circuit breaker");
    expect(error.message).toContain("aws ecs describe-services --cluster hl-monitor-cluster-staging");
    expect(metricCalls(run.calls)).toHaveLength(0);
  });
});

describe("a stage deployed stopped (--scale-from-zero)", () => {
  const desiredCounts = (calls: string[][]) =>
    calls
      .filter((c) => c.slice(0, 2).join(" ") === "ecs update-service")
      .map((c) => `${flag(c, "--cluster")} ${flag(c, "--service")} ${flag(c, "--desired-count")}`);

  it("runs one task per service for the check, then scales every service back to zero", async () => {
    const services = ["hl-monitor-service-staging-0", "hl-monitor-service-staging-1"];
    const run = scripted({ services });
    await smokeCheck({ stage: "staging", scaleFromZero: true, ...run.options });
    expect(desiredCounts(run.calls)).toEqual([
      "hl-monitor-cluster-staging hl-monitor-service-staging-0 1",
      "hl-monitor-cluster-staging hl-monitor-service-staging-1 1",
      "hl-monitor-cluster-staging hl-monitor-service-staging-0 0",
      "hl-monitor-cluster-staging hl-monitor-service-staging-1 0",
    ]);
    // Up before the waiter, down after the last heartbeat query.
    const updates = run.calls.flatMap((c, i) => (c[1] === "update-service" ? [i] : []));
    expect(updates[1]).toBeLessThan(run.calls.findIndex((c) => c[1] === "wait"));
    expect(updates[2]).toBeGreaterThan(run.calls.findLastIndex((c) => c[1] === "get-metric-statistics"));
    expect(run.lines).toContain(
      "scaled hl-monitor-service-staging-0, hl-monitor-service-staging-1 back to 0 tasks",
    );
  });

  it("scales back to zero when the heartbeat never arrives, and still reports that failure", async () => {
    const run = scripted({ heartbeatAt: () => null });
    const error = await smokeCheck({ stage: "staging", scaleFromZero: true, ...run.options }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/^no heartbeat from the monitor/);
    expect(desiredCounts(run.calls)).toEqual([
      "hl-monitor-cluster-staging hl-monitor-service-staging 1",
      "hl-monitor-cluster-staging hl-monitor-service-staging 0",
    ]);
    expect(run.calls.at(-1)![1]).toBe("update-service");
  });

  it("scales back to zero when the services never become stable", async () => {
    const run = scripted({ servicesStable: false });
    await expect(smokeCheck({ stage: "staging", scaleFromZero: true, ...run.options })).rejects.toThrow(
      /did not reach a steady state/,
    );
    expect(desiredCounts(run.calls)).toEqual([
      "hl-monitor-cluster-staging hl-monitor-service-staging 1",
      "hl-monitor-cluster-staging hl-monitor-service-staging 0",
    ]);
  });

  it("scaleToZero (the workflow's step for a cancelled run) stops every service of the stage, whatever the stack's status", async () => {
    const services = ["hl-monitor-service-staging-0", "hl-monitor-service-staging-1"];
    const run = scripted({ services, status: "UPDATE_IN_PROGRESS" });
    await scaleToZero({ stage: "staging", ...run.options });
    expect(run.calls.map((c) => c.slice(0, 2).join(" "))).toEqual([
      "cloudformation describe-stacks",
      "ecs update-service",
      "ecs update-service",
    ]);
    expect(desiredCounts(run.calls)).toEqual([
      "hl-monitor-cluster-staging hl-monitor-service-staging-0 0",
      "hl-monitor-cluster-staging hl-monitor-service-staging-1 0",
    ]);
  });

  it("without the option (prod) changes no desired count", async () => {
    const run = scripted({ stage: "prod", services: ["hl-monitor-service"] });
    await smokeCheck({ stage: "prod", ...run.options });
    expect(desiredCounts(run.calls)).toEqual([]);
  });

  it("the command scales back through the real AWS CLI even when the check fails", () => {
    const dir = mkdtempSync(join(tmpdir(), "hl-fake-aws-"));
    try {
      const log = join(dir, "calls.log");
      // A fake `aws`: the stack's outputs, an update-service that answers, a waiter that gives up.
      writeFileSync(
        join(dir, "aws"),
        [
          "#!/bin/sh",
          `echo "$*" >> "${log}"`,
          'case "$1 $2" in',
          `  "cloudformation describe-stacks") echo '${JSON.stringify({
            Stacks: [
              {
                StackStatus: "UPDATE_COMPLETE",
                Outputs: [
                  { OutputKey: "ClusterName", OutputValue: "hl-monitor-cluster-staging" },
                  { OutputKey: "ServiceNames", OutputValue: "hl-monitor-service-staging" },
                ],
              },
            ],
          })}' ;;`,
          `  "ecs update-service") echo '{}' ;;`,
          '  "ecs wait") echo "Waiter ServicesStable failed: Max attempts exceeded" >&2; exit 255 ;;',
          '  *) echo "unexpected" >&2; exit 2 ;;',
          "esac",
          "",
        ].join("\n"),
      );
      chmodSync(join(dir, "aws"), 0o755);
      const result = spawnSync(
        process.execPath,
        ["bin/smoke-check.ts", "--stage", "staging", "--scale-from-zero"],
        { encoding: "utf8", timeout: 30_000, env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } },
      );
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^smoke check failed: services hl-monitor-service-staging did not reach/);
      expect(readFileSync(log, "utf8").trim().split("\n")).toEqual([
        "cloudformation describe-stacks --stack-name HyperliquidMonitor-staging --output json",
        "ecs update-service --cluster hl-monitor-cluster-staging --service hl-monitor-service-staging --desired-count 1 --no-cli-pager --output json",
        "ecs wait services-stable --cluster hl-monitor-cluster-staging --services hl-monitor-service-staging",
        "ecs update-service --cluster hl-monitor-cluster-staging --service hl-monitor-service-staging --desired-count 0 --no-cli-pager --output json",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the AWS CLI runner", () => {
  const withFakeAws = async (script: string, body: () => Promise<void>) => {
    const dir = mkdtempSync(join(tmpdir(), "hl-fake-aws-"));
    writeFileSync(join(dir, "aws"), `#!/bin/sh\n${script}\n`);
    chmodSync(join(dir, "aws"), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${dir}:${path}`;
    try {
      await body();
    } finally {
      process.env.PATH = path;
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("passes the arguments unchanged and resolves with standard output", async () => {
    await withFakeAws('printf "%s|" "$@"', async () => {
      expect(await awsCli(["ecs", "wait", "services-stable", "--services", "a b"], 10_000)).toBe(
        "ecs|wait|services-stable|--services|a b|",
      );
    });
  });

  it("rejects with the last line the CLI printed to standard error", async () => {
    await withFakeAws(
      'echo "" >&2; echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id X does not exist" >&2; exit 254',
      async () => {
        await expect(awsCli(["cloudformation", "describe-stacks"], 10_000)).rejects.toThrow(
          new SmokeCheckError(
            "aws cloudformation describe-stacks failed: An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id X does not exist",
          ),
        );
      },
    );
  });

  it("stops a call that outlives its timeout", async () => {
    await withFakeAws("sleep 5", async () => {
      const started = Date.now();
      await expect(awsCli(["ecs", "wait"], 200)).rejects.toBeInstanceOf(SmokeCheckError);
      expect(Date.now() - started).toBeLessThan(4_000);
    });
  });
});
