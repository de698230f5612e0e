/**
 * The Spot capacity fallback's Lambda on loopback: EventBridge events in (the shapes ECS and CloudWatch
 * send), the real @aws-sdk/client-ecs against an ECS stand-in speaking the JSON 1.1 protocol, and the real
 * SNS client against the topic stand-in, whose messages the alert Lambda's classifier must read as alerts.
 */
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ECSClient } from "@aws-sdk/client-ecs";
import { SNSClient } from "@aws-sdk/client-sns";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { QUIET_PERIOD_MS } from "../../lambda-alerts/src/capacity/capacityDecision.ts";
import { type CapacityHandler, createCapacityHandler } from "../../lambda-alerts/src/capacity/handler.ts";
import { createLambdaLogger } from "../../lambda-alerts/src/logger.ts";
import { classifySnsMessage } from "../../lambda-alerts/src/snsMessage.ts";
import { EcsStandIn } from "../support/ecsStandIn.ts";
import { bundleLambda } from "../support/lambdaBundle.ts";
import { SnsStandIn } from "../support/snsStandIn.ts";

const CLUSTER = "hl-monitor-cluster";
const SERVICE = "hl-monitor-service";
const ALARM = "hl-monitor: no running task";
const START = Date.parse("2026-12-02T08:00:00Z");
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

/** An "ECS Service Action" event as DOCS ecs_service_events shows them (placement failure, steady state). */
function serviceAction(
  eventName: string,
  options: { service?: string; cluster?: string; reason?: string } = {},
) {
  const cluster = options.cluster ?? CLUSTER;
  return {
    version: "0",
    id: "57c9506e-9d21-294c-d2fe-e8738da7e67d",
    "detail-type": "ECS Service Action",
    source: "aws.ecs",
    account: "123456789012",
    time: new Date(clock).toISOString(),
    region: "eu-west-1",
    resources: [`arn:aws:ecs:eu-west-1:123456789012:service/${cluster}/${options.service ?? SERVICE}`],
    detail: {
      eventType: eventName === "SERVICE_STEADY_STATE" ? "INFO" : "ERROR",
      eventName,
      clusterArn: `arn:aws:ecs:eu-west-1:123456789012:cluster/${cluster}`,
      createdAt: new Date(clock).toISOString(),
      ...(eventName === "SERVICE_TASK_PLACEMENT_FAILURE"
        ? {
            capacityProviderArns: ["arn:aws:ecs:eu-west-1:123456789012:capacity-provider/FARGATE_SPOT"],
            reason: options.reason ?? "RESOURCE:FARGATE",
          }
        : {}),
    },
  };
}

/** A "CloudWatch Alarm State Change" event as DOCS cloudwatch-and-eventbridge shows it. */
function alarmChange(value: "ALARM" | "OK", alarmName = ALARM) {
  return {
    version: "0",
    id: "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
    "detail-type": "CloudWatch Alarm State Change",
    source: "aws.cloudwatch",
    account: "123456789012",
    time: new Date(clock).toISOString(),
    region: "eu-west-1",
    resources: [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: {
        value,
        reason: "Threshold Crossed: 5 datapoints were less than the threshold (1.0).",
        timestamp: "",
      },
      previousState: { value: value === "ALARM" ? "OK" : "ALARM", reason: "", timestamp: "" },
      configuration: { metrics: [] },
    },
  };
}

let ecsStandIn: EcsStandIn;
let sns: SnsStandIn;
let ecs: ECSClient;
let snsClient: SNSClient;
let clock = START;
let logs: string[];
let handle: CapacityHandler;

beforeAll(async () => {
  [ecsStandIn, sns] = await Promise.all([EcsStandIn.start(CLUSTER), SnsStandIn.start()]);
  ecsStandIn.now = () => clock;
  ecs = new ECSClient({ endpoint: ecsStandIn.endpoint, region: "eu-west-1", credentials, maxAttempts: 3 });
  snsClient = new SNSClient({ endpoint: sns.endpoint, region: "eu-west-1", credentials, maxAttempts: 3 });
});

afterAll(async () => {
  ecs.destroy();
  snsClient.destroy();
  await Promise.all([ecsStandIn.close(), sns.close()]);
});

