/**
 * Builds `monitor/demo/session.jsonl`, the recorded session `npm run demo` replays. Deterministic: the
 * committed file is exactly this script's output (`npx node monitor/src/standin/buildDemoSession.ts`).
 *
 * Real payloads used (test/fixtures/hyperliquid, origins in SOURCES.md), and how they are combined into
 * one recording of one monitor connection for account 0xb7b6…17b2 (format: recording.ts):
 * - `info-userFills-1.json`: the account's 500 real fills (mainnet, 2023-05-05 00:12:35–00:18:04 UTC,
 *   legacy shape without tid), each unchanged, in their real time order (the API lists them newest first;
 *   reversed, fills of one millisecond keep their real relative order). Split at quiet moments (≥ 1.5 s
 *   without fills) into four parts:
 *     1. fills 1–201 happened before the monitor connected: the first subscribe snapshot holds the newest
 *        100 of them, the startup REST backfill (`userFillsByTime` from 0) returns all 201;
 *     2. fills 202–312 arrive live, one userFills frame per millisecond of fills (40 ms after the fill);
 *     3. fills 313–448 happen while the connection is down (a recorded `close`, then a reconnect): the
 *        reconnect snapshot holds the newest 100, the reconnect backfill from the last fill seen returns
 *        them all, so 36 of them arrive only over REST;
 *     4. fills 449–500 arrive live after the reconnect.
 *   Snapshots hold 100 fills, not the real service's ~2000 (unconfirmed), so that a 500-fill session still
 *   shows the backfill behind a snapshot.
 * - public trades: derived one to one from those fills. Each fill is one side of a public trade: the
 *   aggressor side is the fill's side when it `crossed` (taker), else the opposite side; coin, px, sz,
 *   time and hash are the fill's. Legacy fills have no tid, so each derived trade gets a synthetic tid,
 *   1e12 + the fill's position in time order; the counterparty is unknown, so `users` is left out. A
 *   trades frame per coin follows each live userFills frame, and every trades subscribe (the initial one
 *   and the one after the reconnect) is followed by the real server's replay of that coin's last 30
 *   trades: after the reconnect most of those were seen before, which shows the deduplication.
 * - `info-clearinghouseState-2.json`: the real account state (another account's, July 2025: the demo shows
 *   the health maths, not this account's margin), unchanged, as the `clearinghouseState` frame after each
 *   subscribe and re-pushed once a minute (the real server re-pushes every ~4 s; thinned to keep the file
 *   small).
 * - `ws-orderUpdates-1.json`: the real orderUpdates frame (testnet, 2026), unchanged, once during part 2.
 * - noise the monitor must count and skip: the real non-JSON greeting `Websocket connection established.`
 *   (skipped by the Python SDK) after the reconnect, and the real frame of the retired `webData2`
 *   channel from `ws-webData2-frames-1.json` (another account, June 2025) during part 2.
 * The acks are the real server's normalised echoes (ws-subscriptionResponse-2.json shape).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { WireFill, WireTrade } from "../domain/wire.ts";

export const DEMO_ACCOUNT = "0xb7b6f3cea3f66bf525f5d8f965f6dbf6d9b017b2";
const FIXTURES = new URL("../../../test/fixtures/hyperliquid/", import.meta.url);
const OUTPUT = fileURLToPath(new URL("../../demo/session.jsonl", import.meta.url));

/** Fills in each userFills snapshot of the session. */
const SNAPSHOT_FILLS = 100;
/** Fills that happened before the monitor connected / before the disconnect / before the reconnect. */
const BEFORE_CONNECT = 201;
const BEFORE_DISCONNECT = 312;
const BEFORE_RECONNECT = 448;
/** Recorded receive delays after the event that caused a frame. */
const PUSH_LATENCY_MS = 40;
const STATE_REPUSH_MS = 60_000;
const TRADE_REPLAY = 30;
const SYNTHETIC_TID_BASE = 1_000_000_000_000;

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as T;

/** The public trade a fill was one side of (see the header: aggressor side, synthetic tid). */
export function tradeOfFill(fill: WireFill, tid: number): WireTrade {
  const otherSide = fill.side === "B" ? "A" : "B";
  return {
    coin: fill.coin,
    side: fill.crossed ? fill.side : otherSide,
    px: fill.px,
    sz: fill.sz,
    time: fill.time,
    hash: fill.hash,
    tid,
  };
}

type Line = { t: number } & Record<string, unknown>;

