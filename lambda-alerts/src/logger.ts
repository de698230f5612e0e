/**
 * JSON logs for the alert Lambda (pino, synchronous to stdout, which the Lambda runtime ships to
 * CloudWatch Logs). Secret-bearing keys are redacted as a second line of defence; messages are built
 * secret-free in the first place.
 */
import { type Logger, pino } from "pino";

export type { Logger };

const SECRET_KEYS = [
  "token",
  "botToken",
  "webhookUrl",
  "discordWebhookUrl",
  "authorization",
  "TELEGRAM_BOT_TOKEN",
  "DISCORD_WEBHOOK_URL",
];

export function createLambdaLogger(
  options: { level?: string; destination?: pino.DestinationStream } = {},
): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "hl-monitor-alerts" },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]), censor: "[redacted]" },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
