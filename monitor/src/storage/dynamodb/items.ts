/**
 * How domain records become DynamoDB items and back (see the key design in tables.ts).
 *
 * An item is the record's own fields plus a few storage attributes (sort keys, the order version, the
 * cursor revision, the TTL). Reading strips exactly those storage attributes, so a record round-trips
 * unchanged: decimal strings stay strings ("0.000100" keeps its zeros), nulls stay null, lists stay lists.
 */
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
import type { AlertRecord } from "../store.ts";
import { TTL_ATTRIBUTE } from "./tables.ts";

export type Item = Record<string, unknown>;

const CURRENT_POSITION_PREFIX = "CUR#";
const CLOSED_POSITION_PREFIX = "HIST#";
export const SNAPSHOT_PREFIX = "SNAP#";
export const FILL_CURSOR_SK = "CURSOR#fills";
export const ALERT_PREFIX = "ALERT#";

/** Storage attributes: added on write, stripped on read. */
const SORT_KEY = "sk";
export const ORDER_VERSION_ATTRIBUTE = "version";
export const CURSOR_REVISION_ATTRIBUTE = "revision";

/** Sort-key prefixes used by queries. */
export const positionKeyPrefix = { current: CURRENT_POSITION_PREFIX, closed: CLOSED_POSITION_PREFIX };

/** Epoch-ms times as 13 digits, so that sort keys order by time (good until the year 2286). */
function timeKey(time: number): string {
  return String(time).padStart(13, "0");
}

/** The TTL value: `retentionDays` after `time` (ms), in epoch seconds as DynamoDB TTL wants. */
export function expiresAt(time: number, retentionDays: number): number {
  return Math.floor(time / 1000 + retentionDays * 86_400);
}

function without<T>(item: Item, attributes: readonly string[]): T {
  const record: Item = { ...item };
  for (const attribute of attributes) delete record[attribute];
  return record as T;
}

// --- fills: the item is the fill ----------------------------------------------------------------------

export const fillToItem = (fill: Fill): Item => ({ ...fill });
export const itemToFill = (item: Item): Fill => without<Fill>(item, []);
export const fillKey = (item: Item) => `${item.account}|${item.fillId}`;

// --- positions ----------------------------------------------------------------------------------------

export const positionStateToItem = (state: PositionState): Item => ({
  ...state,
  [SORT_KEY]: `${CURRENT_POSITION_PREFIX}${state.coin}`,
});
export const itemToPositionState = (item: Item): PositionState => without<PositionState>(item, [SORT_KEY]);

/** Closed positions sort by coin, then close time, within the account's partition. */
export const closedPositionToItem = (position: ClosedPosition): Item => ({
  ...position,
  [SORT_KEY]: `${CLOSED_POSITION_PREFIX}${position.coin}#${timeKey(position.closedAt)}#${position.positionId}`,
  isOpen: false,
});
export const itemToClosedPosition = (item: Item): ClosedPosition =>
  without<ClosedPosition>(item, [SORT_KEY, "isOpen"]);

export const positionKey = (item: Item) => `${item.account}|${item[SORT_KEY]}`;

// --- orders -------------------------------------------------------------------------------------------

export const orderToItem = (order: OrderState): Item => ({
  ...order,
  [ORDER_VERSION_ATTRIBUTE]: orderVersion(order),
});
export const itemToOrder = (item: Item): OrderState => without<OrderState>(item, [ORDER_VERSION_ATTRIBUTE]);

// --- dashboard: snapshots and the fill cursor ---------------------------------------------------------

export const snapshotToItem = (snapshot: AccountSnapshot, retentionDays: number): Item => ({
  ...snapshot,
  [SORT_KEY]: `${SNAPSHOT_PREFIX}${timeKey(snapshot.time)}`,
  [TTL_ATTRIBUTE]: expiresAt(snapshot.time, retentionDays),
});
export const itemToSnapshot = (item: Item): AccountSnapshot =>
  without<AccountSnapshot>(item, [SORT_KEY, TTL_ATTRIBUTE]);

export interface StoredCursor {
  cursor: FillCursor;
  /** Bumped by every write; a merge writes only if nobody wrote in between (optimistic locking). */
  revision: number;
}

export const cursorKey = (account: string) => ({ account, [SORT_KEY]: FILL_CURSOR_SK });
export const itemToStoredCursor = (item: Item): StoredCursor => ({
  cursor: without<FillCursor>(item, [SORT_KEY, CURSOR_REVISION_ATTRIBUTE]),
  // Cursors written before revisions existed count as revision 0.
  revision: typeof item[CURSOR_REVISION_ATTRIBUTE] === "number" ? item[CURSOR_REVISION_ATTRIBUTE] : 0,
});

// --- cvd ----------------------------------------------------------------------------------------------

export const cvdBucketToItem = (bucket: CvdBucket, retentionDays: number): Item => ({
  ...bucket,
  [TTL_ATTRIBUTE]: expiresAt(bucket.bucket, retentionDays),
});
export const itemToCvdBucket = (item: Item): CvdBucket => without<CvdBucket>(item, [TTL_ATTRIBUTE]);
export const cvdBucketKey = (item: Item) => `${item.coin}|${item.bucket}`;

// --- dashboard: alert claims --------------------------------------------------------------------------

export const alertKey = (owner: string, key: string) => ({
  account: owner,
  [SORT_KEY]: `${ALERT_PREFIX}${key}`,
});

export const alertToItem = (record: AlertRecord, retentionDays: number): Item => {
  const { owner, ...rest } = record;
  return {
    ...rest,
    ...alertKey(owner, record.key),
    [TTL_ATTRIBUTE]: expiresAt(record.createdAt, retentionDays),
  };
};
export const itemToAlert = (item: Item): AlertRecord => {
  const { account, ...rest } = without<Omit<AlertRecord, "owner"> & { account: string }>(item, [
    SORT_KEY,
    TTL_ATTRIBUTE,
  ]);
  return { owner: account, ...rest };
};
