/**
 * Hyperliquid order statuses that mean "the exchange ended this order, not the trader", with the reason
 * in plain words. The list is the docs' order-status table (info endpoint, "Query order status by oid or
 * cloid"; the same strings arrive in `orderUpdates`), plus the statuses SDKs have since met on the wire
 * (`outcomeSettledCanceled`, `internalCancel`, `minTradeSpotNtlRejected`, `tooManyOpenOrdersRejected`).
 * The exchange adds statuses from time to time: an unknown `…Canceled`/`…Rejected` status still counts,
 * with a generic reason.
 */

/** Statuses that leave an order canceled by the exchange (never `canceled`: that one is the trader's). */
export const EXCHANGE_CANCEL_REASONS: Readonly<Record<string, string>> = {
  marginCanceled: "not enough margin to keep the order open",
  vaultWithdrawalCanceled: "a depositor withdrew from the vault",
  openInterestCapCanceled: "the coin reached its open-interest cap and the order was too aggressive",
  selfTradeCanceled: "it would have traded against another order of the same account",
  reduceOnlyCanceled: "it was reduce-only and would no longer reduce the position",
  siblingFilledCanceled: "the other order of its TP/SL pair filled",
  delistedCanceled: "the coin was delisted",
  liquidatedCanceled: "the position was liquidated",
  outcomeSettledCanceled: "the outcome market settled",
  scheduledCancel: "the scheduled cancel (dead man's switch) deadline passed",
  internalCancel: "an internal error on the exchange",
};

/** Statuses of an order the exchange refused. */
export const REJECTION_REASONS: Readonly<Record<string, string>> = {
  rejected: "refused by the exchange",
  tickRejected: "the price is not a multiple of the tick size",
  minTradeNtlRejected: "the order value is below the minimum",
  minTradeSpotNtlRejected: "the order value is below the spot minimum",
  perpMarginRejected: "not enough margin",
  reduceOnlyRejected: "it was reduce-only and would not reduce the position",
  badAloPxRejected: "a post-only order would have matched immediately",
  iocCancelRejected: "an immediate-or-cancel order found nothing to match",
  badTriggerPxRejected: "the TP/SL trigger price is invalid",
  marketOrderNoLiquidityRejected: "not enough liquidity for a market order",
  positionIncreaseAtOpenInterestCapRejected: "the coin is at its open-interest cap",
  positionFlipAtOpenInterestCapRejected: "the coin is at its open-interest cap",
  tooAggressiveAtOpenInterestCapRejected:
    "the price was too aggressive while the coin is at its open-interest cap",
  openInterestIncreaseRejected: "the coin is at its open-interest cap",
  insufficientSpotBalanceRejected: "not enough spot balance",
  oracleRejected: "the price is too far from the oracle price",
  perpMaxPositionRejected: "the position would exceed the margin tier's limit at this leverage",
  tooManyOpenOrdersRejected: "the account has too many open orders",
};

export type OrderEnding =
  | { kind: "canceled_by_exchange"; reason: string }
  | { kind: "rejected"; reason: string }
  | { kind: "other" };

/** How an order status ended the order, from the exchange's side. */
export function orderEnding(status: string): OrderEnding {
  const canceled = EXCHANGE_CANCEL_REASONS[status];
  if (canceled !== undefined) return { kind: "canceled_by_exchange", reason: canceled };
  const rejected = REJECTION_REASONS[status];
  if (rejected !== undefined) return { kind: "rejected", reason: rejected };
  if (/^[a-z][A-Za-z]*Cancel(ed)?$/.test(status)) {
    return { kind: "canceled_by_exchange", reason: `canceled by the exchange (status "${status}")` };
  }
  if (/^[a-z][A-Za-z]*Rejected$/.test(status)) {
    return { kind: "rejected", reason: `refused by the exchange (status "${status}")` };
  }
  return { kind: "other" };
}