beforeEach(() => {
  clock = START;
  ecsStandIn.services.clear();
  ecsStandIn.updateRequests.length = 0;
  sns.published.length = 0;
  ecsStandIn.addService(SERVICE, "FARGATE_SPOT", { createdAt: START - 86_400_000 });
  logs = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  handle = createCapacityHandler({
    env: {
      CLUSTER_NAME: CLUSTER,
      SERVICE_NAMES: SERVICE,
      NO_TASK_ALARMS: JSON.stringify({ [ALARM]: SERVICE }),
      ALERT_TOPIC_ARN: sns.topicArn,
      DASHBOARD_URL:
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home#dashboards:name=HyperliquidMonitor",
      AWS_REGION: "eu-west-1",
    },
    ecs,
    sns: snsClient,
    logger: createLambdaLogger({ destination }),
    now: () => clock,
  });
});

afterEach(() => {
  ecsStandIn.throttleNext(0);
});

const service = () => ecsStandIn.services.get(SERVICE)!;

describe("the Spot capacity fallback", () => {
  it("switches to on-demand FARGATE on a placement failure, once, and alerts the topic", async () => {
    const first = await handle(serviceAction("SERVICE_TASK_PLACEMENT_FAILURE"));
    expect(first).toMatchObject({ outcome: "switched", to: "FARGATE", service: SERVICE });
    // The request as the SDK put it on the wire (DOCS API_UpdateService request syntax).
    expect(ecsStandIn.updateRequests).toEqual([
      {
        cluster: CLUSTER,
        service: SERVICE,
        capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
        forceNewDeployment: true,
      },
    ]);
    expect(service().capacityProviderStrategy).toEqual([{ capacityProvider: "FARGATE", weight: 1, base: 0 }]);
    expect(service().deployments[0]).toMatchObject({ status: "PRIMARY", rolloutState: "IN_PROGRESS" });

    expect(sns.published).toHaveLength(1);
    const message = sns.published[0]!;
    expect(message.attributes).toEqual({ kind: "notification", severity: "warning" });
    expect(message.subject).toBe(
      "[hl-monitor] WARNING: Monitor moved to on-demand Fargate: no Spot capacity",
    );
    expect(message.email).toContain("ECS could not place a task on Spot (RESOURCE:FARGATE)");
    // The alert Lambda reads it as one of the monitor's own alerts and renders it like them.
    const classified = classifySnsMessage({ MessageId: message.messageId, Message: message.lambda });
    expect(classified.kind).toBe("monitor_alert");
    expect(classified.alert).toMatchObject({
      kind: "notification",
      severity: "warning",
      key: expect.stringMatching(/^capacity-on-demand:hl-monitor-service:ecs-svc\/\d+$/),
    });
    expect(classified.alert.fields).toContainEqual({ label: "Now on", value: "FARGATE (on-demand)" });

    // The old Spot deployment keeps failing to place while the new one starts: nothing more happens.
    clock += 60_000;
    const again = await handle(serviceAction("SERVICE_TASK_PLACEMENT_FAILURE"));
    expect(again).toEqual({ outcome: "unchanged", service: SERVICE, reason: "already on on-demand FARGATE" });
    expect(ecsStandIn.updateRequests).toHaveLength(1);
    expect(sns.published).toHaveLength(1);
  });

  it("switches when the 'no running task' alarm fires on Spot, not when it clears or the task is back", async () => {
    expect(await handle(alarmChange("OK"))).toMatchObject({ outcome: "skipped" });
    service().runningCount = 1;
    expect(await handle(alarmChange("ALARM"))).toMatchObject({
      outcome: "unchanged",
      reason: "the alarm is late: 1 of 1 tasks run now",
    });
    service().runningCount = 0;
    expect(await handle(alarmChange("ALARM"))).toMatchObject({ outcome: "switched", to: "FARGATE" });
    expect(sns.published[0]!.email).toContain("no task has run for 5 minutes on Spot");
  });

  it("returns to Spot at the first steady state after the quiet period, and falls back again if Spot is short", async () => {
    await handle(serviceAction("SERVICE_TASK_PLACEMENT_FAILURE"));
    const switchedAt = clock;

    clock = switchedAt + 10 * 60_000;
    expect(await handle(serviceAction("SERVICE_STEADY_STATE"))).toMatchObject({ outcome: "unchanged" });
    clock = switchedAt + QUIET_PERIOD_MS - 1;
    expect(await handle(serviceAction("SERVICE_STEADY_STATE"))).toMatchObject({ outcome: "unchanged" });
    expect(ecsStandIn.updateRequests).toHaveLength(1);

    clock = switchedAt + QUIET_PERIOD_MS + 5 * 60_000;
    expect(await handle(serviceAction("SERVICE_STEADY_STATE"))).toMatchObject({
      outcome: "switched",
      to: "FARGATE_SPOT",
    });
    expect(ecsStandIn.updateRequests.at(-1)).toEqual({
      cluster: CLUSTER,
      service: SERVICE,
      capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 }],
      forceNewDeployment: true,
    });
    expect(sns.published.at(-1)).toMatchObject({ attributes: { kind: "notification", severity: "info" } });
    expect(sns.published.at(-1)!.email).toContain("ran on on-demand FARGATE for 6.1 hours");
    // Another steady state on Spot: nothing to do.
    expect(await handle(serviceAction("SERVICE_STEADY_STATE"))).toMatchObject({
      outcome: "unchanged",
      reason: "on Spot already",
    });

    // Spot is still short: the return's deployment cannot place its task, so back to on-demand.
    clock += 2 * 60_000;
    expect(await handle(serviceAction("SERVICE_TASK_PLACEMENT_FAILURE"))).toMatchObject({
      outcome: "switched",
      to: "FARGATE",
    });
    expect(ecsStandIn.updateRequests).toHaveLength(3);
    expect(sns.published).toHaveLength(3);
    expect(new Set(sns.published.map((message) => JSON.parse(message.lambda).key)).size).toBe(3);
  });

  it("rides out a throttled ECS API: the SDK retries ThrottlingException", async () => {
    ecsStandIn.throttleNext(2);
    const outcome = await handle(serviceAction("SERVICE_TASK_PLACEMENT_FAILURE"));
    expect(outcome).toMatchObject({ outcome: "switched", to: "FARGATE" });
    // Two throttled DescribeServices, then the successful one, then UpdateService.
    expect(ecsStandIn.operations.slice(-4)).toEqual([
      "DescribeServices",
      "DescribeServices",
      "DescribeServices",
      "UpdateService",
    ]);
  });

  it("fails the invocation (for Lambda to retry) when ECS keeps throttling", async () => {
    ecsStandIn.throttleNext(10);
    await expect(handle(serviceAction("SERVICE_TASK_PLACEMENT_FAILURE"))).rejects.toMatchObject({
      name: "ThrottlingException",
    });
    expect(service().capacityProviderStrategy[0]!.capacityProvider).toBe("FARGATE_SPOT");
    expect(sns.published).toHaveLength(0);
  });

  it("ignores, counts and logs events that are not for this service", async () => {
    const other = await handle(serviceAction("SERVICE_TASK_PLACEMENT_FAILURE", { service: "web" }));
    expect(other).toMatchObject({ outcome: "skipped", skipped: 1 });
    const otherCluster = await handle(
      serviceAction("SERVICE_TASK_PLACEMENT_FAILURE", { cluster: "default" }),
    );
    expect(otherCluster).toMatchObject({ outcome: "skipped", skipped: 2 });
    const unknown = await handle({
      source: "aws.ec2",
      "detail-type": "EC2 Spot Instance Interruption Warning",
    });
    expect(unknown).toEqual({
      outcome: "skipped",
      skipped: 3,
      reason:
        "not an event the capacity fallback reads (source aws.ec2, detail-type EC2 Spot Instance Interruption Warning)",
    });
    const otherEcsEvent = await handle(serviceAction("SERVICE_DESIRED_COUNT_UPDATED"));
    expect(otherEcsEvent).toMatchObject({ outcome: "skipped", skipped: 4 });
    const otherAlarm = await handle(alarmChange("ALARM", "hl-monitor: CPU high"));
    expect(otherAlarm).toMatchObject({ outcome: "skipped", skipped: 5 });
    expect(ecsStandIn.updateRequests).toHaveLength(0);
    expect(sns.published).toHaveLength(0);
    const ignored = logs
      .map((line) => JSON.parse(line))
      .filter((line) => line.msg === "capacity: event ignored");
    expect(ignored).toHaveLength(5);
    expect(ignored[0]).toMatchObject({
      level: "warn",
      skipped: 1,
      reason: expect.stringContaining("service web"),
    });
  });

  it("does nothing for a service that no longer exists (DescribeServices answers MISSING)", async () => {
    ecsStandIn.services.clear();
    expect(await handle(serviceAction("SERVICE_TASK_PLACEMENT_FAILURE"))).toEqual({
      outcome: "unchanged",
      service: SERVICE,
      reason: "service missing",
    });
    expect(ecsStandIn.updateRequests).toHaveLength(0);
  });

  it("the stand-in answers like ECS: ClusterNotFoundException and ServiceNotFoundException", async () => {
    const { UpdateServiceCommand, DescribeServicesCommand } = await import("@aws-sdk/client-ecs");
    await expect(
      ecs.send(new DescribeServicesCommand({ cluster: "nope", services: [SERVICE] })),
    ).rejects.toMatchObject({ name: "ClusterNotFoundException", $metadata: { httpStatusCode: 400 } });
    await expect(
      ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: "nope", forceNewDeployment: true })),
    ).rejects.toMatchObject({ name: "ServiceNotFoundException", $metadata: { httpStatusCode: 400 } });
  });
});

