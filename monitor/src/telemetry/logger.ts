/**
 * Structured JSON logs (pino): one line per event with a textual level, so CloudWatch Logs Insights can
 * filter on `level`. Known secret-bearing keys are redacted wherever they appear, as a second line of
 * defence: code should never log a secret in the first place.
 *
 * On a terminal (or with LOG_FORMAT=pretty) the same events are written as readable lines instead:
 * `12:00:01.234 WARN  message  key=value …`, coloured on a terminal. The pretty lines are made from pino's
 * already-redacted JSON, so redaction holds in both formats.
 */
import { writeSync } from "node:fs";
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

export type LogFormatSetting = "auto" | "pretty" | "json";

/** `auto` is pretty when stdout is a terminal (a person reads it) and JSON otherwise (a log service). */
export function logFormatFor(setting: LogFormatSetting, stdoutIsTerminal: boolean): "pretty" | "json" {
  if (setting === "auto") return stdoutIsTerminal ? "pretty" : "json";
  return setting;
}

/** Colour on a terminal unless NO_COLOR is set (no-color.org); FORCE_COLOR turns it on anywhere. */
export function colourFor(env: Record<string, string | undefined>, stdoutIsTerminal: boolean): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return true;
  return stdoutIsTerminal;
}

const LEVEL_COLOURS: Record<string, string> = {
  trace: "90",
  debug: "34",
  info: "32",
  warn: "33",
  error: "31",
  fatal: "35",
};
/** Fields every line has: shown in the line's head, or not worth repeating. */
const HEAD_FIELDS = new Set(["level", "time", "msg", "service"]);

function fieldText(value: unknown): string {
  if (typeof value === "string")
    return /^[^\s"=]*$/.test(value) && value !== "" ? value : JSON.stringify(value);
  if (value !== null && typeof value === "object") {
    const error = value as { name?: unknown; message?: unknown; type?: unknown };
    // pino's error serializer (and errorSummary) shapes: name and message say it.
    if (
      typeof error.message === "string" &&
      (typeof error.name === "string" || typeof error.type === "string")
    ) {
      return `${String(error.name ?? error.type)}: ${error.message}`;
    }
    return JSON.stringify(value);
  }
  return String(value);
}

/** One pino JSON line as `HH:MM:SS.mmm LEVEL message  key=value …` (UTC, like the JSON's time). */
export function prettyLine(json: string, colour: boolean): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(json);
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  const paint = (code: string, text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  const level = String(event.level ?? "info");
  const time = typeof event.time === "string" ? event.time.slice(11, 23) : "";
  const fields = Object.entries(event)
    .filter(([key]) => !HEAD_FIELDS.has(key))
    .map(([key, value]) => `${paint("2", `${key}=`)}${fieldText(value)}`);
  const head = `${paint("2", time)} ${paint(LEVEL_COLOURS[level] ?? "0", level.toUpperCase())}${" ".repeat(Math.max(1, 6 - level.length))}${String(event.msg ?? "")}`;
  return `${fields.length > 0 ? `${head}  ${fields.join(" ")}` : head}\n`;
}

/** A pino destination that writes pretty lines (synchronously, like the JSON one). */
export function prettyDestination(options: {
  colour: boolean;
  write?: (text: string) => void;
}): pino.DestinationStream {
  const write = options.write ?? ((text: string) => void writeSync(1, text));
  return { write: (line: string) => write(prettyLine(line, options.colour)) };
}

export function createLogger(
  options: {
    level?: string;
    destination?: pino.DestinationStream;
    /** Default json; `pretty` turns each line into prettyLine's form before it reaches the destination. */
    format?: "pretty" | "json";
    colour?: boolean;
  } = {},
): Logger {
  const json = options.destination ?? pino.destination({ dest: 1, sync: true });
  const destination =
    options.format === "pretty"
      ? prettyDestination({ colour: options.colour ?? false, write: (text) => void json.write(text) })
      : json;
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "hl-monitor" },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: SECRET_KEYS.flatMap((key) => [key, `*.${key}`]), censor: "[redacted]" },
    },
    // Synchronous: the last lines before an exit (SIGTERM on Spot) must not be lost; the volume is small.
    destination,
  );
}

/** A logger that drops everything (tests that assert on behaviour, not on log lines). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
