/** The demo session: exactly the builder's output, made of the real payloads, and replayable end to end. */
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { WireFill, WireTrade } from "../../monitor/src/domain/wire.ts";
import { buildDemoSession, DEMO_ACCOUNT } from "../../monitor/src/standin/buildDemoSession.ts";
import { type FrameEntry, readRecording } from "../../monitor/src/standin/recording.ts";
import { type Replay, startReplay } from "../../monitor/src/standin/replay.ts";
import { fixture, LEGACY_ACCOUNT, legacyFills } from "../support/fixtures.ts";
import { connectClient, type TestClient } from "./wsClient.ts";

const SESSION = fileURLToPath(new URL("../../monitor/demo/session.jsonl", import.meta.url));
const key = (fill: WireFill) => JSON.stringify(fill);

function parsed(entry: FrameEntry): { channel?: string; data?: unknown } | null {
  try {
    return JSON.parse(entry.frame);
  } catch {
    return null;
  }
}

describe("demo session", () => {
  it("is exactly what the builder makes, and under 1 MB", () => {
    expect(readFileSync(SESSION, "utf8")).toBe(`${buildDemoSession().join("\n")}\n`);
    expect(statSync(SESSION).size).toBeLessThan(1_000_000);
    expect(DEMO_ACCOUNT).toBe(LEGACY_ACCOUNT);
  });

  it("holds the 500 real fills across snapshots, live frames and REST, plus the real state and order", () => {
    const { entries, malformedLines } = readRecording(SESSION);
    expect(malformedLines).toBe(0);
    const frames = entries.filter((entry): entry is FrameEntry => "frame" in entry);
    const events = entries.flatMap((entry) => ("event" in entry ? [entry.event] : []));
    expect(events).toEqual(["open", "close", "open"]);
    expect(entries.map((entry) => entry.t)).toEqual(
      entries.map((entry) => entry.t).toSorted((a, b) => a - b),
    );

    const byChannel = (channel: string) => frames.filter((frame) => parsed(frame)?.channel === channel);
    const fillFrames = byChannel("userFills").map(
      (frame) => parsed(frame)!.data as { isSnapshot?: true; fills: WireFill[] },
    );
    const snapshots = fillFrames.filter((data) => data.isSnapshot);
    const live = fillFrames.filter((data) => !data.isSnapshot);
    expect(snapshots.map((data) => data.fills.length)).toEqual([100, 100]);
    for (const data of live) expect(new Set(data.fills.map((fill) => fill.time)).size).toBe(1);
    const liveFills = live.flatMap((data) => data.fills);
    const restFills = entries.flatMap((entry) =>
      "rest" in entry ? (entry.rest.response as WireFill[]) : [],
    );
    const all = new Set([...snapshots.flatMap((d) => d.fills), ...liveFills, ...restFills].map(key));
    expect(all).toEqual(new Set(legacyFills().map(key))); // every real fill, unchanged, nothing else
    expect(liveFills.map((fill) => fill.time)).toEqual(
      liveFills.map((f) => f.time).toSorted((a, b) => a - b),
    );
    expect(liveFills).toHaveLength(111 + 52);
    const notLive = (fill: WireFill) => !liveFills.some((other) => key(other) === key(fill));
    const onlyRest = restFills
      .filter(notLive)
      .filter((f) => !snapshots.some((d) => d.fills.some((s) => key(s) === key(f))));
    expect(onlyRest).toHaveLength(101 + 36); // before the first snapshot, and behind the reconnect snapshot

    for (const frame of byChannel("clearinghouseState")) {
      expect((parsed(frame)!.data as { clearinghouseState: unknown }).clearinghouseState).toEqual(
        fixture("info-clearinghouseState-2.json"),
      );
    }
    expect(byChannel("orderUpdates").map((frame) => JSON.parse(frame.frame))).toEqual([
      fixture("ws-orderUpdates-1.json"),
    ]);
    expect(frames.filter((frame) => parsed(frame) === null).map((frame) => frame.frame)).toEqual([
      "Websocket connection established.",
    ]);
    expect(byChannel("webData2")).toHaveLength(1);
  });

  it("derives one public trade per fill: aggressor side, the fill's px/sz/time/hash, a synthetic tid", () => {
    const { entries } = readRecording(SESSION);
    const trades = entries.flatMap((entry) => {
      const message = "frame" in entry ? parsed(entry) : null;
      return message?.channel === "trades" ? (message.data as WireTrade[]) : [];
    });
    const unique = new Map(trades.map((trade) => [trade.tid, trade]));
    expect(trades.length).toBeGreaterThan(unique.size); // the reconnect replays repeat trades seen before
    const ordered = legacyFills().toReversed();
    for (const [tid, trade] of unique) {
      const fill = ordered[tid - 1_000_000_000_000]!;
      const aggressor = fill.crossed ? fill.side : fill.side === "B" ? "A" : "B";
      expect(trade).toEqual({
        coin: fill.coin,
        side: aggressor,
        px: fill.px,
        sz: fill.sz,
        time: fill.time,
        hash: fill.hash,
        tid,
      });
    }
  });
});

describe("demo session replayed to a client that behaves like the monitor", () => {
  let replay: Replay | null = null;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await replay?.stop();
    replay = null;
  });

  it("gives every fill once a client backfills after each (re)subscribe, across the recorded disconnect", async () => {
    replay = await startReplay(SESSION, { speed: 10_000, maxGapMs: 2 });
    const coins = [...new Set(legacyFills().map((fill) => fill.coin))];
    const seen = new Map<string, WireFill>();
    const channels: string[] = [];
    const backfill = async () => {
      const response = await fetch(`${replay!.apiUrl}/info`, {
        method: "POST",
        body: JSON.stringify({ type: "userFillsByTime", user: DEMO_ACCOUNT, startTime: 0 }),
      });
      for (const fill of (await response.json()) as WireFill[]) seen.set(key(fill), fill);
    };
    const session = async () => {
      const c = await connectClient(replay!.wsUrl);
      clients.push(c);
      c.socket.addEventListener("message", (event) => {
        const text = String(event.data);
        let message: { channel: string; data: { fills?: WireFill[] } };
        try {
          message = JSON.parse(text);
        } catch {
          channels.push("(malformed)");
          return;
        }
        channels.push(message.channel);
        for (const fill of message.channel === "userFills" ? (message.data.fills ?? []) : []) {
          seen.set(key(fill), fill);
        }
      });
      const subscriptions = [
        { type: "userFills", user: DEMO_ACCOUNT },
        { type: "orderUpdates", user: DEMO_ACCOUNT },
        { type: "clearinghouseState", user: DEMO_ACCOUNT },
        ...coins.map((coin) => ({ type: "trades", coin })),
      ];
      for (const subscription of subscriptions) c.send({ method: "subscribe", subscription });
      await backfill();
      return c;
    };
    const first = await session();
    expect(await first.waitForClose(10_000)).toBe(true); // the recorded disconnect
    await session();
    const result = await replay.done;
    expect(result.skipped).toBe(0);
    await backfill();
    expect(seen.size).toBe(500);
    expect(channels.filter((channel) => channel === "(malformed)")).toHaveLength(1);
    expect(channels.filter((channel) => channel === "webData2")).toHaveLength(1);
    expect(channels.filter((channel) => channel === "orderUpdates")).toHaveLength(1);
  });
});
