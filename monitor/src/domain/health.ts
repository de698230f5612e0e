/**
 * Account health from a clearinghouse state (PROTOCOL.md §7, standard margin mode):
 * - cross margin ratio = crossMaintenanceMarginUsed / crossMarginSummary.accountValue (≥ 1 is liquidatable)
 * - health score = 100 · (1 − ratio), clamped to [0, 100]; 100 when no maintenance margin is used
 * - a cross account value ≤ 0 with maintenance margin in use is at or beyond liquidation: ratio 1, health 0
 * - leverage = marginSummary.totalNtlPos / marginSummary.accountValue
 * - mark price = positionValue / |szi|; liquidation distance = |mark − liquidationPx| / mark
 * Quotients are rounded half-even to 8 decimal places; sums are exact.
 * Unified-account and portfolio-margin accounts have other ratios, not computed here (domain/accountMode.ts).
 */
import { D, type Dec, dec, quotient, str } from "./decimal.ts";
import type { AccountSnapshot, PositionHealth } from "./types.ts";
import type { WireClearinghouseState } from "./wire.ts";

export function accountSnapshotFrom(
  account: string,
  state: WireClearinghouseState,
  time: number,
): AccountSnapshot {
  const positions: PositionHealth[] = state.assetPositions
    .map(({ position }) => {
      const size = dec(position.szi);
      const value = dec(position.positionValue);
      const markPx = size.isZero() ? null : value.div(size.abs());
      const liquidationPx = position.liquidationPx;
      const distance =
        markPx === null || liquidationPx === null || markPx.isZero()
          ? null
          : quotient(markPx.minus(liquidationPx).abs(), markPx);
      return {
        coin: position.coin,
        size: position.szi,
        entryPx: position.entryPx,
        markPx: markPx === null ? null : quotient(markPx, new D(1)),
        liquidationPx,
        liquidationDistance: distance,
        unrealizedPnl: position.unrealizedPnl,
        marginUsed: position.marginUsed,
        positionValue: position.positionValue,
        leverageType: position.leverage.type,
        leverage: String(position.leverage.value),
      };
    })
    .filter((position) => !dec(position.size).isZero());

  const accountValue = dec(state.marginSummary.accountValue);
  const crossValue = dec(state.crossMarginSummary.accountValue);
  const maintenance = state.crossMaintenanceMarginUsed;
  const ratio = crossMarginRatio(maintenance, crossValue);
  const distances = positions
    .map((position) => position.liquidationDistance)
    .filter((distance): distance is string => distance !== null);

  return {
    account: account.toLowerCase(),
    time,
    accountValue: state.marginSummary.accountValue,
    totalMarginUsed: state.marginSummary.totalMarginUsed,
    totalNtlPos: state.marginSummary.totalNtlPos,
    withdrawable: state.withdrawable,
    totalUnrealizedPnl: str(positions.reduce((sum, p) => sum.plus(p.unrealizedPnl), new D(0))),
    leverage: accountValue.isZero() ? null : quotient(dec(state.marginSummary.totalNtlPos), accountValue),
    crossMarginRatio: ratio === null ? null : quotient(ratio, new D(1)),
    healthScore: healthScore(maintenance, ratio),
    positionsCount: positions.length,
    minLiquidationDistance: distances.length === 0 ? null : str(D.min(...distances.map((d) => dec(d)))),
    positions,
  };
}

/**
 * crossMaintenanceMarginUsed / crossMarginSummary.accountValue; null without maintenance data (legacy
 * payloads). A cross account value at or below zero with maintenance margin in use is at or beyond
 * liquidation (value < maintenance), but the quotient there is infinite or negative and means nothing: it
 * is reported as 1, the liquidation point, so that the margin rules fire their critical level and the
 * gauges stay finite. At or below zero with no maintenance margin in use there is no ratio (null).
 */
function crossMarginRatio(maintenance: string | undefined, crossValue: Dec): Dec | null {
  if (maintenance === undefined) return null;
  if (crossValue.lte(0)) return dec(maintenance).gt(0) ? new D(1) : null;
  return dec(maintenance).div(crossValue);
}

/** 100 · (1 − ratio), clamped to [0, 100]; 100 with no maintenance margin in use, or no data (legacy). */
function healthScore(maintenance: string | undefined, ratio: Dec | null): string {
  if (maintenance === undefined || ratio === null || !dec(maintenance).gt(0)) return "100";
  return quotient(D.min(100, D.max(0, new D(1).minus(ratio).times(100))), new D(1));
}
