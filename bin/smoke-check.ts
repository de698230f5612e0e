/**
 * `node bin/smoke-check.ts --stage staging|prod [--heartbeat-minutes 10] [--scale-from-zero]`, run by the
 * deploy workflow after each `cdk deploy`: the stage's stack completed, its ECS services reach a steady
 * state, and every monitor's heartbeat arrives in CloudWatch. Bounded in time; exits 1 with one line
 * saying what failed.
 *
 * `--scale-from-zero` is for a stage deployed stopped (`--context desired_count=0`, as the pipeline
 * deploys staging, so it costs nothing between releases): each service is scaled to one task for the
 * check and back to zero afterwards, whether the check passed or not. `--scale-to-zero` only scales the
 * stage's services to zero (for a run cancelled during the check).
 *
 * It drives the AWS CLI (present on GitHub's runners) with the credentials of the job, and takes every
 * name from the stack's outputs and from lib/naming.ts and the monitor's telemetry, the code that named
 * them. Each environment's deploy role allows exactly the calls made here for its own stage
 * (lib/deployAccessStack.ts).
 */
import { execFile } from "node:child_process";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Naming } from "../lib/naming.ts";
import { SHARD_DIMENSION, SHARD_HEARTBEAT } from "../monitor/src/telemetry/metrics.ts";

/** Runs `aws <args>` and resolves with its standard output, or rejects with a SmokeCheckError. */
export type AwsCli = (args: readonly string[], timeoutMs: number) => Promise<string>;

export class SmokeCheckError extends Error {
  override name = "SmokeCheckError";
}

export interface SmokeCheckOptions {
  stage: string;
  aws: AwsCli;
  log?: (line: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** How long after the services are stable every heartbeat has to arrive. */
  heartbeatTimeoutMs?: number;
  pollIntervalMs?: number;
  /** Run one task per service for the check, and scale back to zero after it (pass or fail). */
  scaleFromZero?: boolean;
}

export interface HeartbeatSource {
  label: string;
  metricName: string;
  /** `Name=…,Value=…` as the CLI takes them; none for the single-shard Heartbeat. */
  dimensions: string[];
}

export interface SmokeCheckResult {
  stackName: string;
  cluster: string;
  services: string[];
  namespace: string;
  heartbeats: HeartbeatSource[];
}

const MINUTE = 60_000;
/** `aws ecs wait services-stable` gives up by itself after 40 polls 15 s apart. */
const SERVICES_STABLE_TIMEOUT_MS = 12 * MINUTE;
const CALL_TIMEOUT_MS = MINUTE;
/** DescribeServices, which the waiter calls, takes at most 10 services. */
const SERVICES_PER_WAIT = 10;
const COMPLETE = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE"]);

/**
 * One heartbeat per monitor task: a single service emits `Heartbeat` without dimensions; with shards,
 * each emits `ShardHeartbeat` with its shard number (the order of the ServiceNames output).
 */
export function heartbeatSources(serviceCount: number): HeartbeatSource[] {
  if (serviceCount === 1) return [{ label: "the monitor", metricName: "Heartbeat", dimensions: [] }];
  return Array.from({ length: serviceCount }, (_, shard) => ({
    label: `shard ${shard}`,
    metricName: SHARD_HEARTBEAT,
    dimensions: [`Name=${SHARD_DIMENSION},Value=${shard}`],
  }));
}

const ceilToMinute = (time: number) => Math.ceil(time / MINUTE) * MINUTE;
const iso = (time: number) => new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new SmokeCheckError(`${what} did not answer JSON: ${text.slice(0, 200)}`);
  }
}

export async function smokeCheck(options: SmokeCheckOptions): Promise<SmokeCheckResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const naming = new Naming(options.stage);
  const stackName = naming.stackName;

  const { cluster, services } = await stageServices(options.aws, naming, log, true);

  if (!options.scaleFromZero) {
    await checkRunningStage(options, { cluster, services, naming, log, now, sleep });
  } else {
    // Scaling up is inside the `try`: a failure half-way (the second of two services) still scales
    // the first one back.
    let failure: unknown = null;
    try {
      await setDesiredCount(options.aws, cluster, services, 1);
      log(`scaled ${services.join(", ")} to 1 task for the check`);
      await checkRunningStage(options, { cluster, services, naming, log, now, sleep });
    } catch (error) {
      failure = error;
    }
    try {
      await setDesiredCount(options.aws, cluster, services, 0);
      log(`scaled ${services.join(", ")} back to 0 tasks`);
    } catch (error) {
      // Said even when the check itself failed: a stage left running costs money until the next release.
      const before = failure instanceof Error ? `${failure.message}; and then ` : "";
      throw new SmokeCheckError(
        `${before}scaling back to 0 tasks failed (${(error as Error).message}): run aws ecs update-service --cluster ${cluster} --service <each of ${services.join(", ")}> --desired-count 0`,
      );
    }
    if (failure) throw failure;
  }
  log(`smoke check passed: ${stackName}`);
  return {
    stackName,
    cluster,
    services,
    namespace: naming.metricNamespace,
    heartbeats: heartbeatSources(services.length),
  };
}

