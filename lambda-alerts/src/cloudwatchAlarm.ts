/**
 * CloudWatch alarm notifications (the JSON body CloudWatch publishes to SNS on a state change) turned into
 * alerts. Older notifications lack `AlarmArn` and `StatisticType`; both shapes are accepted.
 *
 * Severity: ALARM is a warning unless the alarm's description starts with `[critical]` (the stack tags its
 * "monitor silent" and "no running task" alarms so); OK is a recovery; INSUFFICIENT_DATA is information.
 */
import * as z from "zod/mini";
import { ALERT_SCHEMA, type AlertEvent, type AlertLink } from "./alertEvent.ts";
import { cutAt } from "./render/truncate.ts";

export const cloudWatchAlarmSchema = z.object({
  AlarmName: z.string().check(z.minLength(1)),
  AlarmDescription: z.nullish(z.string()),
  AWSAccountId: z.nullish(z.string()),
  NewStateValue: z.enum(["ALARM", "OK", "INSUFFICIENT_DATA"]),
  OldStateValue: z.nullish(z.string()),
  NewStateReason: z.nullish(z.string()),
  StateChangeTime: z.string(),
  Region: z.nullish(z.string()),
  AlarmArn: z.nullish(z.string()),
  Trigger: z.nullish(
    z.object({
      MetricName: z.nullish(z.string()),
      Namespace: z.nullish(z.string()),
      Statistic: z.nullish(z.string()),
      ExtendedStatistic: z.nullish(z.string()),
      ComparisonOperator: z.nullish(z.string()),
      Threshold: z.nullish(z.number()),
      Period: z.nullish(z.number()),
      EvaluationPeriods: z.nullish(z.number()),
    }),
  ),
});

export type CloudWatchAlarm = z.infer<typeof cloudWatchAlarmSchema>;

const CRITICAL_TAG = /^\s*\[critical\]\s*/i;

export function isCloudWatchAlarm(value: unknown): boolean {
  return cloudWatchAlarmSchema.safeParse(value).success;
}

export function alertFromAlarm(
  alarm: CloudWatchAlarm,
  options: { dashboardUrl?: string | null } = {},
): AlertEvent {
  const description = alarm.AlarmDescription ?? "";
  const critical = CRITICAL_TAG.test(description);
  const state = alarm.NewStateValue;
  const severity: AlertEvent["severity"] =
    state === "OK" ? "success" : state === "ALARM" ? (critical ? "critical" : "warning") : "info";
  const time = parseAlarmTime(alarm.StateChangeTime);
  const trigger = alarm.Trigger;
  const fields: AlertEvent["fields"] = [
    { label: "State", value: `${alarm.OldStateValue ?? "?"} → ${state}` },
  ];
  if (trigger?.Namespace || trigger?.MetricName) {
    fields.push({
      label: "Metric",
      value: [trigger.Namespace, trigger.MetricName].filter(Boolean).join(" / "),
    });
  }
  if (trigger?.ComparisonOperator && trigger.Threshold !== undefined && trigger.Threshold !== null) {
    fields.push({
      label: "Condition",
      value: `${comparison(trigger.ComparisonOperator)} ${trigger.Threshold}`,
    });
  }
  if (trigger?.Period) {
    const periods = trigger.EvaluationPeriods ?? 1;
    fields.push({ label: "Evaluated", value: `${periods} × ${trigger.Period} s` });
  }
  if (alarm.Region) fields.push({ label: "Region", value: alarm.Region });

  const links: AlertLink[] = [];
  const region = regionFromArn(alarm.AlarmArn);
  if (region) {
    links.push({
      label: "Alarm",
      url: `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarm.AlarmName)}`,
    });
  }
  if (options.dashboardUrl) links.push({ label: "Dashboard", url: options.dashboardUrl });

  const summary = [description.replace(CRITICAL_TAG, "").trim(), alarm.NewStateReason ?? ""]
    .filter((part) => part.length > 0)
    .join("\n");
  return {
    schema: ALERT_SCHEMA,
    key: cutAt(`alarm:${alarm.AlarmArn ?? alarm.AlarmName}:${state}:${alarm.StateChangeTime}`, 512),
    kind: "cloudwatch_alarm",
    severity,
    title: state === "OK" ? `Resolved: ${alarm.AlarmName}` : `${state}: ${alarm.AlarmName}`,
    summary,
    account: null,
    coin: null,
    time,
    fields,
    links,
  };
}

/** `2015-06-03T17:43:27.123+0000` (CloudWatch's form) → epoch ms; unparseable → 0 is avoided: now. */
function parseAlarmTime(value: string): number {
  const normalised = value.replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  const time = Date.parse(normalised);
  return Number.isFinite(time) ? time : Date.now();
}

function regionFromArn(arn: string | null | undefined): string | null {
  const region = arn?.split(":")[3];
  return region && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(region) ? region : null;
}

function comparison(operator: string): string {
  const symbols: Record<string, string> = {
    GreaterThanThreshold: ">",
    GreaterThanOrEqualToThreshold: "≥",
    LessThanThreshold: "<",
    LessThanOrEqualToThreshold: "≤",
    LessThanLowerOrGreaterThanUpperThreshold: "outside band",
    GreaterThanUpperThreshold: "> upper",
    LessThanLowerThreshold: "< lower",
  };
  return symbols[operator] ?? operator;
}
