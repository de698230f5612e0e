/**
 * Alert settings from the environment: which alerts are on, every threshold, and where alerts go.
 * Defaults are chosen for a trader who wants to hear about what matters and little else; see docs/alerts.md's
 * alert table for each variable.
 */
import { z } from "zod";
import { ALERT_KINDS, type AlertKind } from "../../../lambda-alerts/src/alertEvent.ts";
import type { ChannelSettings } from "../../../lambda-alerts/src/deliver.ts";
import { channelSettingsFrom, SettingsError } from "../../../lambda-alerts/src/settings.ts";
import { wholeNumber } from "./fields.ts";

/** Kinds the monitor raises (the Lambda adds `cloudwatch_alarm` and `notification` on its side). */
export const MONITOR_ALERT_KINDS = ALERT_KINDS.filter(
  (kind): kind is Exclude<AlertKind, "cloudwatch_alarm" | "notification"> =>
    kind !== "cloudwatch_alarm" && kind !== "notification",
);

/**
 * On unless ALERT_EVENTS says otherwise. Increases and reductions are off: one per order is still a lot;
 * so is `order_filled` (every filled order, on top of the position alerts its fills raise).
 */
export const DEFAULT_ALERT_EVENTS: readonly AlertKind[] = [
  "position_opened",
  "position_closed",
  "position_flipped",
  "liquidation",
  "liquidation_risk",
  "margin_risk",
  "drawdown",
  "monitor_degraded",
  "fills_recovered",
  "order_triggered",
  "order_canceled_by_exchange",
];

/** A "cleared"/"recovered" alert follows its parent kind. */
const FOLLOWERS: Partial<Record<AlertKind, AlertKind>> = {
  liquidation_risk: "liquidation_risk_cleared",
  margin_risk: "margin_risk_cleared",
  monitor_degraded: "monitor_recovered",
};

export interface AlertConfig {
  enabled: ReadonlySet<AlertKind>;
  topicArn: string | null;
  /** Direct delivery (no topic, channel settings in the environment), or null. */
  channels: ChannelSettings | null;
  dashboardUrl: string | null;
  /** Position alerts for fills older than this are not sent (null: no limit). */
  maxEventAgeMs: number | null;
  liquidationDistanceWarning: string;
  liquidationDistanceCritical: string;
  marginRatioWarning: string;
  marginRatioCritical: string;
  hysteresis: string;
  cooldownMs: number;
  drawdownThreshold: string;
  drawdownWindowMs: number;
  degradedAfterMs: number;
  dailySummaryHourUtc: number | null;
}

const ratio = (max: string) =>
  z
    .string()
    .regex(/^(0|[1-9]\d*)?(\.\d+)?$/, { message: "must be a decimal such as 0.1" })
    .refine((value) => Number(value) > 0 && Number(value) <= Number(max), {
      message: `must be above 0 and at most ${max}`,
    });

const eventList = z.string().transform((raw, ctx) => {
  const words = raw
    .split(",")
    .map((word) => word.trim().toLowerCase())
    .filter(Boolean);
  const kinds = new Set<AlertKind>();
  for (const word of words) {
    if (word === "none") continue;
    if (word === "all") for (const kind of MONITOR_ALERT_KINDS) kinds.add(kind);
    else if (word === "default") for (const kind of DEFAULT_ALERT_EVENTS) kinds.add(kind);
    else if ((MONITOR_ALERT_KINDS as readonly string[]).includes(word)) kinds.add(word as AlertKind);
    else {
      ctx.addIssue({
        code: "custom",
        message: `has "${word.slice(0, 40)}": use default, all, none or a list of ${MONITOR_ALERT_KINDS.join(", ")}`,
      });
      return z.NEVER;
    }
  }
  return kinds;
});

