/** Real Hyperliquid payloads (see test/fixtures/hyperliquid/SOURCES.md) and helpers to derive test data. */
import { readFileSync } from "node:fs";
import type { WireClearinghouseState, WireFill, WireTrade } from "../../monitor/src/domain/wire.ts";

const dir = new URL("../fixtures/hyperliquid/", import.meta.url);

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, dir), "utf8")) as T;
}

/** The 500 real legacy fills of 0xb7b6…17b2 (May 2023), newest first as the API sent them. */
export const LEGACY_ACCOUNT = "0xb7b6f3cea3f66bf525f5d8f965f6dbf6d9b017b2";
export const legacyFills = (): WireFill[] => fixture<WireFill[]>("info-userFills-1.json");
/** Two current-shape BTC fills of one maker order, with rebates (negative fees). */
export const currentFills = (): WireFill[] => fixture<WireFill[]>("info-userFills-2.json");
/**
 * A real fill that was part of a liquidation, as the liquidator's counterparty saw it: its
 * `liquidation.liquidatedUser` (LIQUIDATED_USER) is another account, and its `dir` is a plain "Open Short".
 */
export const liquidationFill = (): WireFill =>
  fixture<{ data: { fills: WireFill[] } }>("ws-user-1.json").data.fills[0]!;
export const LIQUIDATED_USER = "0x360878d351f05975e25f1807a27895e1e5e004fb";
/** The same real fill as the liquidated account's own: `liquidatedUser` set to `account` (as given). */
export function ownLiquidationFill(account: string): WireFill {
  const wire = liquidationFill();
  return { ...wire, liquidation: { ...wire.liquidation!, liquidatedUser: account } };
}
export const realTrades = (): WireTrade[] => fixture<{ data: WireTrade[] }>("ws-trades-1.json").data;
export const realState = (): WireClearinghouseState =>
  fixture<WireClearinghouseState>("info-clearinghouseState-2.json");

/**
 * `count` fills cloned from a real current-shape fill, one per millisecond from `startTime`, with fresh
 * tids; a chain of opens so startPosition stays consistent.
 */
export function generatedFills(count: number, startTime: number, firstTid = 1_000_000): WireFill[] {
  const template = currentFills()[0]!;
  const fills: WireFill[] = [];
  let position = 0n; // in units of 0.00001
  for (let i = 0; i < count; i++) {
    fills.push({
      ...template,
      time: startTime + i,
      tid: firstTid + i,
      oid: template.oid + i,
      sz: "0.00001",
      startPosition: (Number(position) / 100_000).toFixed(5),
      dir: "Open Long",
    });
    position += 1n;
  }
  return fills;
}
/** The docs' `perpDexs` answer: null (the default dex), then one builder-deployed dex. */
export const realPerpDexs = (): unknown[] => fixture<unknown[]>("info-perpDexs-1.json");
/** An isolated `xyz:XYZ100` long on HIP-3 dex `xyz`, ~4 % from liquidation (derived from the docs' example). */
export const hip3State = (): WireClearinghouseState =>
  fixture<WireClearinghouseState>("info-clearinghouseState-hip3-1.json");

/**
 * The default dex's real perp universe and each asset's day volume, from the mainnet `webData2` frame
 * (ws-webData2-frames-1.json, June 2025): 199 assets, 28 of them delisted; `assetCtxs` is in the order
 * of `meta.universe`.
 */
export function mainnetMarket(): {
  name: string;
  szDecimals: number;
  maxLeverage: number;
  isDelisted?: boolean;
  dayNtlVlm: string;
  markPx: string;
}[] {
  const frame =
    fixture<
      {
        data: {
          meta: {
            universe: { name: string; szDecimals: number; maxLeverage: number; isDelisted?: boolean }[];
          };
          assetCtxs: { dayNtlVlm: string; markPx: string }[];
        };
      }[]
    >("ws-webData2-frames-1.json")[1]!.data;
  return frame.meta.universe.map((asset, index) => ({
    name: asset.name,
    szDecimals: asset.szDecimals,
    maxLeverage: asset.maxLeverage,
    ...(asset.isDelisted ? { isDelisted: true } : {}),
    dayNtlVlm: frame.assetCtxs[index]!.dayNtlVlm,
    markPx: frame.assetCtxs[index]!.markPx,
  }));
}

/** The mainnet universe as `meta` lists it (no volumes). */
export const mainnetUniverse = () => mainnetMarket().map(({ dayNtlVlm: _v, markPx: _p, ...asset }) => asset);
