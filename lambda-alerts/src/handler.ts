/**
 * The alert Lambda: SNS → Discord and Telegram.
 *
 * One handler for both kinds of message on the topic: the monitor's alerts (the `lambda` part of its
 * structured SNS message) and CloudWatch alarm notifications. Each alert is delivered to each channel at
 * most once (the delivery ledger, in DynamoDB when `DELIVERY_TABLE` is set); if a channel fails
 * transiently, the invocation fails after the others were tried, so Lambda's asynchronous retries try
 * again (only where needed) and, once they are used up, the event goes to the dead-letter queue. A channel
 * that refuses an alert for good (deleted webhook, bot blocked or removed, unknown chat) does not fail the
 * invocation: it is logged once ("alert channel refused the alert for good", with the channel's answer)
 * and counted in the AlertChannelFailures metric, which an alarm watches.
 *
 * Environment: ALERTS_SECRET_ID (AWS) or DISCORD_WEBHOOK_URL / DISCORD_THREAD_ID / TELEGRAM_BOT_TOKEN /
 * TELEGRAM_CHAT_ID / TELEGRAM_THREAD_ID (local), TELEGRAM_API_URL, DELIVERY_TABLE, DASHBOARD_URL, LOG_LEVEL.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Context, SNSEvent } from "aws-lambda";
import { DeliveryError, type DeliveryReport, deliverAlert, newDeliveryMemory } from "./deliver.ts";
import { type DeliveryLedger, MemoryDeliveryLedger } from "./deliveryLedger.ts";
import { DynamoDeliveryLedger } from "./dynamoDeliveryLedger.ts";
import { createLambdaLogger, type Logger } from "./logger.ts";
import { SettingsProvider } from "./settings.ts";
import { classifySnsMessage } from "./snsMessage.ts";

/** Time kept back from the function's remaining time, to write the ledger and return cleanly. */
const SAFETY_MARGIN_MS = 2_000;

export interface AlertHandlerDependencies {
  env: Record<string, string | undefined>;
  ledger?: DeliveryLedger;
  secretsClient?: () => SecretsManagerClient;
  logger?: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Where the metric line goes (default stdout, which CloudWatch reads as embedded metric format). */
  writeMetrics?: (line: string) => void;
}

export type AlertHandler = (
  event: SNSEvent,
  context: Pick<Context, "getRemainingTimeInMillis">,
) => Promise<{
  delivered: DeliveryReport[];
}>;

