/**
 * Everything the monitor knows and does for one account: its socket (one per account, because
 * `orderUpdates` frames carry no user and can only be attributed by connection), its fill sync, its
 * orders and its latest clearinghouse state.
 */
import { normalizeFill } from "../domain/fill.ts";
import { OrderBook, orderFromWire } from "../domain/orders.ts";
import type { Fill, OrderState } from "../domain/types.ts";
import type { WireClearinghouseState, WireFill, WireOrder } from "../domain/wire.ts";
import { backfillFills } from "../hyperliquid/backfillFills.ts";
import { clearinghouseState } from "../hyperliquid/info/clearinghouseState.ts";
import { frontendOpenOrders } from "../hyperliquid/info/frontendOpenOrders.ts";
import { orderStatus } from "../hyperliquid/info/orderStatus.ts";
import { userAbstraction } from "../hyperliquid/info/userAbstraction.ts";
import type { InfoClient } from "../hyperliquid/infoClient.ts";
import type { RejectedItem } from "../hyperliquid/schemas.ts";
import {
  clearinghouseStateSubscription,
  orderUpdatesSubscription,
  userFillsSubscription,
} from "../hyperliquid/subscriptions.ts";
import type { MonitorStore } from "../storage/store.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { FeedConnection } from "./feedConnection.ts";
import { errorSummary, FillSync } from "./fillSync.ts";
import { LogSampler } from "./logSampler.ts";

/** At most this many stored-open orders are looked up one by one after a reconnect (weight 2 each). */
const MAX_ORDER_STATUS_LOOKUPS = 40;

export interface AccountWatcherDependencies {
  account: string;
  store: MonitorStore;
  info: InfoClient;
  metrics: Metrics;
  logger: Logger;
  backfillSince: number | null;
  applyFillsInOrder: (fills: readonly Fill[], context: { history: boolean }) => Promise<void>;
  onFillsRecovered?: (fills: readonly Fill[]) => void;
  /** Every clearinghouse state received, from the socket or over REST (once each). */
  onState?: (state: WireClearinghouseState, receivedAt: number) => void;
  /** Fills that failed validation were skipped (already counted and logged here); for the alert. */
  onFillsSkipped?: (items: readonly RejectedItem[], source: "rest" | "socket") => void;
  /**
   * The account's abstraction mode, read on every (re)connection before the state refresh: the
   * `userAbstraction` answer, or null when it could not be read.
   */
  onAccountMode?: (mode: string | null) => void;
  /** Delay before a stalled fill sync tries again (default 15 s). */
  stallRetryMs?: number;
}

export class AccountWatcher {
  readonly account: string;
  readonly fills: FillSync;
  readonly #deps: AccountWatcherDependencies;
  readonly #orders = new OrderBook();
  #state: { state: WireClearinghouseState; receivedAt: number } | null = null;
  #refreshing: Promise<void> | null = null;
  #modeRead = false;
  readonly #sampler = new LogSampler();
  /** Aborts this account's REST requests on stop, so a shutdown never waits out a rate-limit pause. */
  readonly #stopped = new AbortController();

  constructor(deps: AccountWatcherDependencies) {
    this.account = deps.account;
    this.#deps = deps;
    this.fills = new FillSync({
      account: deps.account,
      store: deps.store,
      backfillSince: deps.backfillSince,
      metrics: deps.metrics,
      logger: deps.logger,
      applyInOrder: deps.applyFillsInOrder,
      ...(deps.onFillsRecovered ? { onRecovered: deps.onFillsRecovered } : {}),
      ...(deps.stallRetryMs === undefined ? {} : { stallRetryMs: deps.stallRetryMs }),
      fetchFillsSince: (startTime, signal) => this.#fetchFillsSince(startTime, signal),
    });
  }

  get latestState(): { state: WireClearinghouseState; receivedAt: number } | null {
    return this.#state;
  }

