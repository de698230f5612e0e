/**
 * What reaches the capacity Lambda: the EventBridge events its two rules match (lib/monitoring/
 * capacityFallback.ts), read into one of three triggers for one service. Anything else (a new ECS event
 * name, a hand-made test event, another service) is a counted skip with its reason, never an error: a
 * malformed event retried by Lambda would not get any better.
 *
 * Shapes: DOCS ecs_service_events ("ECS Service Action": `resources` holds the service ARN, `detail` has
 * `eventName`, `clusterArn`, `createdAt` and, for placement failures, `reason`); DOCS
 * cloudwatch-and-eventbridge ("CloudWatch Alarm State Change": `resources` holds the alarm ARN, `detail`
 * has `alarmName` and `state.value`).
 */
import * as z from "zod/mini";

export type CapacityTrigger =
  /** ECS could not place a task of the service (no Spot capacity, among other causes). */
  | { kind: "placement_failure"; service: string; reason: string; time: number }
  /** The service's "no running task" alarm: no task has run for five minutes (a Spot task not replaced). */
  | { kind: "no_running_task"; service: string; reason: string; time: number }
  /** ECS reports the service healthy at its desired count; it repeats this periodically. */
  | { kind: "steady_state"; service: string; time: number };

export type ReadEvent = { trigger: CapacityTrigger } | { skip: string };

const serviceActionSchema = z.object({
  source: z.literal("aws.ecs"),
  "detail-type": z.literal("ECS Service Action"),
  time: z.optional(z.string()),
  resources: z.array(z.string()),
  detail: z.object({
    eventName: z.string(),
    clusterArn: z.string(),
    reason: z.optional(z.string()),
    createdAt: z.optional(z.string()),
  }),
});

const alarmStateSchema = z.object({
  source: z.literal("aws.cloudwatch"),
  "detail-type": z.literal("CloudWatch Alarm State Change"),
  time: z.optional(z.string()),
  detail: z.object({
    alarmName: z.string(),
    state: z.object({ value: z.string(), reason: z.optional(z.string()) }),
  }),
});

export interface Watched {
  clusterName: string;
  serviceNames: readonly string[];
  /** Each "no running task" alarm's name, and the service it watches. */
  noTaskAlarms: Readonly<Record<string, string>>;
}

export function readCapacityEvent(event: unknown, watched: Watched): ReadEvent {
  const action = serviceActionSchema.safeParse(event);
  if (action.success) {
    const { detail, resources } = action.data;
    // arn:aws:ecs:<region>:<account>:service/<cluster>/<service> (DOCS ecs-account-settings, new ARN format).
    const serviceArn = resources.find((arn) => arn.includes(":service/")) ?? "";
    const [cluster, service] = serviceArn.split(":service/")[1]?.split("/") ?? [];
    const clusterName = detail.clusterArn.split(":cluster/")[1];
    if (clusterName !== watched.clusterName || cluster !== watched.clusterName) {
      return { skip: `cluster ${clusterName ?? detail.clusterArn} is not ${watched.clusterName}` };
    }
    if (!service || !watched.serviceNames.includes(service)) {
      return { skip: `service ${service ?? "(none)"} is not one of ${watched.serviceNames.join(", ")}` };
    }
    const time = timeOf(detail.createdAt ?? action.data.time);
    if (detail.eventName === "SERVICE_TASK_PLACEMENT_FAILURE") {
      return { trigger: { kind: "placement_failure", service, reason: detail.reason ?? "", time } };
    }
    if (detail.eventName === "SERVICE_STEADY_STATE")
      return { trigger: { kind: "steady_state", service, time } };
    return { skip: `ECS event ${detail.eventName} is not one the fallback acts on` };
  }
  const alarm = alarmStateSchema.safeParse(event);
  if (alarm.success) {
    const { alarmName, state } = alarm.data.detail;
    const service = watched.noTaskAlarms[alarmName];
    if (!service) return { skip: `alarm ${alarmName} is not a "no running task" alarm of this stack` };
    if (state.value !== "ALARM") return { skip: `alarm ${alarmName} went to ${state.value}, not ALARM` };
    return {
      trigger: {
        kind: "no_running_task",
        service,
        reason: state.reason ?? "",
        time: timeOf(alarm.data.time),
      },
    };
  }
  const shape = event as { source?: unknown; "detail-type"?: unknown } | null;
  return {
    skip: `not an event the capacity fallback reads (source ${String(shape?.source)}, detail-type ${String(shape?.["detail-type"])})`,
  };
}

function timeOf(iso: string | undefined): number {
  const time = Date.parse(iso ?? "");
  return Number.isFinite(time) ? time : Date.now();
}
