/**
 * MonitorStore in memory, counting the requests a back end would receive: the sink of the benchmark,
 * where storage must cost nothing but still be counted. It meets the storage contract (the conformance
 * suite runs against it), so the monitor behaves exactly as it does over a real back end.
 */
import { isNewerOrder } from "../../monitor/src/domain/orders.ts";
import type {
  AccountSnapshot,
  ClosedPosition,
  CvdBucket,
  Fill,
  FillCursor,
  OrderState,
  PositionState,
} from "../../monitor/src/domain/types.ts";
import { storable } from "../../monitor/src/storage/storableText.ts";
import type { AlertChange, AlertRecord, MonitorStore } from "../../monitor/src/storage/store.ts";

type Range = { from?: number; to?: number };

/** Calls made (requests) and records written (items), per kind of write. */
export interface StoreCounts {
  calls: Record<string, number>;
  items: Record<string, number>;
}

const inRange = (time: number, range: Range) =>
  time >= (range.from ?? Number.NEGATIVE_INFINITY) && time <= (range.to ?? Number.POSITIVE_INFINITY);
/** Stored as every back end stores it: text made storable (storableText.ts), then a private copy. */
const copy = <T>(value: T): T => structuredClone(storable(value));

export class MemoryStore implements MonitorStore {
  readonly counts: StoreCounts = { calls: {}, items: {} };
  readonly #fills = new Map<string, Map<string, Fill>>();
  readonly #cursors = new Map<string, FillCursor>();
  readonly #positions = new Map<string, PositionState>();
  readonly #closed = new Map<string, ClosedPosition>();
  readonly #orders = new Map<string, OrderState>();
  readonly #snapshots = new Map<string, AccountSnapshot>();
  readonly #cvd = new Map<string, CvdBucket>();
  readonly #alerts = new Map<string, AlertRecord>();