  async start(connection: FeedConnection): Promise<void> {
    await this.fills.start();
    for (const order of await this.#deps.store.listOrders(this.account)) this.#orders.offer(order);
    connection.subscribe(userFillsSubscription(this.account));
    connection.subscribe(orderUpdatesSubscription(this.account));
    connection.subscribe(clearinghouseStateSubscription(this.account));
  }

  /** On every (re)connection: close the fill gap, then bring orders and state up to date over REST. */
  connected(): void {
    void this.fills.requestSync();
    this.#refreshing ??= this.#refreshOrdersAndState().finally(() => {
      this.#refreshing = null;
    });
  }

  disconnected(): void {
    this.fills.disconnected();
  }

  /** Fills of a `userFills` frame, and the items of it that failed validation. */
  receiveFills(wires: readonly WireFill[], rejected: readonly RejectedItem[] = []): void {
    if (rejected.length > 0) this.#fillsSkipped(rejected, "socket");
    this.fills.receive(wires.map((wire) => normalizeFill(this.account, wire)));
  }

  /**
   * Invalid fills are skipped, never allowed to stall the account: counted, logged with their raw text
   * (sampled: the first few, then one in a thousand), and reported for the once-a-day alert.
   */
  #fillsSkipped(items: readonly RejectedItem[], source: "rest" | "socket"): void {
    const { metrics, logger } = this.#deps;
    metrics.count("FillsInvalid", items.length);
    for (const item of items) {
      const seen = this.#sampler.sample("invalid fill");
      if (seen === null) continue;
      logger.warn(
        { account: this.account, source, reason: item.reason, time: item.time, raw: item.raw, seen },
        "invalid fill skipped",
      );
    }
    this.#deps.onFillsSkipped?.(items, source);
  }

  receiveOrders(wires: readonly WireOrder[]): void {
    this.#storeOrders(wires.map((wire) => orderFromWire(this.account, wire)));
  }

  receiveState(state: WireClearinghouseState, receivedAt: number): void {
    this.#setState(state, receivedAt);
  }

  /** The latest state if it is younger than `maxAgeMs`, else a fresh one over REST. */
  async currentState(maxAgeMs: number, now = Date.now()): Promise<WireClearinghouseState> {
    if (this.#state && now - this.#state.receivedAt <= maxAgeMs) return this.#state.state;
    // A socket that never opened never read the mode, and the alert rules hold the margin ratio until then.
    if (!this.#modeRead) await this.#readAccountMode(this.#stopped.signal);
    const state = await clearinghouseState(this.#deps.info, { user: this.account }, this.#stopped.signal);
    this.#setState(state, Date.now());
    return state;
  }

  async stop(): Promise<void> {
    this.#stopped.abort();
    await this.fills.stop();
    await this.#refreshing?.catch(() => {});
  }

  #setState(state: WireClearinghouseState, receivedAt: number): void {
    this.#state = { state, receivedAt };
    this.#deps.onState?.(state, receivedAt);
  }

  #storeOrders(orders: OrderState[]): void {
    const changed = orders.filter((order) => this.#orders.offer(order));
    if (changed.length === 0) return;
    this.#deps.metrics.count("OrderUpdates", changed.length);
    this.#deps.store.putOrders(changed).catch((error) => {
      this.#deps.logger.error({ account: this.account, err: errorSummary(error) }, "order update not stored");
    });
  }

  async *#fetchFillsSince(startTime: number, signal: AbortSignal): AsyncIterable<Fill[]> {
    const pages = backfillFills(this.#deps.info, {
      user: this.account,
      startTime,
      signal,
      onRejected: (items) => this.#fillsSkipped(items, "rest"),
    });
    for await (const page of pages) {
      yield page.map((wire) => normalizeFill(this.account, wire));
    }
  }

  async #readAccountMode(signal: AbortSignal): Promise<void> {
    if (!this.#deps.onAccountMode) return;
    let mode: string | null = null;
    try {
      mode = await userAbstraction(this.#deps.info, { user: this.account }, signal);
    } catch (error) {
      if (signal.aborted) return;
      this.#deps.logger.warn(
        { account: this.account, err: errorSummary(error) },
        "account mode not read; health figures are taken as standard-mode figures",
      );
    }
    this.#modeRead = true;
    this.#deps.onAccountMode(mode);
  }

  async #refreshOrdersAndState(): Promise<void> {
    const { info, logger } = this.#deps;
    const signal = this.#stopped.signal;
    // Every (re)connection reads the mode again (a user may switch modes; it costs weight 20).
    await this.#readAccountMode(signal);
    try {
      const state = await clearinghouseState(info, { user: this.account }, signal);
      this.#setState(state, Date.now());

      // No snapshot or replay exists for orderUpdates: what changed while we were away comes from the
      // open-orders list and, for orders we still hold as open but that left it, their current status.
      const open = await frontendOpenOrders(info, { user: this.account }, signal);
      const openOids = new Set<number>();
      const fromList: OrderState[] = open.map((row) => {
        openOids.add(row.oid);
        return orderFromWire(this.account, {
          order: row,
          status: "open",
          statusTimestamp: row.timestamp,
        });
      });
      this.#storeOrders(fromList);
      const vanished = this.#orders
        .all()
        .filter((order) => !order.isTerminal && !openOids.has(order.oid))
        .slice(0, MAX_ORDER_STATUS_LOOKUPS);
      for (const order of vanished) {
        const status = await orderStatus(info, { user: this.account, oid: order.oid }, signal);
        if (status) this.#storeOrders([orderFromWire(this.account, status)]);
      }
    } catch (error) {
      if (signal.aborted) return;
      logger.warn({ account: this.account, err: errorSummary(error) }, "order and state refresh failed");
    }
  }
}