/** The session's lines, in receive order. */
export function buildDemoSession(): string[] {
  const fills = fixture<WireFill[]>("info-userFills-1.json").toReversed();
  const trades = fills.map((fill, index) => tradeOfFill(fill, SYNTHETIC_TID_BASE + index));
  const state = fixture<unknown>("info-clearinghouseState-2.json");
  const orderUpdates = fixture<unknown>("ws-orderUpdates-1.json");
  const webData2 = fixture<unknown[]>("ws-webData2-frames-1.json")[1];
  const coins = [...new Set(fills.map((fill) => fill.coin))].sort();
  const account = DEMO_ACCOUNT;

  const lines: Line[] = [];
  const frame = (t: number, value: unknown) =>
    lines.push({ t, conn: account, frame: typeof value === "string" ? value : JSON.stringify(value) });
  const event = (t: number, name: "open" | "close") => lines.push({ t, conn: account, event: name });
  const rest = (t: number, request: Record<string, unknown>, response: unknown) =>
    lines.push({ t, rest: { request, response } });
  const ack = (t: number, subscription: Record<string, unknown>) =>
    frame(t, { channel: "subscriptionResponse", data: { method: "subscribe", subscription } });
  const stateFrame = (t: number) =>
    frame(t, { channel: "clearinghouseState", data: { dex: "", user: account, clearinghouseState: state } });
  const madeBy = (time: number) => fills.filter((fill) => fill.time <= time);

  /** A (re)connection at `at`: subscribes, snapshots, the REST backfill from `backfillFrom`, trades replays. */
  const connect = (at: number, backfillFrom: number, greeting: boolean) => {
    event(at, "open");
    if (greeting) frame(at + 5, "Websocket connection established.");
    ack(at + 15, { type: "userFills", user: account, aggregateByTime: false });
    ack(at + 17, { type: "orderUpdates", user: account });
    ack(at + 19, { type: "clearinghouseState", user: account });
    const snapshot = madeBy(at).slice(-SNAPSHOT_FILLS).toReversed(); // newest first, like userFills
    frame(at + 25, { channel: "userFills", data: { isSnapshot: true, user: account, fills: snapshot } });
    stateFrame(at + 28);
    rest(
      at + 60,
      { type: "userFillsByTime", user: account, startTime: backfillFrom, aggregateByTime: false },
      madeBy(at + 60).filter((fill) => fill.time >= backfillFrom),
    );
    coins.forEach((coin, i) => {
      ack(at + 70 + 2 * i, { type: "trades", coin });
      const replay = trades.filter((trade) => trade.coin === coin && trade.time <= at).slice(-TRADE_REPLAY);
      if (replay.length > 0) frame(at + 71 + 2 * i, { channel: "trades", data: replay });
    });
  };

  /** Fills [from, to) pushed live: one userFills frame per millisecond, then its trades per coin. */
  const live = (from: number, to: number) => {
    for (let i = from; i < to; ) {
      let j = i + 1;
      while (j < to && fills[j]!.time === fills[i]!.time) j++;
      const t = fills[i]!.time + PUSH_LATENCY_MS;
      frame(t, { channel: "userFills", data: { user: account, fills: fills.slice(i, j) } });
      const made = trades.slice(i, j);
      for (const coin of new Set(made.map((trade) => trade.coin))) {
        frame(t + 2, { channel: "trades", data: made.filter((trade) => trade.coin === coin) });
      }
      i = j;
    }
  };
  /** Connection and outage events go halfway into the quiet time after fill `index` (1-based count). */
  const quietAfter = (count: number) => {
    const before = fills[count - 1]!.time;
    const after = fills[count]!.time;
    if (after - before < 1_500) throw new Error(`no quiet moment after fill ${count}`);
    return before + Math.floor((after - before) / 2);
  };
  const repushStates = (from: number, to: number) => {
    for (let t = from + STATE_REPUSH_MS; t < to; t += STATE_REPUSH_MS) stateFrame(t);
  };

  const connected = quietAfter(BEFORE_CONNECT);
  const disconnected = quietAfter(BEFORE_DISCONNECT);
  const reconnected = quietAfter(BEFORE_RECONNECT);
  const end = fills.at(-1)!.time + 500;

  connect(connected, 0, false);
  live(BEFORE_CONNECT, BEFORE_DISCONNECT);
  repushStates(connected, disconnected);
  const middle = fills[Math.floor((BEFORE_CONNECT + BEFORE_DISCONNECT) / 2)]!.time;
  frame(middle + 10, orderUpdates);
  frame(middle + 1_010, webData2);
  event(disconnected, "close");
  connect(reconnected, fills[BEFORE_DISCONNECT - 1]!.time, true);
  live(BEFORE_RECONNECT, fills.length);
  repushStates(reconnected, end);
  stateFrame(end);

  // Stable sort: lines of one millisecond stay in the order they were made above.
  return lines.toSorted((a, b) => a.t - b.t).map((line) => JSON.stringify(line));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const lines = buildDemoSession();
  writeFileSync(OUTPUT, `${lines.join("\n")}\n`);
  process.stdout.write(`wrote ${lines.length} lines to ${OUTPUT}\n`);
}
