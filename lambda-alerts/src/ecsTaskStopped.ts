/**
 * The stack's EventBridge rule on ECS task stops (lib/monitoring/taskStopAlert.ts) publishes this compact
 * object to the topic (its input transformer picks the fields of the "ECS Task State Change" event, DOCS
 * ecs_task_events), turned here into a warning: a task that exited non-zero or stopped for an unexpected
 * reason. Every field but the headline may be absent (a task that failed to start has no exit code).
 */
import * as z from "zod/mini";
import { ALERT_SCHEMA, type AlertEvent } from "./alertEvent.ts";
import { cutAt } from "./render/truncate.ts";

/** The object's `alert` field: what identifies it, and the first line an e-mail reader sees. */
export const TASK_STOP_HEADLINE = "hl-monitor: a monitor task stopped unexpectedly";

const optionalText = z.nullish(z.string());

export const ecsTaskStoppedSchema = z.object({
  alert: z.literal(TASK_STOP_HEADLINE),
  stopCode: optionalText,
  stoppedReason: optionalText,
  container: optionalText,
  exitCode: z.nullish(z.union([z.number(), z.string()])),
  containerReason: optionalText,
  service: optionalText,
  task: optionalText,
  stoppedAt: optionalText,
  whatToDo: optionalText,
});

export type EcsTaskStopped = z.infer<typeof ecsTaskStoppedSchema>;

export function alertFromTaskStop(
  stop: EcsTaskStopped,
  options: { dashboardUrl?: string | null } = {},
): AlertEvent {
  const present = (value: string | number | null | undefined): value is string | number =>
    value !== null && value !== undefined && String(value).trim() !== "";
  const fields: AlertEvent["fields"] = [];
  const add = (label: string, value: string | number | null | undefined) => {
    if (present(value)) fields.push({ label, value: cutAt(String(value), 1_000) });
  };
  add("Stop code", stop.stopCode);
  add("Reason", stop.stoppedReason);
  add("Exit code", stop.exitCode);
  add("Container", stop.container);
  add("Container reason", stop.containerReason);
  add("Service", stop.service?.replace(/^service:/, ""));
  add("Task", stop.task);
  const stoppedAt = Date.parse(stop.stoppedAt ?? "");
  const time = Number.isFinite(stoppedAt) ? stoppedAt : Date.now();
  return {
    schema: ALERT_SCHEMA,
    // The task's ARN is unique per task: Lambda's retries of this message post it once.
    key: cutAt(`ecs-task-stopped:${present(stop.task) ? stop.task : time}`, 512),
    kind: "notification",
    severity: "warning",
    title: "A monitor task stopped unexpectedly",
    summary: cutAt(stop.whatToDo ?? "", 3_000),
    account: null,
    coin: null,
    time,
    fields,
    links: options.dashboardUrl ? [{ label: "Dashboard", url: options.dashboardUrl }] : [],
  };
}
