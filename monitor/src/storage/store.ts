/**
 * The storage interface every back end implements (DynamoDB for `dynamodb` and `local`, Supabase for `supabase`).
 *
 * Contract, checked by the conformance suite in test/storage/conformance.ts:
 * - Every write is idempotent: writing the same item twice leaves one item with the same content.
 * - `putFills` resolves only once every fill is durably stored (it retries throttling and partial batch
 *   failures itself, and rejects with a `StorageError` when the back end keeps failing).
 * - `putOrders` keeps, per (account, oid), the state with the newest statusTimestamp; at equal timestamps a
 *   terminal status wins over open/triggered. An older state never overwrites a newer one.
 * - `setFillCursor` never moves a cursor backwards (an older cursor is ignored).
 * - Dashboard snapshots and CVD buckets carry an expiry (`retentionDays` after their time).
 * - `claimAlert` is a conditional create: of any number of concurrent claims of one key, exactly one gets
 *   `null` (claimed); the others get the stored record. `updateAlert` applies only while the stored record
 *   is pending with the expected lease, so a task that lost its lease cannot overwrite the new holder.
 */
import type { AlertEvent } from "../../../lambda-alerts/src/alertEvent.ts";
import type {
  AccountSnapshot,
  ClosedPosition,
  CvdBucket,
  Fill,
  FillCursor,
  OrderState,
  PositionState,
} from "../domain/types.ts";

export interface MonitorStore {
  /** Make sure the back end is usable (and, where allowed, create missing tables). */
  init(): Promise<void>;
  close(): Promise<void>;

  putFills(fills: readonly Fill[]): Promise<void>;
  /** Fills of an account with from ≤ time ≤ to, oldest first. */
  listFills(account: string, range?: { from?: number; to?: number }): Promise<Fill[]>;

  getFillCursor(account: string): Promise<FillCursor | null>;
  setFillCursor(cursor: FillCursor): Promise<void>;

  /** Current state per (account, coin), open or flat, for restoring the position state machine. */
  loadPositionStates(account: string): Promise<PositionState[]>;
  /** Saves current states (upsert per account+coin) and closed-position records (insert once). */
  savePositions(states: readonly PositionState[], closed: readonly ClosedPosition[]): Promise<void>;
  listClosedPositions(account: string): Promise<ClosedPosition[]>;

  putOrders(orders: readonly OrderState[]): Promise<void>;
  listOrders(account: string): Promise<OrderState[]>;

  putAccountSnapshot(snapshot: AccountSnapshot): Promise<void>;
  latestAccountSnapshot(account: string): Promise<AccountSnapshot | null>;

  /** Upserts buckets (key coin+bucket); the newest write of a bucket wins. */
  putCvdBuckets(buckets: readonly CvdBucket[]): Promise<void>;
  /** The newest bucket per coin (it carries the dedup watermark and the running cvd). */
  latestCvdBuckets(coins: readonly string[]): Promise<Map<string, CvdBucket>>;
  listCvdBuckets(coin: string, range?: { from?: number; to?: number }): Promise<CvdBucket[]>;

  /** Claims an alert key: null when this call created the record, else the record already stored. */
  claimAlert(record: AlertRecord): Promise<AlertRecord | null>;
  /** Changes a pending record held under `expectedLeaseUntil`; false when it is no longer so. */
  updateAlert(owner: string, key: string, expectedLeaseUntil: number, change: AlertChange): Promise<boolean>;
  getAlert(owner: string, key: string): Promise<AlertRecord | null>;
  /** Pending records of an owner, oldest first (for resuming after a restart). */
  listPendingAlerts(owner: string): Promise<AlertRecord[]>;
}

export type AlertStatus = "pending" | "sent" | "abandoned";

/** An alert claimed for publishing: the outbox record that makes each alert go out once. */
export interface AlertRecord {
  /** The account the alert is about, or `_monitor` for alerts about the monitor itself. */
  owner: string;
  key: string;
  status: AlertStatus;
  event: AlertEvent;
  createdAt: number;
  /** Which task holds (or last held) the claim: a random id per process. */
  holder: string;
  /** While pending: the holder publishes until then; after it, another task may take the record over. */
  leaseUntil: number;
  attempts: number;
  sentAt: number | null;
}

export type AlertChange = Partial<
  Pick<AlertRecord, "status" | "leaseUntil" | "attempts" | "sentAt" | "holder">
>;

export const MONITOR_ALERT_OWNER = "_monitor";

/** A back-end failure after the adapter's own retries; `retryable` tells the caller whether to try again. */
export class StorageError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { cause?: unknown; retryable: boolean }) {
    super(message, { cause: options.cause });
    this.name = "StorageError";
    this.retryable = options.retryable;
  }
}