describe("the capacity Lambda's settings", () => {
  it("says which variable is missing or malformed instead of failing later", () => {
    expect(() => createCapacityHandler({ env: {} })).toThrow(
      "SERVICE_NAMES is not set: the stack sets it (lib/capacityFallback.ts)",
    );
    expect(() =>
      createCapacityHandler({
        env: {
          SERVICE_NAMES: SERVICE,
          CLUSTER_NAME: CLUSTER,
          ALERT_TOPIC_ARN: sns.topicArn,
          NO_TASK_ALARMS: "{",
        },
      }),
    ).toThrow("NO_TASK_ALARMS must be a JSON object of alarm name to service name");
  });
});

describe("the capacity Lambda as deployed", () => {
  const ROOT = fileURLToPath(new URL("../..", import.meta.url));
  // Inside the project, so that the external AWS SDK resolves from node_modules as the runtime provides it.
  const OUT = join(ROOT, "data", `capacity-bundle-${process.pid}`);
  afterAll(() => rmSync(OUT, { recursive: true, force: true }));

  it("bundles small without the AWS SDK, and switches the service from the bundle", async () => {
    mkdirSync(OUT, { recursive: true });
    const outfile = join(OUT, "index.cjs");
    // As the stack's NodejsFunction bundles it (lib/capacityFallback.ts).
    await bundleLambda("lambda-alerts/src/capacity/handler.ts", outfile);
    expect(statSync(outfile).size / 1024).toBeLessThan(150);
    const runner = join(OUT, "run.cjs");
    writeFileSync(
      runner,
      `require("./index.cjs").handler(${JSON.stringify(serviceAction("SERVICE_TASK_PLACEMENT_FAILURE"))})` +
        `.then((r) => process.stdout.write("RESULT " + JSON.stringify(r) + "\\n"), (e) => { console.error(e.message); process.exit(1); });`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [runner], {
      env: {
        PATH: process.env.PATH,
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
        // The SDK's service-specific endpoint variables: the real clients, pointed at the stand-ins.
        AWS_ENDPOINT_URL_ECS: ecsStandIn.endpoint,
        AWS_ENDPOINT_URL_SNS: sns.endpoint,
        CLUSTER_NAME: CLUSTER,
        SERVICE_NAMES: SERVICE,
        NO_TASK_ALARMS: JSON.stringify({ [ALARM]: SERVICE }),
        ALERT_TOPIC_ARN: sns.topicArn,
        LOG_LEVEL: "warn",
      },
      timeout: 20_000,
    });
    expect(stdout).toContain('RESULT {"outcome":"switched","service":"hl-monitor-service","to":"FARGATE"');
    expect(service().capacityProviderStrategy[0]!.capacityProvider).toBe("FARGATE");
    expect(sns.published).toHaveLength(1);
  }, 60_000);
});
