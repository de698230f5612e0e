/**
 * Generated Hyperliquid frames for the benchmark, shaped like the recorded ones in
 * test/fixtures/hyperliquid (same channels, fields and value formats), built by string concatenation so
 * that generating them costs the same in every loop that is compared.
 */
import type { WireFill } from "../../monitor/src/domain/wire.ts";
import { currentFills } from "../support/fixtures.ts";

const COINS = ["BTC", "ETH", "SOL"] as const;
const USERS = '["0x1dd8c4f6f3b3a4c01a86a94d1fe8d5ba12c6f7b2","0x31ca8395cf837de08b24da3f660e77761dfb974b"]';

/** A `trades` frame of `perFrame` trades; every trade a new tid, one millisecond apart per frame. */
export function tradeFrame(index: number, perFrame: number, startTime: number): string {
  const coin = COINS[index % COINS.length]!;
  const time = startTime + index;
  let data = "";
  for (let i = 0; i < perFrame; i++) {
    const tid = index * perFrame + i + 1;
    const side = (index + i) % 2 === 0 ? "B" : "A";
    data += `${i === 0 ? "" : ","}{"coin":"${coin}","side":"${side}","px":"${78_000 + (tid % 500)}.5","sz":"0.00016","time":${time},"hash":"0x${tid.toString(16).padStart(64, "0")}","tid":${tid},"users":${USERS}}`;
  }
  return `{"channel":"trades","data":[${data}]}`;
}

/**
 * Fills that open and close a BTC position in turn (every second fill closes it), so the position
 * tracker does real work and every fill is a position event.
 */
export function positionFills(
  count: number,
  startTime: number,
  options: { firstTid?: number; timeOf?: (i: number) => number } = {},
): WireFill[] {
  const template = currentFills()[0]!;
  const firstTid = options.firstTid ?? 1_000_000;
  const fills: WireFill[] = [];
  for (let i = 0; i < count; i++) {
    const opening = i % 2 === 0;
    fills.push({
      ...template,
      coin: "BTC",
      time: options.timeOf ? options.timeOf(i) : startTime + i,
      tid: firstTid + i,
      oid: template.oid + i,
      side: opening ? "B" : "A",
      px: opening ? "78751.0" : "78760.0",
      sz: "0.001",
      startPosition: opening ? "0.0" : "0.001",
      dir: opening ? "Open Long" : "Close Long",
      closedPnl: opening ? "0.0" : "0.009",
      fee: "0.0012",
      hash: `0x${(firstTid + i).toString(16).padStart(64, "0")}`,
    });
  }
  return fills;
}

export function userFillsFrame(user: string, fills: readonly WireFill[]): string {
  return JSON.stringify({ channel: "userFills", data: { user, fills } });
}
