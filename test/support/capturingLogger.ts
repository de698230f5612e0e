/** A monitor logger whose JSON lines a test can read (one object per line written). */
import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../monitor/src/telemetry/logger.ts";

export type LogLine = Record<string, unknown> & { msg?: string };

export function capturingLogger(level = "info"): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ destination, level }), lines };
}
