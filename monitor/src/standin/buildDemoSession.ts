/**
 * Builds `monitor/demo/session.jsonl`, the recorded session `npm run demo` replays. Deterministic: the
 * committed file is exactly this script's output (`node monitor/src/standin/buildDemoSession.ts`).
 *
 * It stitches real Hyperliquid payloads from test/fixtures/hyperliquid (sources in SOURCES.md) onto one
 * timeline for one account:
 * - fills: the 500 real fills of 0xb7b6…17b2 from `info-userFills-1.json` (May 2023, legacy shape without
 *   tid), unchanged, in their real time order: the oldest 200 form the first subscribe snapshot, the next
 *   150 arrive live, 50 are made during a disconnect and appear only in a REST answer, the last 100 arrive
 *   live after the reconnect;
 * - public trades: derived one to one from those fills (each fill is one side of a public trade: the
 *   aggressor is the fill's side when it `crossed`, else the other side; coin, px, sz, time and hash from
 *   the fill). Legacy fills have no tid, so each derived trade gets a synthetic tid (1e12 + its index);
 * - account state: the real `info-clearinghouseState-2.json` payload, unchanged, as clearinghouseState
 *   frames (it is another account's state: the demo shows the maths, not this account's margin);
 * - an order update: the real `ws-orderUpdates-1.json` frame;
 * - noise the monitor must count and skip: the real non-JSON greeting "Websocket connection established."
 *   and a real frame of the retired `webData2` channel (from `ws-webData2-frames-1.json`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { WireFill, WireTrade } from "../domain/wire.ts";

const FIXTURES = new URL("../../../test/fixtures/hyperliquid/", import.meta.url);
const OUTPUT = fileURLToPath(new URL("../../demo/session.jsonl", import.meta.url));
export const DEMO_ACCOUNT = "0xb7b6f3cea3f66bf525f5d8f965f6dbf6d9b017b2";

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as T;

export function buildDemoSession(): string[] {
  // The API lists fills newest first; reversed, the real execution order within a millisecond is kept.
  const fills = [...fixture<WireFill[]>("info-userFills-1.json")].reverse();
  const state = fixture<unknown>("info-clearinghouseState-2.json");
  const orderUpdate = fixture<unknown>("ws-orderUpdates-1.json");
  const webData2 = fixture<unknown[]>("ws-webData2-frames-1.json")[1];
  const coins = [...new Set(fills.map((f) => f.coin))].sort();
  const trades: WireTrade[] = fills.map((fill, index) => ({
    coin: fill.coin,
    side: fill.crossed ? fill.side : fill.side === "B" ? "A" : "B",
    px: fill.px,
    sz: fill.sz,
    time: fill.time,
    hash: fill.hash,
    tid: 1_000_000_000_000 + index,
  }));

  const lines: string[] = [];
  const conn = DEMO_ACCOUNT;
  const frame = (t: number, value: unknown) =>
    lines.push(JSON.stringify({ t, conn, frame: typeof value === "string" ? value : JSON.stringify(value) }));
  const event = (t: number, name: "open" | "close") => lines.push(JSON.stringify({ t, conn, event: name }));
  const acks = (t: number) => {
    const subscriptions = [
      { type: "userFills", user: conn, aggregateByTime: false },
      { type: "orderUpdates", user: conn },
      { type: "clearinghouseState", user: conn },
      ...coins.map((coin) => ({ type: "trades", coin })),
    ];
    for (const subscription of subscriptions) {
      frame(t, { channel: "subscriptionResponse", data: { method: "subscribe", subscription } });
    }
  };
  const snapshot = (t: number, upTo: number) =>
    frame(t, {
      channel: "userFills",
      data: { isSnapshot: true, user: conn, fills: fills.slice(0, upTo).reverse() },
    });
  const stateFrame = (t: number) =>
    frame(t, { channel: "clearinghouseState", data: { dex: "", user: conn, clearinghouseState: state } });
  /** Live fills, one frame per millisecond, each followed by the public trades they made. */
  const live = (from: number, to: number) => {
    for (let i = from; i < to; ) {
      let j = i + 1;
      while (j < to && fills[j]!.time === fills[i]!.time) j++;
      const t = fills[i]!.time + 40;
      frame(t, { channel: "userFills", data: { user: conn, fills: fills.slice(i, j) } });
      const made = trades.slice(i, j);
      for (const coin of new Set(made.map((trade) => trade.coin))) {
        frame(t + 1, { channel: "trades", data: made.filter((trade) => trade.coin === coin) });
      }
      i = j;
    }
  };

  const start = fills[199]!.time + 500;
  event(start, "open");
  acks(start + 20);
  snapshot(start + 30, 200);
  stateFrame(start + 40);
  live(200, 260);
  frame(fills[259]!.time + 100, "Websocket connection established.");
  frame(fills[259]!.time + 110, orderUpdate);
  live(260, 350);
  frame(fills[349]!.time + 100, webData2);
  stateFrame(fills[349]!.time + 200);
  const outage = fills[349]!.time + 300;
  event(outage, "close");
  // Made while disconnected: only a REST answer has them.
  lines.push(
    JSON.stringify({
      t: fills[399]!.time + 200,
      rest: {
        request: { type: "userFillsByTime", user: conn, startTime: fills[349]!.time },
        response: fills.slice(349, 400),
      },
    }),
  );
  const back = fills[399]!.time + 400;
  event(back, "open");
  acks(back + 20);
  snapshot(back + 30, 400);
  live(400, 500);
  stateFrame(fills[499]!.time + 200);
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lines = buildDemoSession();
  writeFileSync(OUTPUT, `${lines.join("\n")}\n`);
  process.stdout.write(`wrote ${lines.length} lines to ${OUTPUT}\n`);
}
