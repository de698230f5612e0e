/**
 * Fill normalisation and identity. A fill is identified within its account by its trade id; fills
 * without one (legacy fills, and spot dust conversions with tid 0) fall back to a digest of the fields
 * that together identify them (PROTOCOL.md §4).
 */
import { createHash } from "node:crypto";
import type { Fill } from "./types.ts";
import type { WireFill } from "./wire.ts";

const SPOT_DIRS = new Set(["Buy", "Sell", "Spot Dust Conversion"]);

/** Spot markets are `@<index>` or `BASE/QUOTE`; HIP-3 perps (`dex:COIN`) and plain names are perps. */
export function isSpotCoin(coin: string): boolean {
  return coin.startsWith("@") || coin.includes("/");
}

export function fillIdOf(account: string, wire: WireFill): string {
  if (typeof wire.tid === "number" && Number.isSafeInteger(wire.tid) && wire.tid > 0) return `t:${wire.tid}`;
  const composite = [
    account.toLowerCase(),
    wire.coin,
    wire.time,
    wire.oid,
    wire.px,
    wire.sz,
    wire.startPosition,
  ];
  return `c:${createHash("sha256").update(JSON.stringify(composite)).digest("hex").slice(0, 32)}`;
}

export function normalizeFill(account: string, wire: WireFill): Fill {
  const owner = account.toLowerCase();
  const tid = typeof wire.tid === "number" && wire.tid > 0 ? wire.tid : null;
  return {
    account: owner,
    fillId: fillIdOf(owner, wire),
    tid,
    time: wire.time,
    coin: wire.coin,
    side: wire.side,
    px: wire.px,
    sz: wire.sz,
    startPosition: wire.startPosition,
    dir: wire.dir,
    closedPnl: wire.closedPnl,
    fee: wire.fee,
    feeToken: wire.feeToken ?? null,
    builderFee: wire.builderFee ?? null,
    oid: wire.oid,
    cloid: wire.cloid ?? null,
    hash: wire.hash,
    crossed: wire.crossed,
    twapId: wire.twapId ?? null,
    liquidation: wire.liquidation
      ? {
          liquidatedUser: wire.liquidation.liquidatedUser?.toLowerCase() ?? null,
          markPx: wire.liquidation.markPx,
          method: wire.liquidation.method,
        }
      : null,
    isPerp: !isSpotCoin(wire.coin) && !SPOT_DIRS.has(wire.dir),
  };
}

/** Processing order: by time, then id, so every replay of the same fills applies them identically. */
export function compareFills(a: Fill, b: Fill): number {
  return a.time - b.time || (a.fillId < b.fillId ? -1 : a.fillId > b.fillId ? 1 : 0);
}

/**
 * Orders fills for application: by time, and within one millisecond of one coin by position chain
 * (each fill's startPosition is the previous fill's end). Trade ids are hashes, not sequence numbers, and
 * an order filled against several makers yields many fills in the same millisecond, so neither tid nor
 * arrival order within a REST page is reliable. Falls back to fillId order where no chain exists.
 */
export function orderFills(fills: readonly Fill[]): Fill[] {
  const sorted = [...fills].sort(compareFills);
  const out: Fill[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && sorted[j]!.time === sorted[i]!.time) j++;
    const sameTime = sorted.slice(i, j);
    if (sameTime.length === 1) out.push(sameTime[0]!);
    else {
      const coins = [...new Set(sameTime.map((f) => f.coin))];
      for (const coin of coins) out.push(...chainByPosition(sameTime.filter((f) => f.coin === coin)));
    }
    i = j;
  }
  return out;
}

function endPosition(fill: Fill): string {
  const start = Number(fill.startPosition);
  const size = Number(fill.sz);
  // Only used to match chain links, never stored: compare at a fixed precision to avoid float noise.
  return (fill.side === "B" ? start + size : start - size).toFixed(10);
}

function chainByPosition(group: Fill[]): Fill[] {
  if (group.length < 2) return group;
  const ends = new Set(group.map(endPosition));
  const first = group.find((f) => !ends.has(Number(f.startPosition).toFixed(10)));
  if (!first) return group;
  const remaining = new Set(group);
  const chain: Fill[] = [];
  let current: Fill | undefined = first;
  while (current) {
    chain.push(current);
    remaining.delete(current);
    const end = endPosition(current);
    current = [...remaining].find((f) => Number(f.startPosition).toFixed(10) === end);
  }
  // Anything that did not link keeps its deterministic place after the chain.
  return [...chain, ...remaining];
}
