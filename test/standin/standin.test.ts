/** The stand-in speaks Hyperliquid's wire format; recordings round-trip; replays honour recorded closes. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RecordingWriter, readRecording } from "../../monitor/src/standin/recording.ts";
import { startReplay } from "../../monitor/src/standin/replay.ts";
import { HyperliquidStandIn } from "../../monitor/src/standin/server.ts";
import { currentFills, fixture } from "../support/fixtures.ts";

const USER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A raw client that collects every frame. */
async function client(url: string) {
  const socket = new WebSocket(url);
  const frames: string[] = [];
  let closed = false;
  socket.addEventListener("message", (event) => frames.push(String(event.data)));
  socket.addEventListener("close", () => {
    closed = true;
  });
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve);
    socket.addEventListener("error", reject);
  });
  cleanups.push(() => socket.close());
  const waitFor = async (n: number) => {
    for (let i = 0; i < 200 && frames.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    return frames.map((f) => JSON.parse(f));
  };
  return { socket, frames, waitFor, isClosed: () => closed };
}

describe("Hyperliquid stand-in", () => {
  it("acks with the normalised echo, sends the userFills snapshot, answers ping and rejects duplicates", async () => {
    const standIn = new HyperliquidStandIn();
    const { wsUrl } = await standIn.start();
    cleanups.push(() => standIn.stop());
    standIn.addFills(USER, currentFills());
    const c = await client(wsUrl);
    const subscription = { type: "userFills", user: USER.toUpperCase().replace("0X", "0x") };
    c.socket.send(JSON.stringify({ method: "subscribe", subscription }));
    c.socket.send(JSON.stringify({ method: "ping" }));
    c.socket.send(JSON.stringify({ method: "subscribe", subscription }));
    const [ack, snapshot, pong, duplicate] = await c.waitFor(4);
    expect(ack).toEqual(fixture("ws-subscriptionResponse-2.json"));
    expect(snapshot).toMatchObject({ channel: "userFills", data: { isSnapshot: true, user: USER } });
    expect(snapshot.data.fills).toHaveLength(2);
    expect(pong).toEqual(fixture("ws-pong-1.json"));
    expect(duplicate.channel).toBe("error");
    expect(duplicate.data).toMatch(/^Already subscribed: /);
  });

  it("answers an unknown subscription with the real error frame", async () => {
    const standIn = new HyperliquidStandIn();
    const { wsUrl } = await standIn.start();
    cleanups.push(() => standIn.stop());
    const c = await client(wsUrl);
    c.socket.send('{"method": "subscribe", "subscription": {"type": "noSuchType", "coin": "BTC"}}');
    const [error] = await c.waitFor(1);
    expect(error).toEqual(fixture("ws-error-1.json"));
  });

  it("closes a connection it has not written to within the idle timeout", async () => {
    const standIn = new HyperliquidStandIn({ idleTimeoutMs: 150 });
    const { wsUrl } = await standIn.start();
    cleanups.push(() => standIn.stop());
    const c = await client(wsUrl);
    for (let i = 0; i < 100 && !c.isClosed(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(c.isClosed()).toBe(true);
  });
});

describe("recordings", () => {
  it("round-trip, skipping and counting bad lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hl-rec-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "session.jsonl");
    const writer = new RecordingWriter(path);
    writer.writeEvent(USER, "open", 1);
    writer.writeFrame(USER, '{"channel":"pong"}', 2);
    writer.writeRest({ type: "clearinghouseState", user: USER }, { ok: true }, 3);
    await writer.close();
    writeFileSync(path, `${readFileSync(path, "utf8")}not json\n{"t":"x"}\n`);
    const { entries, skipped } = readRecording(path);
    expect(entries).toHaveLength(3);
    expect(skipped).toBe(2);
    expect(entries[1]).toEqual({ t: 2, conn: USER, frame: '{"channel":"pong"}' });
  });

  it("replay delivers live frames in order and drops the connection at a recorded close", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hl-rep-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "session.jsonl");
    const trades = fixture<{ data: unknown[] }>("ws-trades-1.json");
    const lines = [
      { t: 0, conn: USER, event: "open" },
      { t: 10, conn: USER, frame: JSON.stringify({ channel: "trades", data: [trades.data[0]] }) },
      { t: 20, conn: USER, event: "close" },
      { t: 30, conn: USER, frame: JSON.stringify({ channel: "trades", data: [trades.data[1]] }) },
    ];
    writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    const replay = await startReplay(path, { speed: 1, maxGapMs: 5 });
    cleanups.push(() => replay.stop());
    const subscribe = (socket: WebSocket) => {
      socket.send(JSON.stringify({ method: "subscribe", subscription: { type: "userFills", user: USER } }));
      socket.send(JSON.stringify({ method: "subscribe", subscription: { type: "trades", coin: "BTC" } }));
    };
    const first = await client(replay.wsUrl);
    subscribe(first.socket);
    for (let i = 0; i < 200 && !first.isClosed(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(first.isClosed()).toBe(true);
    const second = await client(replay.wsUrl);
    subscribe(second.socket);
    const { delivered, skipped } = await replay.done;
    expect({ delivered, skipped }).toEqual({ delivered: 2, skipped: 0 });
    const liveTrades = (await second.waitFor(1))
      .filter((f) => f.channel === "trades")
      .map((f) => f.data.at(-1).tid);
    expect(liveTrades.at(-1)).toBe(355416041315622);
  });
});

describe("demo session", () => {
  it("is exactly what the builder makes from the real payloads", async () => {
    const { buildDemoSession } = await import("../../monitor/src/standin/buildDemoSession.ts");
    const committed = readFileSync(new URL("../../monitor/demo/session.jsonl", import.meta.url), "utf8");
    expect(committed).toBe(`${buildDemoSession().join("\n")}\n`);
  });
});