/** The stage's cluster and services, from its stack's outputs, checked against lib/naming.ts. */
async function stageServices(
  aws: AwsCli,
  naming: Naming,
  log: (line: string) => void,
  requireComplete: boolean,
): Promise<{ cluster: string; services: string[] }> {
  const stackName = naming.stackName;
  const described = parseJson<{
    Stacks?: { StackStatus: string; Outputs?: { OutputKey: string; OutputValue: string }[] }[];
  }>(
    await aws(
      ["cloudformation", "describe-stacks", "--stack-name", stackName, "--output", "json"],
      CALL_TIMEOUT_MS,
    ),
    "cloudformation describe-stacks",
  );
  const stack = described.Stacks?.[0];
  if (!stack) throw new SmokeCheckError(`stack ${stackName} was not found`);
  if (requireComplete && !COMPLETE.has(stack.StackStatus)) {
    throw new SmokeCheckError(
      `stack ${stackName} is ${stack.StackStatus}, not CREATE_COMPLETE or UPDATE_COMPLETE: the last deployment did not complete (see its events in the CloudFormation console)`,
    );
  }
  const output = (key: string) => {
    const value = stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
    if (!value)
      throw new SmokeCheckError(`stack ${stackName} has no output ${key}: is it an hl-monitor stack?`);
    return value;
  };
  const cluster = output("ClusterName");
  const services = output("ServiceNames").split(",");
  // The README's runbook (and the specification's) names them; a generated name would break it.
  const expectedServices = services.map((_, shard) => naming.serviceName(shard, services.length));
  if (cluster !== naming.clusterName || services.join(",") !== expectedServices.join(",")) {
    throw new SmokeCheckError(
      `stack ${stackName} names its cluster ${cluster} and its services ${services.join(", ")}, not ${naming.clusterName} and ${expectedServices.join(", ")}: the runbook's commands (--cluster ${naming.clusterName}) would not find them`,
    );
  }
  log(`stack ${stackName}: ${stack.StackStatus}; cluster ${cluster}, services ${services.join(", ")}`);

  return { cluster, services };
}

/**
 * Scales every service of the stage to zero tasks: the deploy workflow's step for a run cancelled while
 * the smoke check had staging running (a cancelled process does not reach its own scale-down).
 */
export async function scaleToZero(options: Pick<SmokeCheckOptions, "stage" | "aws" | "log">): Promise<void> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const naming = new Naming(options.stage);
  // Whatever the stack's status: a cancelled deployment may still be in progress.
  const { cluster, services } = await stageServices(options.aws, naming, log, false);
  await setDesiredCount(options.aws, cluster, services, 0);
  log(`scaled ${services.join(", ")} to 0 tasks`);
}

async function setDesiredCount(aws: AwsCli, cluster: string, services: string[], count: number) {
  for (const service of services) {
    await aws(
      [
        "ecs",
        "update-service",
        "--cluster",
        cluster,
        "--service",
        service,
        "--desired-count",
        String(count),
        "--no-cli-pager",
        "--output",
        "json",
      ],
      CALL_TIMEOUT_MS,
    );
  }
}

