/**
 * The alert contract between the monitor (producer) and the delivery side (this Lambda, or the monitor's
 * own direct delivery when it runs without SNS).
 *
 * The producer decides what to say (title, one-line summary, labelled figures, links); renderers only
 * decide how each channel shows it. That keeps the Lambda free of trading logic and lets new alert kinds
 * ship with the monitor alone. Figures are display strings: decimals stay exact strings end to end.
 */
// zod/mini: the same validation in a fraction of the bundle (this file ships in the Lambda).
import * as z from "zod/mini";

export const ALERT_SCHEMA = "hl-monitor/alert@1";

export const ALERT_KINDS = [
  "position_opened",
  "position_increased",
  "position_reduced",
  "position_closed",
  "position_flipped",
  "liquidation",
  "liquidation_risk",
  "liquidation_risk_cleared",
  "margin_risk",
  "margin_risk_cleared",
  "drawdown",
  "monitor_degraded",
  "monitor_recovered",
  "fills_recovered",
  "order_triggered",
  "order_canceled_by_exchange",
  "order_filled",
  "daily_summary",
  "cloudwatch_alarm",
  "notification",
] as const;

export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ["info", "success", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

/**
 * The latest instant every renderer can show (9999-12-31T23:59:59.999Z): ISO strings keep a four-digit
 * year, and `new Date(time).toISOString()` cannot throw (it does past ±8.64e15 ms).
 */
export const MAX_ALERT_TIME = 253_402_300_799_999;

/**
 * Points per chart series at most: 2 × 500 points of ~45 bytes stay far below SNS's 256 KB message limit
 * (docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html) with the rest of the
 * alert. Producers aggregate (e.g. one point per day) rather than exceed it.
 */
export const MAX_CHART_POINTS = 500;

const chartPoint = z.object({
  t: z.int().check(z.nonnegative(), z.lte(MAX_ALERT_TIME)),
  /** An exact decimal string; the renderer turns it into a number only to place it. */
  value: z.string().check(z.regex(/^-?\d{1,30}(\.\d{1,30})?$/)),
});

/** A PnL chart to send with the alert as a PNG (Discord attachment, Telegram photo); see render/pnlChart.ts. */
export const alertChartSchema = z.object({
  title: text(200),
  cumulativePnl: z.array(chartPoint).check(z.maxLength(MAX_CHART_POINTS)),
  accountValue: z.optional(z.array(chartPoint).check(z.maxLength(MAX_CHART_POINTS))),
});

const alertShape = {
  schema: z.literal(ALERT_SCHEMA),
  /** Stable dedup key: the same happening always yields the same key, on any task, after any restart. */
  key: text(512),
  kind: z.enum(ALERT_KINDS),
  severity: z.enum(SEVERITIES),
  title: text(1_000),
  summary: z.string().check(z.maxLength(10_000)),
  account: z.nullable(z.string()),
  coin: z.nullable(z.string()),
  /** When the happening occurred (epoch ms), not when it was sent. */
  time: z.int().check(z.nonnegative(), z.lte(MAX_ALERT_TIME)),
  fields: z
    .array(z.object({ label: text(1_000), value: z.string().check(z.maxLength(10_000)) }))
    .check(z.maxLength(100)),
  links: z.array(z.object({ label: text(200), url: z.url({ protocol: /^https?$/ }) })).check(z.maxLength(10)),
  /** Optional; a Lambda that predates it ignores it (unknown keys are dropped) and sends the text alone. */
  chart: z.optional(alertChartSchema),
};

export const alertEventSchema = z.object(alertShape);

/**
 * An alert from a newer monitor, of a kind this Lambda does not know yet: everything else as above, so
 * it can be shown with its title, text and figures (as a notification that names its kind).
 */
export const futureAlertEventSchema = z.object({
  ...alertShape,
  kind: z.string().check(z.regex(/^[a-z][a-z0-9_]{0,63}$/)),
});

export type AlertEvent = z.infer<typeof alertEventSchema>;
export type AlertField = AlertEvent["fields"][number];
export type AlertLink = AlertEvent["links"][number];
export type AlertChart = z.infer<typeof alertChartSchema>;
