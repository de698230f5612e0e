/**
 * The alert Lambda: SNS → Discord and Telegram.
 *
 * One handler for both kinds of message on the topic: the monitor's alerts (the `lambda` part of its
 * structured SNS message) and CloudWatch alarm notifications. Each alert is delivered to each channel at
 * most once (the delivery ledger, in DynamoDB when `DELIVERY_TABLE` is set); if a channel fails, the
 * invocation fails after the others were tried, so Lambda's asynchronous retries try again (only where
 * needed) and, once they are used up, the event goes to the dead-letter queue.
 *
 * Environment: ALERTS_SECRET_ID (AWS) or DISCORD_WEBHOOK_URL / TELEGRAM_BOT_TOKEN / TELEGRAM_CHAT_ID
 * (local), TELEGRAM_API_URL, DELIVERY_TABLE, DASHBOARD_URL, LOG_LEVEL.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Context, SNSEvent } from "aws-lambda";
import { DeliveryError, type DeliveryReport, deliverAlert } from "./deliver.ts";
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

  return async (event, context) => {
    const channels = await settings.get();
    if (!channels.discordWebhookUrl && !channels.telegram) {
      logger.warn(
        "no alert channel is configured: set DISCORD_WEBHOOK_URL and/or TELEGRAM_* in the alerts secret",
      );
    }
    const delivered: DeliveryReport[] = [];
    const failures: string[] = [];
    for (const record of event.Records ?? []) {
      const classified = classifySnsMessage(record.Sns, { dashboardUrl: env.DASHBOARD_URL ?? null });
      const { alert } = classified;
      if (classified.kind === "other") {
        logger.warn(
          { messageId: record.Sns.MessageId, reason: classified.reason },
          "unrecognised message delivered as a plain notification",
        );
      }
      try {
        const report = await deliverAlert(alert, {
          settings: channels,
          ledger,
          timing: {
            deadline: now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
            now,
            ...(deps.fetch ? { fetch: deps.fetch } : {}),
            ...(deps.sleep ? { sleep: deps.sleep } : {}),
          },
        });
        delivered.push(report);
        logger.info(
          {
            key: alert.key,
            kind: alert.kind,
            discord: report.discord,
            telegram: report.telegram,
            rateLimitedMs: report.rateLimitedMs,
          },
          "alert delivered",
        );
      } catch (error) {
        if (!(error instanceof DeliveryError)) throw error;
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
      metricLine(env.METRIC_NAMESPACE || "HyperliquidMonitor", delivered, failures.length),
    );
    // Failing the invocation is what makes Lambda retry it and then dead-letter it.
    if (failures.length > 0) throw new Error(failures.join(" | "));
    return { delivered };
  };
}

/**
 * CloudWatch embedded metric format: one line, no API call. One custom metric only (each costs money):
 * failures are already visible as the function's Errors metric and in the dead-letter queue.
 */
function metricLine(namespace: string, delivered: readonly DeliveryReport[], failed: number): string {
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
          Metrics: [{ Name: "AlertsDelivered", Unit: "Count" }],
        },
      ],
    },
    AlertsDelivered: sent,
    // A plain log field, not a metric.
    failedAlerts: failed,
  })}\n`;
}

let defaultHandler: AlertHandler | null = null;

/** The Lambda entry point; dependencies are built once per execution environment. */
export async function handler(event: SNSEvent, context: Context): Promise<{ delivered: DeliveryReport[] }> {
  defaultHandler ??= createAlertHandler({ env: process.env });
  return defaultHandler(event, context);
}
