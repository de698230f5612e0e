/** Replays: recorded frames in order, recorded snapshots, closes honoured, REST at the replay clock. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { WireFill, WireOrder, WireTrade } from "../../monitor/src/domain/wire.ts";
import { parseRecording } from "../../monitor/src/standin/recording.ts";
import { type Replay, startReplay } from "../../monitor/src/standin/replay.ts";
import { planReplay } from "../../monitor/src/standin/replayPlan.ts";
import { fixture, generatedFills, realTrades } from "../support/fixtures.ts";
import { connectClient, type TestClient } from "./wsClient.ts";

const USER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const OTHER = "0x00000000000000000000000000000000000000aa";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Writes recording lines to a temporary file and starts replaying it. */
async function replayOf(lines: object[], options: Parameters<typeof startReplay>[1] = {}): Promise<Replay> {
  const dir = mkdtempSync(join(tmpdir(), "hl-replay-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "session.jsonl");
  writeFileSync(path, `${lines.map((line) => JSON.stringify(line)).join("\n")}\n`);
  const replay = await startReplay(path, { speed: 1, maxGapMs: 50, ...options });
  cleanups.push(() => replay.stop());
  return replay;
}

async function client(url: string): Promise<TestClient> {
  const c = await connectClient(url);
  cleanups.push(() => c.close());
  return c;
}

const at = (t: number, conn: string, value: unknown) => ({
  t,
  conn,
  frame: typeof value === "string" ? value : JSON.stringify(value),
});
const ack = (subscription: object) => ({
  channel: "subscriptionResponse",
  data: { method: "subscribe", subscription },
});
const userFills = (fills: WireFill[], isSnapshot = false) => ({
  channel: "userFills",
  data: isSnapshot ? { isSnapshot: true, user: USER, fills } : { user: USER, fills },
});
const trades = (items: WireTrade[]) => ({ channel: "trades", data: items });
const userFillsSub = { type: "userFills", user: USER, aggregateByTime: false };
const btcSub = { type: "trades", coin: "BTC" };

/** Frames other than acks, as raw text. */
const dataFrames = (c: TestClient) => c.frames.filter((frame) => !frame.includes('"subscriptionResponse"'));

async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

describe("replay", () => {
  it("delivers recorded frames in order, recorded snapshots as snapshots, and honours a recorded close", async () => {
    const [f0, f1, f2, f3] = generatedFills(4, 0).map((fill, i) => ({
      ...fill,
      time: [900, 1090, 1500, 2090][i]!,
    }));
    const [r0, r1] = realTrades().map((trade, i) => ({ ...trade, time: [950, 1140][i]! }));
    const recorded = [
      { t: 1000, conn: USER, event: "open" },
      at(1010, USER, ack(userFillsSub)),
      at(1012, USER, userFills([f0!], true)),
      at(1014, USER, ack(btcSub)),
      at(1015, USER, trades([r0!])), // the trades replay after the ack
      at(1100, USER, userFills([f1!])),
      at(1150, USER, trades([r1!])),
      { t: 1200, conn: USER, event: "close" },
      { t: 2000, conn: USER, event: "open" },
      at(2010, USER, ack(userFillsSub)),
      at(2012, USER, userFills([f2!, f1!, f0!], true)), // f2 was made while disconnected
      at(2014, USER, ack(btcSub)),
      at(2015, USER, trades([r0!, r1!])),
      at(2100, USER, userFills([f3!])),
    ];
    const replay = await replayOf(recorded);
    const fillTimes = async () => {
      const response = await fetch(`${replay.apiUrl}/info`, {
        method: "POST",
        body: JSON.stringify({ type: "userFillsByTime", user: USER, startTime: 0 }),
      });
      return ((await response.json()) as WireFill[]).map((fill) => fill.time);
    };
    const subscribe = (c: TestClient) => {
      c.send({ method: "subscribe", subscription: { type: "userFills", user: USER } });
      c.send({ method: "subscribe", subscription: btcSub });
    };

    const first = await client(replay.wsUrl);
    subscribe(first);
    await until(() => dataFrames(first).length >= 1);
    expect(await fillTimes()).toEqual([900]); // REST at the replay clock: f1 (1090) has not happened yet
    expect(await first.waitForClose(3_000)).toBe(true);
    expect(dataFrames(first)).toEqual([2, 4, 5, 6].map((i) => (recorded[i] as { frame: string }).frame));

    // The client reconnects; REST now knows what the recorded client found on its return.
    const second = await client(replay.wsUrl);
    subscribe(second);
    await until(() => dataFrames(second).length >= 1);
    expect(await fillTimes()).toEqual([900, 1090, 1500]);
    const result = await replay.done;
    expect(result).toEqual({ delivered: 7, skipped: 0, malformedLines: 0 });
    await until(() => dataFrames(second).length >= 3);
    expect(dataFrames(second)).toEqual([10, 12, 13].map((i) => (recorded[i] as { frame: string }).frame));
    expect(second.frames.filter((frame) => frame.includes('"subscriptionResponse"'))).toHaveLength(2);
    expect(await fillTimes()).toEqual([900, 1090, 1500, 2090]);
  });

  it("routes frames without a user by the recorded connection's account; raw frames as recorded", async () => {
    const [order] = fixture<{ data: WireOrder[] }>("ws-orderUpdates-1.json").data;
    const orderOf = (oid: number) => [{ ...order!, order: { ...order!.order, oid } }];
    const recorded = [
      { t: 1, conn: USER, event: "open" },
      { t: 1, conn: OTHER, event: "open" },
      at(2, USER, { channel: "orderUpdates", data: orderOf(1) }),
      at(3, OTHER, { channel: "orderUpdates", data: orderOf(2) }),
      at(4, OTHER, "Websocket connection established."),
      at(5, USER, '{"channel":"webData2","data":{}}'),
    ];
    const replay = await replayOf(recorded);
    const mine = await client(replay.wsUrl);
    const other = await client(replay.wsUrl);
    mine.send({ method: "subscribe", subscription: { type: "orderUpdates", user: USER } });
    other.send({ method: "subscribe", subscription: { type: "orderUpdates", user: OTHER } });
    expect(await replay.done).toMatchObject({ delivered: 4, skipped: 0 });
    await until(() => mine.frames.length >= 3 && other.frames.length >= 3);
    expect(dataFrames(mine)).toEqual(
      [recorded[2], recorded[5]].map((line) => (line as { frame: string }).frame),
    );
    expect(dataFrames(other)).toEqual(
      [recorded[3], recorded[4]].map((line) => (line as { frame: string }).frame),
    );
    // The replayed order updates are the stand-in's order view too.
    const response = await fetch(`${replay.apiUrl}/info`, {
      method: "POST",
      body: JSON.stringify({ type: "orderStatus", user: USER, oid: 1 }),
    });
    expect(await response.json()).toMatchObject({ status: "order", order: { status: "open" } });
  });

  it("skips frames nobody subscribed to; a later subscribe gets a snapshot made at the replay clock", async () => {
    const [r0, r1] = realTrades().map((trade, i) => ({ ...trade, coin: "ETH", time: 1020 + 10 * i }));
    const recorded = [
      { t: 1000, conn: USER, event: "open" },
      at(1010, USER, ack(userFillsSub)),
      at(1012, USER, userFills([], true)),
      at(1020, USER, trades([r0!])),
      at(1030, USER, trades([r1!])),
    ];
    const replay = await replayOf(recorded, { subscribeGraceMs: 100 });
    const c = await client(replay.wsUrl);
    c.send({ method: "subscribe", subscription: { type: "userFills", user: USER } });
    expect(await replay.done).toEqual({ delivered: 1, skipped: 2, malformedLines: 0 });
    c.send({ method: "subscribe", subscription: { type: "trades", coin: "ETH" } });
    await until(() => dataFrames(c).length >= 2);
    expect(JSON.parse(dataFrames(c)[1]!)).toEqual(trades([r0!, r1!]));
  });

  it("cuts recorded userFills snapshots to snapshotSize, keeping the newest fills", async () => {
    const fills = generatedFills(5, 100).reverse(); // newest first, as a snapshot lists them
    const replay = await replayOf(
      [{ t: 1000, conn: USER, event: "open" }, at(1012, USER, userFills(fills, true))],
      { snapshotSize: 2 },
    );
    const c = await client(replay.wsUrl);
    c.send({ method: "subscribe", subscription: { type: "userFills", user: USER } });
    await replay.done;
    await until(() => dataFrames(c).length >= 1);
    expect(JSON.parse(dataFrames(c)[0]!)).toEqual(userFills(fills.slice(0, 2), true));
  });
});

describe("replay plan", () => {
  it("finds sessions, snapshot frames and the frames the stand-in answers itself", () => {
    const state = fixture("info-clearinghouseState-2.json");
    const chs = { channel: "clearinghouseState", data: { dex: "", user: USER, clearinghouseState: state } };
    const { entries } = parseRecording(
      [
        { t: 1, conn: USER, event: "open" },
        at(2, USER, ack({ type: "clearinghouseState", user: USER })),
        at(3, USER, chs), // right after its ack: the snapshot
        at(4, USER, ack(btcSub)),
        at(5, USER, trades(realTrades())), // likewise
        at(6, USER, '{"channel":"pong"}'),
        at(4_000, USER, chs), // a re-push, not a snapshot
        at(4_001, USER, trades(realTrades())),
        { t: 5_000, conn: USER, event: "close" },
        { t: 6_000, rest: { request: { type: "userFills", user: USER }, response: generatedFills(2, 7) } },
        { t: 6_001, rest: { request: { type: "userAbstraction", user: USER }, response: "unifiedAccount" } },
      ]
        .map((line) => JSON.stringify(line))
        .join("\n"),
    );
    const plan = planReplay(entries);
    const frames = plan.steps.filter((step) => step.kind === "frame");
    expect(frames.map((step) => step.snapshotOf)).toEqual([
      null,
      `clearinghouseState|${USER}`,
      null,
      "trades|BTC",
      null,
      null,
      null,
    ]);
    expect(frames.map((step) => step.route.to)).toEqual([
      "nobody",
      "subscribers",
      "nobody",
      "subscribers",
      "nobody",
      "subscribers",
      "subscribers",
    ]);
    expect(plan.sessions).toEqual([{ account: USER, first: 0, last: 8 }]);
    expect(plan.states.map((state) => state.t)).toEqual([3, 4_000]);
    expect(plan.trades.get("BTC")).toHaveLength(2); // replayed trades counted once
    expect(plan.fills.get(USER)).toHaveLength(2);
    expect(plan.accountModes.get(USER)).toBe("unifiedAccount"); // the replay answers it over REST
  });
});