const schema = z.object({
  ALERT_EVENTS: eventList.optional(),
  ALERT_TOPIC_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, {
      message: "must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)",
    })
    .optional(),
  DASHBOARD_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  ALERT_LIQUIDATION_DISTANCE_WARNING: ratio("1").default("0.1"),
  ALERT_LIQUIDATION_DISTANCE_CRITICAL: ratio("1").default("0.05"),
  ALERT_MARGIN_RATIO_WARNING: ratio("1").default("0.5"),
  ALERT_MARGIN_RATIO_CRITICAL: ratio("1").default("0.8"),
  ALERT_HYSTERESIS: ratio("1").default("0.2"),
  ALERT_COOLDOWN_SECONDS: wholeNumber(60, 7 * 86_400).default(1800),
  ALERT_DRAWDOWN: ratio("1").default("0.1"),
  ALERT_DRAWDOWN_WINDOW_SECONDS: wholeNumber(300, 7 * 86_400).default(3600),
  ALERT_DISCONNECTED_SECONDS: wholeNumber(10, 86_400).default(120),
  ALERT_MAX_EVENT_AGE_SECONDS: wholeNumber(0, 365 * 86_400).default(86_400),
  DAILY_SUMMARY_HOUR_UTC: wholeNumber(0, 23).optional(),
});

export function loadAlertConfig(present: Record<string, string>): AlertConfig {
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AlertConfigError(`${String(issue.path[0] ?? "alert configuration")} ${issue.message}`);
  }
  const v = parsed.data;
  if (Number(v.ALERT_LIQUIDATION_DISTANCE_CRITICAL) >= Number(v.ALERT_LIQUIDATION_DISTANCE_WARNING)) {
    throw new AlertConfigError(
      "ALERT_LIQUIDATION_DISTANCE_CRITICAL must be below ALERT_LIQUIDATION_DISTANCE_WARNING (closer to liquidation)",
    );
  }
  if (Number(v.ALERT_MARGIN_RATIO_CRITICAL) <= Number(v.ALERT_MARGIN_RATIO_WARNING)) {
    throw new AlertConfigError("ALERT_MARGIN_RATIO_CRITICAL must be above ALERT_MARGIN_RATIO_WARNING");
  }
  const enabled = new Set<AlertKind>(v.ALERT_EVENTS ?? DEFAULT_ALERT_EVENTS);
  for (const [parent, follower] of Object.entries(FOLLOWERS)) {
    if (enabled.has(parent as AlertKind)) enabled.add(follower);
  }
  if (v.DAILY_SUMMARY_HOUR_UTC !== undefined) enabled.add("daily_summary");
  let channels: ChannelSettings | null = null;
  try {
    channels = channelSettingsFrom(present);
  } catch (error) {
    if (error instanceof SettingsError) throw new AlertConfigError(error.message);
    throw error;
  }
  const direct = channels.discordWebhookUrl !== null || channels.telegram !== null;
  return {
    enabled,
    topicArn: v.ALERT_TOPIC_ARN ?? null,
    channels: v.ALERT_TOPIC_ARN === undefined && direct ? channels : null,
    dashboardUrl: v.DASHBOARD_URL ?? null,
    maxEventAgeMs: v.ALERT_MAX_EVENT_AGE_SECONDS === 0 ? null : v.ALERT_MAX_EVENT_AGE_SECONDS * 1000,
    liquidationDistanceWarning: v.ALERT_LIQUIDATION_DISTANCE_WARNING,
    liquidationDistanceCritical: v.ALERT_LIQUIDATION_DISTANCE_CRITICAL,
    marginRatioWarning: v.ALERT_MARGIN_RATIO_WARNING,
    marginRatioCritical: v.ALERT_MARGIN_RATIO_CRITICAL,
    hysteresis: v.ALERT_HYSTERESIS,
    cooldownMs: v.ALERT_COOLDOWN_SECONDS * 1000,
    drawdownThreshold: v.ALERT_DRAWDOWN,
    drawdownWindowMs: v.ALERT_DRAWDOWN_WINDOW_SECONDS * 1000,
    degradedAfterMs: v.ALERT_DISCONNECTED_SECONDS * 1000,
    dailySummaryHourUtc: v.DAILY_SUMMARY_HOUR_UTC ?? null,
  };
}

/** Thrown as the monitor's ConfigError by loadConfig. */
export class AlertConfigError extends Error {
  override name = "AlertConfigError";
}
