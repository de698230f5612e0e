/**
 * How domain records become rows of the sql/schema.sql tables and back.
 *
 * Every row carries the monitor's whole record in `metadata` (JSON keeps the exact decimal strings), and
 * reading uses only that: PostgREST serialises NUMERIC as a JSON number, which would turn "78751.0" into
 * 78751. The other columns are written for SQL users (NUMERIC from the exact strings, generated
 * timestamps) and for the conflict targets and filters.
 */

import { dec, str } from "../../domain/decimal.ts";
import { isLiquidationFill } from "../../domain/fill.ts";
import { orderVersion } from "../../domain/orders.ts";
import type {
  AccountSnapshot,
  ClosedPosition,
  CvdBucket,
  Fill,
  FillCursor,
  OrderState,
  PositionState,
} from "../../domain/types.ts";
import type { AlertChange, AlertRecord } from "../store.ts";

export type Row = Record<string, unknown>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const side = (value: "B" | "A") => (value === "B" ? "buy" : "sell");

/** `retentionDays` after `time`, as the rows' `expires_at` (what hl_prune() deletes by). */
export function expiresAt(time: number, retentionDays: number): string {
  return new Date(time + retentionDays * 86_400_000).toISOString();
}

// --- fills --------------------------------------------------------------------------------------------

/** Closing part of a position: a close, a flip, or a liquidation. */
const CLOSING_DIRECTION = /^Close|>|Liquidat/;

export const fillToRow = (fill: Fill): Row => ({
  account_address: fill.account,
  fill_id: fill.fillId,
  tid: fill.tid,
  time_ms: fill.time,
  coin: fill.coin,
  side: side(fill.side),
  price: fill.px,
  size: fill.sz,
  start_position: fill.startPosition,
  direction: fill.dir,
  closed_pnl: fill.closedPnl,
  fee: fill.fee,
  fee_token: fill.feeToken,
  order_id: fill.oid,
  // The account's own liquidation only: a counterparty's fill carries the liquidation object too.
  is_position_close: CLOSING_DIRECTION.test(fill.dir) || isLiquidationFill(fill),
  is_liquidation: isLiquidationFill(fill),
  is_perp: fill.isPerp,
  tx_hash: fill.hash,
  metadata: fill,
});

// --- positions ----------------------------------------------------------------------------------------

/** The state machine's columns only: the market columns belong to the snapshot writer. */
export const positionStateToRow = (state: PositionState): Row => ({
  account_address: state.account,
  coin: state.coin,
  size: state.size,
  side: state.side,
  entry_price: state.entryPx,
  is_open: state.isOpen,
  opened_at: iso(state.openedAt),
  realized_pnl: str(dec(state.closedPnl).minus(state.fees)),
  closed_at: state.isOpen || state.lastFillTime === 0 ? null : iso(state.lastFillTime),
  metadata: state,
});

export const closedPositionToRow = (position: ClosedPosition): Row => ({
  account_address: position.account,
  position_id: position.positionId,
  coin: position.coin,
  side: position.side,
  max_size: position.maxSize,
  closed_size: position.closedSize,
  entry_price: position.entryPx,
  exit_price: position.exitPx,
  opened_at_ms: position.openedAt,
  closed_at_ms: position.closedAt,
  duration_ms: position.durationMs,
  closed_pnl: position.closedPnl,
  fees: position.fees,
  realized_pnl: position.realizedPnl,
  fill_count: position.fillCount,
  liquidated: position.liquidated,
  partial_history: position.partialHistory,
  metadata: position,
});

// --- orders -------------------------------------------------------------------------------------------

export const orderToRow = (order: OrderState): Row => ({
  order_id: order.oid,
  account_address: order.account,
  coin: order.coin,
  side: side(order.side),
  size: order.sz,
  orig_size: order.origSz,
  price: order.limitPx,
  status: order.status,
  status_time_ms: order.statusTimestamp,
  placed_at_ms: order.timestamp,
  cloid: order.cloid,
  is_terminal: order.isTerminal,
  version: orderVersion(order),
  metadata: order,
});

// --- snapshots and CVD ---------------------------------------------------------------------------------

export const snapshotToRow = (snapshot: AccountSnapshot, retentionDays: number): Row => ({
  account_address: snapshot.account,
  time_ms: snapshot.time,
  account_value: snapshot.accountValue,
  total_margin_used: snapshot.totalMarginUsed,
  total_ntl_pos: snapshot.totalNtlPos,
  withdrawable: snapshot.withdrawable,
  total_unrealized_pnl: snapshot.totalUnrealizedPnl,
  leverage: snapshot.leverage,
  cross_margin_ratio: snapshot.crossMarginRatio,
  health_score: snapshot.healthScore,
  positions_count: snapshot.positionsCount,
  min_liquidation_distance: snapshot.minLiquidationDistance,
  metadata: snapshot,
  expires_at: expiresAt(snapshot.time, retentionDays),
});

export const cvdBucketToRow = (bucket: CvdBucket, retentionDays: number): Row => ({
  coin: bucket.coin,
  bucket_ms: bucket.bucket,
  buy_volume: bucket.buyVolume,
  sell_volume: bucket.sellVolume,
  delta: bucket.delta,
  cvd: bucket.cvd,
  trade_count: bucket.tradeCount,
  gap: bucket.gap,
  metadata: bucket,
  expires_at: expiresAt(bucket.bucket, retentionDays),
});

// --- the monitor's bookkeeping -------------------------------------------------------------------------

export const rowToCursor = (row: Row): FillCursor => ({
  account: row.account_address as string,
  time: row.time_ms as number,
  fillIds: row.fill_ids as string[],
  updatedAt: row.updated_at_ms as number,
});

export const alertToRow = (record: AlertRecord, retentionDays: number): Row => ({
  owner: record.owner,
  key: record.key,
  status: record.status,
  event: record.event,
  created_at_ms: record.createdAt,
  holder: record.holder,
  lease_until_ms: record.leaseUntil,
  attempts: record.attempts,
  sent_at_ms: record.sentAt,
  expires_at: expiresAt(record.createdAt, retentionDays),
});

export const rowToAlert = (row: Row): AlertRecord => ({
  owner: row.owner as string,
  key: row.key as string,
  status: row.status as AlertRecord["status"],
  event: row.event as AlertRecord["event"],
  createdAt: row.created_at_ms as number,
  holder: row.holder as string,
  leaseUntil: row.lease_until_ms as number,
  attempts: row.attempts as number,
  sentAt: (row.sent_at_ms as number | null) ?? null,
});

export function alertChangeToRow(change: AlertChange): Row {
  const row: Row = {};
  if (change.status !== undefined) row.status = change.status;
  if (change.leaseUntil !== undefined) row.lease_until_ms = change.leaseUntil;
  if (change.attempts !== undefined) row.attempts = change.attempts;
  if (change.sentAt !== undefined) row.sent_at_ms = change.sentAt;
  if (change.holder !== undefined) row.holder = change.holder;
  return row;
}
