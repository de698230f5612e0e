/**
 * The capacity Lambda: keeps the monitor's service running when Fargate Spot has no capacity. ECS does
 * not fall back from one capacity provider to another by itself, so on a placement failure (or the "no
 * running task" alarm) this switches the service to on-demand FARGATE, and after the quiet period back to
 * FARGATE_SPOT, each time with `UpdateService` (a new strategy takes effect only with a new deployment:
 * `forceNewDeployment`) and an alert to the topic. Decisions: capacityDecision.ts.
 *
 * Invoked asynchronously by EventBridge: an ECS or SNS failure fails the invocation, and Lambda retries it
 * twice; the SDK itself retries throttling and 5xx answers first (standard mode, 3 attempts).
 *
 * Environment: CLUSTER_NAME, SERVICE_NAMES (comma-separated), NO_TASK_ALARMS (JSON: alarm name → service),
 * ALERT_TOPIC_ARN, DASHBOARD_URL, LOG_LEVEL; AWS_REGION from the runtime.
 */
import { DescribeServicesCommand, ECSClient, type Service, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { SNSClient } from "@aws-sdk/client-sns";
import { createLambdaLogger, type Logger } from "../logger.ts";
import { fallbackAlert, publishAlert, returnAlert } from "./capacityAlert.ts";
import { type Decision, decide, ON_DEMAND, SPOT } from "./capacityDecision.ts";
import { type CapacityTrigger, readCapacityEvent, type Watched } from "./capacityEvents.ts";

export interface CapacityHandlerDependencies {
  env: Record<string, string | undefined>;
  ecs?: ECSClient;
  sns?: SNSClient;
  logger?: Logger;
  now?: () => number;
}

export type CapacityOutcome =
  | { outcome: "skipped"; reason: string; skipped: number }
  | { outcome: "unchanged"; service: string; reason: string }
  | { outcome: "switched"; service: string; to: typeof SPOT | typeof ON_DEMAND; deployment: string };

export type CapacityHandler = (event: unknown) => Promise<CapacityOutcome>;

export function createCapacityHandler(deps: CapacityHandlerDependencies): CapacityHandler {
  const env = deps.env;
  const watched = watchedFrom(env);
  const topicArn = required(env.ALERT_TOPIC_ARN, "ALERT_TOPIC_ARN");
  const region = env.AWS_REGION ?? "";
  const logger = deps.logger ?? createLambdaLogger({ level: env.LOG_LEVEL ?? "info" });
  const now = deps.now ?? Date.now;
  // Standard retry mode: throttling and 5xx answers are retried with backoff before the call fails.
  const ecs = deps.ecs ?? new ECSClient({ maxAttempts: 3 });
  const sns = deps.sns ?? new SNSClient({ maxAttempts: 3 });
  // For the life of the execution environment: how many events were not for the fallback (in each skip line).
  let skipped = 0;

  return async (event) => {
    const read = readCapacityEvent(event, watched);
    if ("skip" in read) {
      skipped += 1;
      logger.warn({ reason: read.skip, skipped }, "capacity: event ignored");
      return { outcome: "skipped", reason: read.skip, skipped };
    }
    const { trigger } = read;
    const service = await describe(ecs, watched.clusterName, trigger.service);
    if (!service) {
      logger.warn(
        { service: trigger.service },
        "capacity: the service does not exist (deleted?): nothing to do",
      );
      return { outcome: "unchanged", service: trigger.service, reason: "service missing" };
    }
    const decision = decide(trigger, service, now());
    if (decision.action === "none") {
      logger.info(
        { service: trigger.service, trigger: trigger.kind, reason: decision.reason },
        "capacity: unchanged",
      );
      return { outcome: "unchanged", service: trigger.service, reason: decision.reason };
    }
    return switchService(decision, trigger, service);
  };

  async function switchService(
    decision: Exclude<Decision, { action: "none" }>,
    trigger: CapacityTrigger,
    service: Service,
  ): Promise<CapacityOutcome> {
    const to = decision.action === "to_spot" ? SPOT : ON_DEMAND;
    const replaced = service.deployments?.find((deployment) => deployment.status === "PRIMARY")?.id ?? "none";
    const updated = await ecs.send(
      new UpdateServiceCommand({
        cluster: watched.clusterName,
        service: trigger.service,
        capacityProviderStrategy: [{ capacityProvider: to, weight: 1, base: 0 }],
        // DOCS API_UpdateService: a new capacity provider strategy starts no deployment by itself.
        forceNewDeployment: true,
      }),
    );
    const deployment =
      updated.service?.deployments?.find((candidate) => candidate.status === "PRIMARY")?.id ?? "unknown";
    const time = now();
    const change = {
      service: trigger.service,
      clusterName: watched.clusterName,
      region,
      replacedDeployment: replaced,
      time,
      dashboardUrl: env.DASHBOARD_URL || null,
    };
    logger.warn(
      { service: trigger.service, trigger: trigger.kind, to, deployment, replaced },
      to === ON_DEMAND ? "capacity: switched to on-demand FARGATE" : "capacity: returning to FARGATE_SPOT",
    );
    const alert =
      decision.action === "to_spot"
        ? returnAlert({ ...change, onDemandSince: decision.onDemandSince })
        : fallbackAlert({ ...change, since: decision.since });
    await publishAlert(sns, topicArn, alert);
    return { outcome: "switched", service: trigger.service, to, deployment };
  }
}

async function describe(ecs: ECSClient, cluster: string, name: string): Promise<Service | null> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
  // DOCS API_DescribeServices: an unknown service comes back in `failures` (reason MISSING), not as an error.
  return answer.services?.find((service) => service.serviceName === name) ?? null;
}

function watchedFrom(env: Record<string, string | undefined>): Watched {
  const serviceNames = required(env.SERVICE_NAMES, "SERVICE_NAMES")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  let noTaskAlarms: Record<string, string> = {};
  try {
    noTaskAlarms = JSON.parse(env.NO_TASK_ALARMS || "{}") as Record<string, string>;
  } catch {
    throw new Error("NO_TASK_ALARMS must be a JSON object of alarm name to service name");
  }
  return { clusterName: required(env.CLUSTER_NAME, "CLUSTER_NAME"), serviceNames, noTaskAlarms };
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is not set: the stack sets it (lib/capacityFallback.ts)`);
  return value;
}

let defaultHandler: CapacityHandler | null = null;

/** The Lambda entry point; clients are built once per execution environment. */
export async function handler(event: unknown): Promise<CapacityOutcome> {
  defaultHandler ??= createCapacityHandler({ env: process.env });
  return defaultHandler(event);
}