  #count(kind: string, items: number): void {
    this.counts.calls[kind] = (this.counts.calls[kind] ?? 0) + 1;
    this.counts.items[kind] = (this.counts.items[kind] ?? 0) + items;
  }

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  async putFills(fills: readonly Fill[]): Promise<void> {
    if (fills.length === 0) return;
    this.#count("fills", fills.length);
    for (const fill of fills) {
      const account = this.#fills.get(fill.account) ?? new Map<string, Fill>();
      this.#fills.set(fill.account, account);
      if (!account.has(fill.fillId)) account.set(fill.fillId, copy(fill));
    }
  }

  async listFills(account: string, range: Range = {}): Promise<Fill[]> {
    return [...(this.#fills.get(account)?.values() ?? [])]
      .filter((fill) => inRange(fill.time, range))
      .sort((a, b) => a.time - b.time || (a.fillId < b.fillId ? -1 : a.fillId > b.fillId ? 1 : 0))
      .map(copy);
  }

  /** Every stored fill of every account (what the soak compares with the exchange's record). */
  get fillCount(): number {
    let total = 0;
    for (const account of this.#fills.values()) total += account.size;
    return total;
  }

  async getFillCursor(account: string): Promise<FillCursor | null> {
    const cursor = this.#cursors.get(account);
    return cursor ? copy(cursor) : null;
  }

  async setFillCursor(cursor: FillCursor): Promise<void> {
    this.#count("cursor", 1);
    const current = this.#cursors.get(cursor.account);
    if (current && cursor.time < current.time) return;
    if (current && cursor.time === current.time) {
      this.#cursors.set(cursor.account, {
        ...current,
        fillIds: [...new Set([...current.fillIds, ...cursor.fillIds])],
        updatedAt: Math.max(current.updatedAt, cursor.updatedAt),
      });
      return;
    }
    this.#cursors.set(cursor.account, copy(cursor));
  }

  async loadPositionStates(account: string): Promise<PositionState[]> {
    return [...this.#positions.values()].filter((state) => state.account === account).map(copy);
  }

  async savePositions(states: readonly PositionState[], closed: readonly ClosedPosition[]): Promise<void> {
    if (states.length === 0 && closed.length === 0) return;
    this.#count("positions", states.length + closed.length);
    for (const position of closed) {
      const key = `${position.account}|${position.positionId}`;
      if (!this.#closed.has(key)) this.#closed.set(key, copy(position));
    }
    for (const state of states) this.#positions.set(`${state.account}|${state.coin}`, copy(state));
  }

  async listClosedPositions(account: string): Promise<ClosedPosition[]> {
    return [...this.#closed.values()]
      .filter((position) => position.account === account)
      .sort((a, b) => a.closedAt - b.closedAt || a.positionId.localeCompare(b.positionId))
      .map(copy);
  }

  async putOrders(orders: readonly OrderState[]): Promise<void> {
    if (orders.length === 0) return;
    this.#count("orders", orders.length);
    for (const order of orders) {
      const key = `${order.account}|${order.oid}`;
      if (isNewerOrder(order, this.#orders.get(key))) this.#orders.set(key, copy(order));
    }
  }

  async listOrders(account: string): Promise<OrderState[]> {
    return [...this.#orders.values()].filter((order) => order.account === account).map(copy);
  }

  async putAccountSnapshot(snapshot: AccountSnapshot): Promise<void> {
    this.#count("snapshots", 1);
    this.#snapshots.set(`${snapshot.account}|${snapshot.time}`, copy(snapshot));
  }

  async latestAccountSnapshot(account: string): Promise<AccountSnapshot | null> {
    const mine = [...this.#snapshots.values()].filter((snapshot) => snapshot.account === account);
    const latest = mine.sort((a, b) => b.time - a.time)[0];
    return latest ? copy(latest) : null;
  }

  async putCvdBuckets(buckets: readonly CvdBucket[]): Promise<void> {
    if (buckets.length === 0) return;
    this.#count("cvd", buckets.length);
    for (const bucket of buckets) this.#cvd.set(`${bucket.coin}|${bucket.bucket}`, copy(bucket));
  }

  async latestCvdBuckets(coins: readonly string[]): Promise<Map<string, CvdBucket>> {
    const latest = new Map<string, CvdBucket>();
    for (const bucket of this.#cvd.values()) {
      if (!coins.includes(bucket.coin)) continue;
      const current = latest.get(bucket.coin);
      if (!current || bucket.bucket > current.bucket) latest.set(bucket.coin, copy(bucket));
    }
    return latest;
  }

  async listCvdBuckets(coin: string, range: Range = {}): Promise<CvdBucket[]> {
    return [...this.#cvd.values()]
      .filter((bucket) => bucket.coin === coin && inRange(bucket.bucket, range))
      .sort((a, b) => a.bucket - b.bucket)
      .map(copy);
  }

  async claimAlert(record: AlertRecord): Promise<AlertRecord | null> {
    this.#count("alerts", 1);
    const key = `${record.owner}|${record.key}`;
    const stored = this.#alerts.get(key);
    if (stored) return copy(stored);
    this.#alerts.set(key, copy(record));
    return null;
  }

  async updateAlert(
    owner: string,
    key: string,
    expectedLeaseUntil: number,
    change: AlertChange,
  ): Promise<boolean> {
    this.#count("alerts", 1);
    const stored = this.#alerts.get(`${owner}|${key}`);
    if (stored?.status !== "pending" || stored.leaseUntil !== expectedLeaseUntil) return false;
    this.#alerts.set(`${owner}|${key}`, { ...stored, ...change });
    return true;
  }

  async getAlert(owner: string, key: string): Promise<AlertRecord | null> {
    const stored = this.#alerts.get(`${owner}|${key}`);
    return stored ? copy(stored) : null;
  }

  async listPendingAlerts(owner: string): Promise<AlertRecord[]> {
    return [...this.#alerts.values()]
      .filter((record) => record.owner === owner && record.status === "pending")
      .sort((a, b) => a.createdAt - b.createdAt || a.key.localeCompare(b.key))
      .map(copy);
  }
}
