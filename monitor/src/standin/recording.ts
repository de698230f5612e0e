/**
 * Recordings: JSON lines, one per thing received.
 *   {"t": <receive ms>, "conn": "<label>", "frame": "<raw text exactly as received>"}
 *   {"t": ..., "conn": ..., "event": "open" | "close"}
 *   {"t": ..., "rest": {"request": {...}, "response": <json>}}
 * `conn` labels the client connection; the monitor labels each account's socket with the account address,
 * which is how frames without a user field (orderUpdates) are attributed on replay.
 */
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import { z } from "zod";

const FrameLine = z.object({ t: z.number(), conn: z.string(), frame: z.string() });
const EventLine = z.object({ t: z.number(), conn: z.string(), event: z.enum(["open", "close"]) });
const RestLine = z.object({
  t: z.number(),
  rest: z.object({ request: z.record(z.string(), z.unknown()), response: z.unknown() }),
});
export const RecordingLine = z.union([FrameLine, EventLine, RestLine]);
export type RecordingEntry = z.infer<typeof RecordingLine>;

export class RecordingWriter {
  readonly #stream: WriteStream;

  constructor(path: string) {
    this.#stream = createWriteStream(path, { flags: "a" });
  }

  writeFrame(conn: string, frame: string, t: number): void {
    this.#stream.write(`${JSON.stringify({ t, conn, frame })}\n`);
  }

  writeEvent(conn: string, event: "open" | "close", t: number): void {
    this.#stream.write(`${JSON.stringify({ t, conn, event })}\n`);
  }

  writeRest(request: Record<string, unknown>, response: unknown, t: number): void {
    this.#stream.write(`${JSON.stringify({ t, rest: { request, response } })}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#stream.end(resolve));
  }
}

/** Reads a recording; lines that are not valid entries are counted and skipped, never fatal. */
export function readRecording(path: string): { entries: RecordingEntry[]; skipped: number } {
  const entries: RecordingEntry[] = [];
  let skipped = 0;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      const parsed = RecordingLine.safeParse(JSON.parse(line));
      if (parsed.success) entries.push(parsed.data);
      else skipped += 1;
    } catch {
      skipped += 1;
    }
  }
  return { entries, skipped };
}
