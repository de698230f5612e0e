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

/**
 * Whether a fill liquidated (or force-closed) a position of the fill's own account.
 *
 * Both sides of a liquidation trade carry the `liquidation` object: the liquidated account's fill and its
 * counterparty's (a market maker's ordinary resting order, samples/ws-user-1.json: "Open Short" with
 * another account as `liquidatedUser`). So the object alone says only that the fill was *part of* a
 * liquidation; the account was liquidated when `liquidatedUser` is the account (addresses are lower-cased
 * by normalizeFill, so this compares case-insensitively).
 *
 * `dir` is the fill's direction as seen by its own account (the counterparty of the sample reads "Open
 * Short"), so a dir that names a forced close ("Liquidated Isolated Long", "Liquidated Cross Short",
 * "Auto-Deleveraging", PROTOCOL.md §3.1, unconfirmed wording) describes this account's position and is kept
 * as a fallback: when there is no liquidation object, and when the object has no `liquidatedUser` (the docs
 * type it optional; without it the object cannot tell the two sides apart, so it alone marks nothing). An
 * auto-deleveraged position was closed by force too, which the owner wants to hear about as urgently.
 * A `liquidatedUser` that names another account wins over the dir: it is the explicit statement.
 */
export function isLiquidationFill(fill: Fill): boolean {
  const liquidatedUser = fill.liquidation?.liquidatedUser ?? null;
  if (liquidatedUser !== null) return liquidatedUser.toLowerCase() === fill.account.toLowerCase();
  return OWN_FORCED_CLOSE_DIR.test(fill.dir);
}

const OWN_FORCED_CLOSE_DIR = /^liquidated\b|deleverag/i;

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
