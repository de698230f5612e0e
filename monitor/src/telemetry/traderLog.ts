/**
 * The info lines the trader's dashboard reads with Logs Insights (lib/monitoring/dashboard.ts): the latest
 * snapshot of each account with its open positions, every live fill, every closed position. Logs cost by
 * the byte, metrics by the name: one compact line per account per snapshot (about 300 bytes with a few
 * positions, once a minute) instead of a metric per figure. Decimals stay the exact strings of the API.
 */
import type { AccountSnapshot, ClosedPosition, Fill } from "../domain/types.ts";

export const SNAPSHOT_LINE = "account snapshot";
export const FILL_LINE = "fill";
export const CLOSED_LINE = "position closed";

export function snapshotLogFields(snapshot: AccountSnapshot) {
  return {
    account: snapshot.account,
    accountValue: snapshot.accountValue,
    unrealizedPnl: snapshot.totalUnrealizedPnl,
    positions: snapshot.positions.map((position) => {
      const short = position.size.startsWith("-");
      return {
        coin: position.coin,
        side: short ? "short" : "long",
        size: short ? position.size.slice(1) : position.size,
        entryPx: position.entryPx,
        unrealizedPnl: position.unrealizedPnl,
        // |mark − liquidation| / mark; null without a liquidation price.
        liquidationDistance: position.liquidationDistance,
      };
    }),
  };
}

export function fillLogFields(fill: Fill) {
  return {
    account: fill.account,
    coin: fill.coin,
    side: fill.side === "B" ? "buy" : "sell",
    px: fill.px,
    sz: fill.sz,
    dir: fill.dir,
    closedPnl: fill.closedPnl,
    fee: fill.fee,
    feeToken: fill.feeToken,
    tid: fill.tid,
    // The trade's own time (the line's `time` is when it was logged).
    fillTime: fill.time,
  };
}

export function closedLogFields(closed: ClosedPosition) {
  const { account, coin, side, closedSize, entryPx, exitPx, realizedPnl, fees, liquidated } = closed;
  return { account, coin, side, closedSize, entryPx, exitPx, realizedPnl, fees, liquidated };
}
