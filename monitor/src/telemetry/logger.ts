/**
 * Structured JSON logs (pino): one line per event with a textual level, so CloudWatch Logs Insights can
 * filter on `level`. Known secret-bearing keys are redacted wherever they appear, as a second line of
 * defence: code should never log a secret in the first place.
 */
import { type Logger, pino } from "pino";

export type { Logger };

const SECRET_KEYS = [
  "token",
  "secret",
  "password",
  "apiKey",
  "serviceKey",
  "anonKey",
  "webhookUrl",
  "authorization",
  "HYPERLIQUID_API_KEY",
  "SUPABASE_SERVICE_KEY",
  "SUPABASE_ANON_KEY",
  "TELEGRAM_BOT_TOKEN",
  "DISCORD_WEBHOOK_URL",
];

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "hl-monitor" },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: SECRET_KEYS.flatMap((key) => [key, `*.${key}`]), censor: "[redacted]" },
    },
    // Synchronous: the last lines before an exit (SIGTERM on Spot) must not be lost; the volume is small.
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that drops everything (tests that assert on behaviour, not on log lines). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
