/**
 * What arrived on the topic: a monitor alert, a CloudWatch alarm notification, the stack's ECS task-stop
 * message, or something else (a test publish from the console, say). Nothing is dropped: anything
 * unrecognised is delivered as a plain notification with its subject and the start of its text, and the
 * reason is returned for the log.
 */
import { ALERT_SCHEMA, type AlertEvent, alertEventSchema, futureAlertEventSchema } from "./alertEvent.ts";
import { alertFromAlarm, cloudWatchAlarmSchema } from "./cloudwatchAlarm.ts";
import { alertFromTaskStop, ecsTaskStoppedSchema } from "./ecsTaskStopped.ts";
import { cutAt } from "./render/truncate.ts";

export interface SnsNotification {
  MessageId: string;
  Message: string;
  Subject?: string | null;
  Timestamp?: string;
}

export type ClassifiedMessage =
  | { kind: "monitor_alert"; alert: AlertEvent }
  /** A monitor alert of a kind this Lambda does not know yet (a newer monitor): shown as a notification. */
  | { kind: "future_alert"; alert: AlertEvent; reason: string }
  | { kind: "cloudwatch_alarm"; alert: AlertEvent }
  /** The stack's EventBridge rule on a monitor task that stopped unexpectedly. */
  | { kind: "ecs_task_stopped"; alert: AlertEvent }
  | { kind: "other"; alert: AlertEvent; reason: string };

export function classifySnsMessage(
  notification: SnsNotification,
  options: { dashboardUrl?: string | null } = {},
): ClassifiedMessage {
  let body: unknown;
  try {
    body = JSON.parse(notification.Message);
  } catch {
    return { kind: "other", alert: plainNotification(notification), reason: "message is not JSON" };
  }
  if (body && typeof body === "object" && (body as { schema?: unknown }).schema === ALERT_SCHEMA) {
    const parsed = alertEventSchema.safeParse(body);
    if (parsed.success) return { kind: "monitor_alert", alert: parsed.data };
    const future = futureAlertEventSchema.safeParse(body);
    if (future.success) {
      const alert = future.data;
      return {
        kind: "future_alert",
        alert: {
          ...alert,
          kind: "notification",
          fields: [...alert.fields.slice(0, 99), { label: "Kind", value: alert.kind }],
        },
        reason: `alert kind ${alert.kind} is not known to this Lambda: shown as a notification (deploy the Lambda with the monitor to render it fully)`,
      };
    }
    const issue = parsed.error.issues[0];
    return {
      kind: "other",
      alert: plainNotification(notification),
      reason: `monitor alert failed validation at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
    };
  }
  const taskStop = ecsTaskStoppedSchema.safeParse(body);
  if (taskStop.success) return { kind: "ecs_task_stopped", alert: alertFromTaskStop(taskStop.data, options) };
  const alarm = cloudWatchAlarmSchema.safeParse(body);
  if (alarm.success) return { kind: "cloudwatch_alarm", alert: alertFromAlarm(alarm.data, options) };
  return { kind: "other", alert: plainNotification(notification), reason: "unrecognised JSON message" };
}

function plainNotification(notification: SnsNotification): AlertEvent {
  const time = Date.parse(notification.Timestamp ?? "");
  return {
    schema: ALERT_SCHEMA,
    key: `sns:${notification.MessageId}`,
    kind: "notification",
    severity: "info",
    title: notification.Subject?.trim() || "Notification",
    // Cut by code point: a lone surrogate is refused by Telegram and Discord, and the alert would be lost.
    summary: cutAt(notification.Message, 3_000),
    account: null,
    coin: null,
    time: Number.isFinite(time) ? time : Date.now(),
    fields: [],
    links: [],
  };
}