export function createAlertHandler(deps: AlertHandlerDependencies): AlertHandler {
  const env = deps.env;
  const logger = deps.logger ?? createLambdaLogger({ level: env.LOG_LEVEL ?? "info" });
  const now = deps.now ?? Date.now;
  let secrets: SecretsManagerClient | null = null;
  const settings = new SettingsProvider({
    env,
    secretsClient: deps.secretsClient ?? (() => (secrets ??= new SecretsManagerClient({}))),
    now,
  });
  const ledger =
    deps.ledger ??
    (env.DELIVERY_TABLE
      ? new DynamoDeliveryLedger(new DynamoDBClient({}), env.DELIVERY_TABLE)
      : new MemoryDeliveryLedger());
  // Lives as long as the execution environment: a moved Telegram chat is used for every later alert.
  const memory = newDeliveryMemory();

  return async (event, context) => {
    const channels = await settings.get();
    if (!channels.discordWebhookUrl && !channels.telegram) {
      logger.warn(
        "no alert channel is configured: set DISCORD_WEBHOOK_URL and/or TELEGRAM_* in the alerts secret",
      );
    }
    const delivered: DeliveryReport[] = [];
    const failures: string[] = [];
    let channelFailures = 0;
    for (const record of event.Records ?? []) {
      const classified = classifySnsMessage(record.Sns, { dashboardUrl: env.DASHBOARD_URL ?? null });
      const { alert } = classified;
      if (classified.kind === "future_alert") {
        logger.warn(
          { messageId: record.Sns.MessageId, reason: classified.reason },
          "alert of an unknown kind",
        );
      }
      if (classified.kind === "other") {
        logger.warn(
          { messageId: record.Sns.MessageId, reason: classified.reason },
          "unrecognised message delivered as a plain notification",
        );
      }
      const reportChannels = (report: DeliveryReport) => {
        for (const failure of report.permanentFailures) {
          channelFailures += 1;
          logger.error(
            { key: alert.key, kind: alert.kind, channel: failure.channel, answer: failure.answer },
            "alert channel refused the alert for good",
          );
        }
        for (const id of report.unrecorded) {
          logger.error(
            { key: alert.key, record: id },
            "alert posted but the delivery ledger could not record it: a retry may post it again",
          );
        }
        if (report.chartErrors.length > 0) {
          logger.warn(
            { key: alert.key, kind: alert.kind, chartErrors: report.chartErrors },
            "alert chart not sent; the alert went as text",
          );
        }
        const move = report.telegramChatMigration;
        if (move) {
          logger.warn(
            { from: move.from, to: move.to },
            `the Telegram group was upgraded to a supergroup with a new id: set TELEGRAM_CHAT_ID to ${move.to} in the alerts secret (alerts go to the new id meanwhile)`,
          );
        }
      };
      try {
        const report = await deliverAlert(alert, {
          settings: channels,
          ledger,
          memory,
          timing: {
            deadline: now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
            now,
            ...(deps.fetch ? { fetch: deps.fetch } : {}),
            ...(deps.sleep ? { sleep: deps.sleep } : {}),
          },
        });
        delivered.push(report);
        reportChannels(report);
        logger.info(
          {
            key: alert.key,
            kind: alert.kind,
            discord: report.discord,
            telegram: report.telegram,
            ...(report.chart === "none" ? {} : { chart: report.chart }),
            rateLimitedMs: report.rateLimitedMs,
          },
          "alert delivered",
        );
      } catch (error) {
        if (!(error instanceof DeliveryError)) throw error;
        reportChannels(error.report);
        failures.push(error.message);
        logger.error(
          {
            key: alert.key,
            kind: alert.kind,
            discord: error.report.discord,
            telegram: error.report.telegram,
            errors: error.report.errors,
          },
          "alert delivery failed",
        );
      }
    }
    (deps.writeMetrics ?? ((line) => process.stdout.write(line)))(
      metricLine(env.METRIC_NAMESPACE || "HyperliquidMonitor", delivered, failures.length, channelFailures),
    );
    // Failing the invocation is what makes Lambda retry it and then dead-letter it.
    if (failures.length > 0) throw new Error(failures.join(" | "));
    return { delivered };
  };
}

/**
 * CloudWatch embedded metric format: one line, no API call. AlertsDelivered always; transient failures are
 * already visible as the function's Errors metric and in the dead-letter queue. AlertChannelFailures
 * (channels that refused an alert for good, which fail nothing) is declared only in the lines that have
 * one: CloudWatch bills a custom metric by the hour it receives data, so it costs nothing while every
 * channel works.
 */
function metricLine(
  namespace: string,
  delivered: readonly DeliveryReport[],
  failed: number,
  channelFailures: number,
): string {
  const sent = delivered.reduce(
    (sum, report) => sum + Number(report.discord === "sent") + Number(report.telegram === "sent"),
    0,
  );
  return `${JSON.stringify({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [[]],
          Metrics: [
            { Name: "AlertsDelivered", Unit: "Count" },
            ...(channelFailures > 0 ? [{ Name: ALERT_CHANNEL_FAILURES, Unit: "Count" }] : []),
          ],
        },
      ],
    },
    AlertsDelivered: sent,
    ...(channelFailures > 0 ? { [ALERT_CHANNEL_FAILURES]: channelFailures } : {}),
    // A plain log field, not a metric.
    failedAlerts: failed,
  })}\n`;
}

/** The metric the "alert channel broken" alarm watches (lib/monitoring/alarms.ts). */
export const ALERT_CHANNEL_FAILURES = "AlertChannelFailures";

let defaultHandler: AlertHandler | null = null;

/** The Lambda entry point; dependencies are built once per execution environment. */
export async function handler(event: SNSEvent, context: Context): Promise<{ delivered: DeliveryReport[] }> {
  defaultHandler ??= createAlertHandler({ env: process.env });
  return defaultHandler(event, context);
}