/** The services reach a steady state, then every monitor's heartbeat arrives. */
async function checkRunningStage(
  options: SmokeCheckOptions,
  context: {
    cluster: string;
    services: string[];
    naming: Naming;
    log: (line: string) => void;
    now: () => number;
    sleep: (ms: number) => Promise<void>;
  },
): Promise<void> {
  const { cluster, services, naming, log, now, sleep } = context;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 10 * MINUTE;
  const pollIntervalMs = options.pollIntervalMs ?? 30_000;

  for (let first = 0; first < services.length; first += SERVICES_PER_WAIT) {
    const batch = services.slice(first, first + SERVICES_PER_WAIT);
    try {
      await options.aws(
        ["ecs", "wait", "services-stable", "--cluster", cluster, "--services", ...batch],
        SERVICES_STABLE_TIMEOUT_MS,
      );
    } catch (error) {
      throw new SmokeCheckError(
        `services ${batch.join(", ")} did not reach a steady state within 10 minutes (${(error as Error).message}); the circuit breaker rolls a failing deployment back, and the service's events say why: aws ecs describe-services --cluster ${cluster} --services ${batch[0]} --query 'services[0].events[:10].message'`,
      );
    }
  }
  const stableAt = now();
  log(`services stable at ${iso(stableAt)}`);

  // A task this deployment replaced flushes a last heartbeat as it stops; counting only whole minutes
  // that begin a minute after the services became stable leaves that one out.
  const since = ceilToMinute(stableAt + MINUTE);
  // At least one whole minute is looked at, however short the timeout.
  const deadline = Math.max(stableAt + heartbeatTimeoutMs, since + MINUTE);
  const namespace = naming.metricNamespace;
  const heartbeats = heartbeatSources(services.length);
  const pending = new Set(heartbeats);
  log(
    `waiting for a heartbeat from ${heartbeats.map((h) => h.label).join(", ")} in ${namespace} from ${iso(since)}`,
  );

  for (;;) {
    const time = now();
    if (time >= since + 1_000) {
      for (const source of [...pending]) {
        const arrived = await firstHeartbeat(options.aws, namespace, source, since, time);
        if (arrived) {
          pending.delete(source);
          log(`heartbeat from ${source.label} (${source.metricName}) in the minute from ${arrived}`);
        }
      }
      if (pending.size === 0) break;
    }
    if (time >= deadline) {
      throw new SmokeCheckError(
        `no heartbeat from ${[...pending].map((h) => h.label).join(", ")} in ${namespace} within ${Math.round((deadline - stableAt) / MINUTE)} minutes of a steady state: the task runs but does not monitor. On a first deployment it waits for its secrets: run the stack's outputs PutCredentialsCommand and ForceNewDeploymentCommand, then re-run this job; otherwise read the log group ${naming.logGroupName}`,
      );
    }
    const wait = time >= since + 1_000 ? pollIntervalMs : since + 1_000 - time;
    await sleep(Math.min(wait, deadline - time));
  }
}

/** The start of the first minute from `since` with a heartbeat sample, or null. */
async function firstHeartbeat(
  aws: AwsCli,
  namespace: string,
  source: HeartbeatSource,
  since: number,
  until: number,
): Promise<string | null> {
  const answer = parseJson<{ Datapoints?: { SampleCount?: number; Timestamp: string }[] }>(
    await aws(
      [
        "cloudwatch",
        "get-metric-statistics",
        "--namespace",
        namespace,
        "--metric-name",
        source.metricName,
        ...(source.dimensions.length > 0 ? ["--dimensions", ...source.dimensions] : []),
        "--start-time",
        iso(since),
        "--end-time",
        iso(until),
        "--period",
        "60",
        "--statistics",
        "SampleCount",
        "--output",
        "json",
      ],
      CALL_TIMEOUT_MS,
    ),
    "cloudwatch get-metric-statistics",
  );
  const samples = (answer.Datapoints ?? []).filter((point) => (point.SampleCount ?? 0) > 0);
  samples.sort((a, b) => Date.parse(a.Timestamp) - Date.parse(b.Timestamp));
  return samples[0]?.Timestamp ?? null;
}

/** The AWS CLI as a child process; the region and credentials come from the environment. */
export const awsCli: AwsCli = (args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(
      "aws",
      [...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const detail = stderr.trim().split("\n").filter(Boolean).pop() ?? error.message;
        reject(new SmokeCheckError(`aws ${args.slice(0, 2).join(" ")} failed: ${detail}`));
      },
    );
  });

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      stage: { type: "string" },
      "heartbeat-minutes": { type: "string", default: "10" },
      "scale-from-zero": { type: "boolean", default: false },
      "scale-to-zero": { type: "boolean", default: false },
    },
  });
  const minutes = Number(values["heartbeat-minutes"]);
  if (!values.stage || !/^[a-z][a-z0-9-]{0,19}$/.test(values.stage) || !(minutes >= 1 && minutes <= 60)) {
    process.stderr.write(
      "smoke check: use --stage <stage, e.g. staging or prod> [--heartbeat-minutes 1-60] [--scale-from-zero | --scale-to-zero]\n",
    );
    process.exit(2);
  }
  try {
    if (values["scale-to-zero"]) await scaleToZero({ stage: values.stage, aws: awsCli });
    else
      await smokeCheck({
        stage: values.stage,
        aws: awsCli,
        heartbeatTimeoutMs: minutes * MINUTE,
        scaleFromZero: values["scale-from-zero"],
      });
  } catch (error) {
    if (!(error instanceof SmokeCheckError)) throw error;
    process.stderr.write(`smoke check failed: ${error.message}\n`);
    process.exit(1);
  }
}
