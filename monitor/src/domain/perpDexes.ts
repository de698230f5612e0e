/**
 * Builder-deployed perp dexes (HIP-3). Each perp dex is its own clearinghouse: `clearinghouseState` and
 * `frontendOpenOrders` answer one dex at a time (`dex` omitted = the default dex only; DOCS
 * info-endpoint/perpetuals, "Defaults to the empty string which represents the first perp dex"). HIP-3
 * assets carry their dex as a name prefix, `xyz:XYZ100` (DOCS info-endpoint, userFills: "For HIP-3, the
 * asset has the dex name as a prefix"; metaAndAssetCtxs for a HIP-3 dex lists `xyz:XYZ100`).
 *
 * `mergeDexStates` folds the states of several dexes into one clearinghouse state, so that the account
 * health computed from one state (health.ts) covers every dex without knowing about dexes.
 */
import { D, dec, str } from "./decimal.ts";
import type { WireClearinghouseState, WireMarginSummary } from "./wire.ts";

/** The default perp dex on the wire: `""` in frames and requests (`perpDexs` lists it as `null`). */
export const DEFAULT_DEX = "";

/** The dex a coin trades on: the prefix before `:` for HIP-3 perps, the default dex for anything else. */
export function dexOfCoin(coin: string): string {
  const colon = coin.indexOf(":");
  return colon > 0 ? coin.slice(0, colon) : DEFAULT_DEX;
}

/**
 * One state for the whole account from each followed dex's state (`""` = default dex):
 * - positions of every dex, each coin carrying its `dex:` prefix (added if a dex's answer lacked it);
 * - `marginSummary` and `withdrawable` summed across dexes (exact decimals): the account's value is its
 *   collateral on every dex;
 * - `crossMarginSummary` and `crossMaintenanceMarginUsed` from the default dex alone: each dex margins its
 *   own positions, and HIP-3 markets are isolated-only (DOCS metaAndAssetCtxs, HIP-3 dex:
 *   `"onlyIsolated": true, "marginMode": "strictIsolated"`), so the cross margin ratio is the default
 *   dex's; the risk of a HIP-3 position shows in its own liquidation distance.
 * Without a default-dex state yet, the cross figures are those of a flat account.
 */
export function mergeDexStates(states: ReadonlyMap<string, WireClearinghouseState>): WireClearinghouseState {
  const base = states.get(DEFAULT_DEX) ?? flatState();
  if (states.size === 1 && states.has(DEFAULT_DEX)) return base;
  const all = [...states.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const times = all.map(([, state]) => state.time).filter((time): time is number => time !== undefined);
  return {
    marginSummary: sumSummaries(all.map(([, state]) => state.marginSummary)),
    crossMarginSummary: base.crossMarginSummary,
    ...(base.crossMaintenanceMarginUsed === undefined
      ? {}
      : { crossMaintenanceMarginUsed: base.crossMaintenanceMarginUsed }),
    withdrawable: str(all.reduce((sum, [, state]) => sum.plus(state.withdrawable), new D(0))),
    assetPositions: all.flatMap(([dex, state]) =>
      state.assetPositions.map((asset) =>
        dex === DEFAULT_DEX || asset.position.coin.startsWith(`${dex}:`)
          ? asset
          : { ...asset, position: { ...asset.position, coin: `${dex}:${asset.position.coin}` } },
      ),
    ),
    ...(times.length > 0 ? { time: Math.max(...times) } : {}),
  };
}

function sumSummaries(summaries: readonly WireMarginSummary[]): WireMarginSummary {
  const sum = (pick: (s: WireMarginSummary) => string) =>
    str(summaries.reduce((total, s) => total.plus(dec(pick(s))), new D(0)));
  return {
    accountValue: sum((s) => s.accountValue),
    totalNtlPos: sum((s) => s.totalNtlPos),
    totalRawUsd: sum((s) => s.totalRawUsd),
    totalMarginUsed: sum((s) => s.totalMarginUsed),
  };
}

function flatState(): WireClearinghouseState {
  const zero = { accountValue: "0", totalNtlPos: "0", totalRawUsd: "0", totalMarginUsed: "0" };
  return {
    marginSummary: zero,
    crossMarginSummary: { ...zero },
    crossMaintenanceMarginUsed: "0",
    withdrawable: "0",
    assetPositions: [],
  };
}
