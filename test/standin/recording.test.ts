/** Recordings: what is written is read back exactly; bad lines are counted and skipped, never fatal. */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseRecording, RecordingWriter, readRecording } from "../../monitor/src/standin/recording.ts";
import { fixture } from "../support/fixtures.ts";

const CONN = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "hl-recording-"));
  dirs.push(dir);
  return join(dir, "session.jsonl");
}

describe("recordings", () => {
  it("round-trip frames (raw text, byte for byte), events and REST exchanges", async () => {
    const path = tempFile();
    const pretty = JSON.stringify(fixture("ws-trades-1.json"), null, 1); // with newlines and spaces
    const writer = new RecordingWriter(path);
    writer.writeEvent(CONN, "open", 1);
    writer.writeFrame(CONN, pretty, 2);
    writer.writeFrame(CONN, "Websocket connection established.", 3);
    writer.writeRest(
      { type: "clearinghouseState", user: CONN },
      fixture("info-clearinghouseState-2.json"),
      4,
    );
    writer.writeEvent(CONN, "close", 5);
    await writer.close();
    expect(readFileSync(path, "utf8").split("\n")).toHaveLength(6); // one line each, newline-terminated
    const { entries, malformedLines } = readRecording(path);
    expect(malformedLines).toBe(0);
    expect(entries).toEqual([
      { t: 1, conn: CONN, event: "open" },
      { t: 2, conn: CONN, frame: pretty },
      { t: 3, conn: CONN, frame: "Websocket connection established." },
      {
        t: 4,
        rest: {
          request: { type: "clearinghouseState", user: CONN },
          response: fixture("info-clearinghouseState-2.json"),
        },
      },
      { t: 5, conn: CONN, event: "close" },
    ]);
  });

  it("appends to an existing file, and counts and skips malformed lines", async () => {
    const path = tempFile();
    const first = new RecordingWriter(path);
    first.writeFrame(CONN, '{"channel":"pong"}', 1);
    await first.close();
    appendFileSync(
      path,
      'not json\n{"t":"x","conn":"a","frame":"y"}\n{"t":2,"conn":"a","event":"reopen"}\n\n',
    );
    const second = new RecordingWriter(path);
    second.writeEvent(CONN, "close", 3);
    await second.close();
    const { entries, malformedLines } = readRecording(path);
    expect(entries).toEqual([
      { t: 1, conn: CONN, frame: '{"channel":"pong"}' },
      { t: 3, conn: CONN, event: "close" },
    ]);
    expect(malformedLines).toBe(3);
  });

  it("parses text without a trailing newline, and empty text", () => {
    expect(parseRecording('{"t":1,"conn":"c","event":"open"}').entries).toHaveLength(1);
    expect(parseRecording("")).toEqual({ entries: [], malformedLines: 0 });
  });

  it("close() reports a file that could not be written", async () => {
    const writer = new RecordingWriter(join(tempFile(), "missing-dir", "x.jsonl"));
    writer.writeFrame(CONN, "{}", 1);
    await expect(writer.close()).rejects.toThrow(/ENOENT|ENOTDIR/);
  });
});
