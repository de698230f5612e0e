/**
 * Recordings: JSON lines, one per thing the monitor received, in the order received.
 *   {"t": <receive ms>, "conn": "<label>", "frame": "<the raw text frame exactly as received>"}
 *   {"t": ..., "conn": ..., "event": "open" | "close"}
 *   {"t": ..., "rest": {"request": {...}, "response": <json>}}
 * `conn` labels the client connection. The monitor uses one connection per account labelled with the
 * account address, which is how frames without a user field (orderUpdates) are attributed on replay.
 * Frames are kept as raw text, not parsed, so malformed frames replay exactly as they arrived.
 */
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { z } from "zod";

const receivedAt = z.number().finite();
export const FrameLineSchema = z.object({ t: receivedAt, conn: z.string(), frame: z.string() });
export const EventLineSchema = z.object({
  t: receivedAt,
  conn: z.string(),
  event: z.enum(["open", "close"]),
});
export const RestLineSchema = z.object({
  t: receivedAt,
  rest: z.object({ request: z.record(z.string(), z.unknown()), response: z.unknown() }),
});
/** One line of a recording. */
export const RecordingLineSchema = z.union([FrameLineSchema, EventLineSchema, RestLineSchema]);

export type FrameEntry = z.infer<typeof FrameLineSchema>;
export type EventEntry = z.infer<typeof EventLineSchema>;
export type RestEntry = z.infer<typeof RestLineSchema>;
export type RecordingEntry = FrameEntry | EventEntry | RestEntry;

export interface Recording {
  entries: RecordingEntry[];
  /** Lines that were not valid entries (not JSON, or not one of the three shapes): skipped. */
  malformedLines: number;
}

/** Appends entries to a recording file (created if missing). */
export class RecordingWriter {
  readonly #stream: WriteStream;
  #error: Error | null = null;

  constructor(path: string) {
    this.#stream = createWriteStream(path, { flags: "a" });
    // A failing disk must not crash the monitor; close() reports it.
    this.#stream.on("error", (error) => {
      this.#error ??= error;
    });
  }

  writeFrame(conn: string, frame: string, t: number = Date.now()): void {
    this.#write({ t, conn, frame });
  }

  writeEvent(conn: string, event: "open" | "close", t: number = Date.now()): void {
    this.#write({ t, conn, event });
  }

  writeRest(request: Record<string, unknown>, response: unknown, t: number = Date.now()): void {
    this.#write({ t, rest: { request, response } });
  }

  /** Flushes and closes the file; rejects if anything could not be written. */
  async close(): Promise<void> {
    this.#stream.end();
    try {
      await finished(this.#stream);
    } catch (error) {
      this.#error ??= error as Error;
    }
    if (this.#error) throw this.#error;
  }

  #write(entry: RecordingEntry): void {
    if (this.#error === null && !this.#stream.writableEnded) this.#stream.write(`${JSON.stringify(entry)}\n`);
  }
}

/** Parses recording text; a line that is not a valid entry is counted and skipped, never fatal. */
export function parseRecording(text: string): Recording {
  const entries: RecordingEntry[] = [];
  let malformedLines = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const entry = parseLine(line);
    if (entry) entries.push(entry);
    else malformedLines += 1;
  }
  return { entries, malformedLines };
}

export function readRecording(path: string): Recording {
  return parseRecording(readFileSync(path, "utf8"));
}

function parseLine(line: string): RecordingEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = RecordingLineSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
