/**
 * Everything the monitor knows and does for one account: its socket (one per account, because
 * `orderUpdates` frames carry no user and can only be attributed by connection), its fill sync, its
 * orders and its latest clearinghouse state on each perp dex it follows.
 *
 * Perp dexes (HIP-3): fills and order updates cover every dex (they take no `dex`), but clearinghouse
 * state and the open-orders list answer one dex at a time, the default dex when `dex` is omitted (DOCS
 * info-endpoint/perpetuals). The watcher follows the default dex always, and any other dex once the
 * account is seen there: a fill or an order for a `dex:COIN` coin, a stored open order, or a probe by
 * DexDiscovery. Following a dex = a `clearinghouseState` subscription with `dex` on the account's socket
 * (1 subscription) and that dex in the REST refresh after every (re)connection (clearinghouseState 2 +
 * frontendOpenOrders 20 weight). A dex is not dropped again (it costs one subscription; see docs/how-it-works.md).
 */

import type { TriggerDetails } from "../alerts/orderAlerts.ts";
import { dec } from "../domain/decimal.ts";
import { normalizeFill } from "../domain/fill.ts";
import { OrderBook, orderFromWire } from "../domain/orders.ts";
import { DEFAULT_DEX, dexOfCoin, mergeDexStates } from "../domain/perpDexes.ts";
import type { Fill, OrderState } from "../domain/types.ts";
import type { WireClearinghouseState, WireFill, WireOrder } from "../domain/wire.ts";
import { backfillFills } from "../hyperliquid/backfillFills.ts";
import { CLEARINGHOUSE_STATE, clearinghouseState } from "../hyperliquid/info/clearinghouseState.ts";
import { FRONTEND_OPEN_ORDERS, frontendOpenOrders } from "../hyperliquid/info/frontendOpenOrders.ts";
import { orderStatus, triggerDetailsOf } from "../hyperliquid/info/orderStatus.ts";
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
  /**
   * Every clearinghouse state received, from the socket or over REST (once each), merged with the
   * latest state of every other followed dex (mergeDexStates).
   */
  onState?: (state: WireClearinghouseState, receivedAt: number) => void;
  /** Fills that failed validation were skipped (already counted and logged here); for the alert. */
  onFillsSkipped?: (items: readonly RejectedItem[], source: "rest" | "socket") => void;
  /**
   * The account's abstraction mode, read on every (re)connection before the state refresh: the
   * `userAbstraction` answer, or null when it could not be read.
   */
  onAccountMode?: (mode: string | null) => void;
  /**
   * Every order status received from the socket or looked up over REST after a reconnect (not the
   * open-orders list), in arrival order, whether or not it was newer than what was held; for alerts.
   * `details`: the trigger fields when the status came from an `orderStatus` lookup.
   */
  onOrderUpdates?: (updates: { order: OrderState; details?: TriggerDetails | null }[]) => void;
  /** Delay before a stalled fill sync tries again (default 15 s). */
  stallRetryMs?: number;
}

export class AccountWatcher {
  readonly account: string;
  readonly fills: FillSync;
  readonly #deps: AccountWatcherDependencies;
  readonly #orders = new OrderBook();
  /** Latest state per followed perp dex (`""` = default dex). */
  readonly #states = new Map<string, { state: WireClearinghouseState; receivedAt: number }>();
  /** Perp dexes followed: the default one always, others once the account is seen there. */
  readonly #followed = new Set<string>([DEFAULT_DEX]);
  #connection: FeedConnection | null = null;
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
      // Backfilled fills are seen here too (live ones also in receiveFills, before any sync queue).
      applyInOrder: (fills, context) => {
        this.#followDexesOf(
          fills.map((fill) => fill.coin),
          "fill",
        );
        return deps.applyFillsInOrder(fills, context);
      },
      ...(deps.onFillsRecovered ? { onRecovered: deps.onFillsRecovered } : {}),
      ...(deps.stallRetryMs === undefined ? {} : { stallRetryMs: deps.stallRetryMs }),
      fetchFillsSince: (startTime, signal) => this.#fetchFillsSince(startTime, signal),
    });
  }

  /** The latest state of every followed dex, merged; `receivedAt` is that of the oldest part. */
  get latestState(): { state: WireClearinghouseState; receivedAt: number } | null {
    if (this.#states.size === 0) return null;
    const parts = [...this.#states.values()];
    return {
      state: mergeDexStates(new Map([...this.#states].map(([dex, part]) => [dex, part.state]))),
      receivedAt: Math.min(...parts.map((part) => part.receivedAt)),
    };
  }

  /** Followed perp dexes, the default one (`""`) first. */
  get followedDexes(): string[] {
    return [...this.#followed].sort();
  }

  follows(dex: string): boolean {
    return this.#followed.has(dex);
  }

  async start(connection: FeedConnection): Promise<void> {
    await this.fills.start();
    for (const order of await this.#deps.store.listOrders(this.account)) this.#orders.offer(order);
    this.#connection = connection;
    connection.subscribe(userFillsSubscription(this.account));
    connection.subscribe(orderUpdatesSubscription(this.account));
    connection.subscribe(clearinghouseStateSubscription(this.account));
    // Resting orders stored by an earlier run tell where the account trades.
    this.#followDexesOf(
      this.#orders
        .all()
        .filter((order) => !order.isTerminal)
        .map((order) => order.coin),
      "stored open order",
    );
  }

  /**
   * Starts following a perp dex (idempotent): subscribes its clearinghouseState (the subscribe snapshot
   * brings its state) and, on an open socket, lists its open orders over REST. Returns whether it was new.
   */
  follow(dex: string, reason: string): boolean {
    if (this.#followed.has(dex) || this.#stopped.signal.aborted) return false;
    this.#followed.add(dex);
    this.#deps.metrics.count("PerpDexesFollowed");
    this.#deps.logger.info(
      { account: this.account, dex, reason, followedDexes: this.#followed.size },
      "following perp dex",
    );
    this.#connection?.subscribe(clearinghouseStateSubscription(this.account, dex));
    // Before the socket is open (at start) the refresh that follows each connection lists this dex.
    if (!this.#connection?.isOpen) return true;
    void this.#listOpenOrders(dex, this.#stopped.signal).catch((error) => {
      if (!this.#stopped.signal.aborted) {
        this.#deps.logger.warn(
          { account: this.account, dex, err: errorSummary(error) },
          "open orders not listed",
        );
      }
    });
    return true;
  }

  /**
   * Discovery's look at a dex not followed: its state (weight 2), then, if flat, its open orders (20).
   * Follows the dex when either holds something. Returns the weight spent, for the caller's pacing.
   */
  async probeDex(dex: string, signal: AbortSignal): Promise<number> {
    if (this.#followed.has(dex)) return 0;
    const state = await clearinghouseState(this.#deps.info, { user: this.account, dex }, signal);
    if (state.assetPositions.some(({ position }) => !dec(position.szi).isZero())) {
      this.follow(dex, "position found by discovery");
      return CLEARINGHOUSE_STATE.weight;
    }
    const open = await frontendOpenOrders(this.#deps.info, { user: this.account, dex }, signal);
    if (open.length > 0) this.follow(dex, "open order found by discovery");
    return CLEARINGHOUSE_STATE.weight + FRONTEND_OPEN_ORDERS.weight;
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
    this.#followDexesOf(
      wires.map((wire) => wire.coin),
      "fill",
    );
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
    this.#followDexesOf(
      wires.map((wire) => wire.order.coin),
      "order update",
    );
    const orders = wires.map((wire) => orderFromWire(this.account, wire));
    this.#deps.onOrderUpdates?.(orders.map((order) => ({ order })));
    this.#storeOrders(orders);
  }

  /** A state frame of one perp dex (`""` = default); frames of a dex no longer followed are ignored. */
  receiveState(dex: string, state: WireClearinghouseState, receivedAt: number): void {
    if (this.#followed.has(dex)) this.#setState(dex, state, receivedAt);
  }

  /**
   * The state of every followed dex, merged: each dex's latest if younger than `maxAgeMs`, else a fresh
   * one over REST.
   */
  async currentState(maxAgeMs: number, now = Date.now()): Promise<WireClearinghouseState> {
    for (const dex of this.followedDexes) {
      const known = this.#states.get(dex);
      if (known && now - known.receivedAt <= maxAgeMs) continue;
      // A socket that never opened never read the mode, and the alert rules hold the margin ratio until then.
      if (!this.#modeRead) await this.#readAccountMode(this.#stopped.signal);
      const state = await clearinghouseState(
        this.#deps.info,
        { user: this.account, dex },
        this.#stopped.signal,
      );
      this.#states.set(dex, { state, receivedAt: Date.now() });
    }
    return this.latestState!.state;
  }

  async stop(): Promise<void> {
    this.#stopped.abort();
    await this.fills.stop();
    await this.#refreshing?.catch(() => {});
  }

  #setState(dex: string, state: WireClearinghouseState, receivedAt: number): void {
    this.#states.set(dex, { state, receivedAt });
    this.#deps.onState?.(this.latestState!.state, receivedAt);
  }

  #followDexesOf(coins: readonly string[], reason: string): void {
    for (const coin of coins) {
      const dex = dexOfCoin(coin);
      if (dex !== DEFAULT_DEX) this.follow(dex, reason);
    }
  }

  /** Stores the dex's resting orders as open; returns their oids. */
  async #listOpenOrders(dex: string, signal: AbortSignal): Promise<Set<number>> {
    const open = await frontendOpenOrders(this.#deps.info, { user: this.account, dex }, signal);
    const openOids = new Set<number>();
    const fromList: OrderState[] = open.map((row) => {
      openOids.add(row.oid);
      return orderFromWire(this.account, { order: row, status: "open", statusTimestamp: row.timestamp });
    });
    this.#storeOrders(fromList);
    return openOids;
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
      // No snapshot or replay exists for orderUpdates: what changed while we were away comes from the
      // open-orders list of every followed dex and, for orders we still hold as open but that left
      // them, their current status.
      const openOids = new Set<number>();
      const listed = new Set<string>();
      for (let i = 0; i < 1_000; i++) {
        // A dex followed while this runs (a fill, an order update) is covered by the same pass.
        const dex = this.followedDexes.find((candidate) => !listed.has(candidate));
        if (dex === undefined) break;
        listed.add(dex);
        const state = await clearinghouseState(info, { user: this.account, dex }, signal);
        this.#setState(dex, state, Date.now());
        for (const oid of await this.#listOpenOrders(dex, signal)) openOids.add(oid);
      }
      const vanished = this.#orders
        .all()
        .filter((order) => !order.isTerminal && !openOids.has(order.oid) && listed.has(dexOfCoin(order.coin)))
        .slice(0, MAX_ORDER_STATUS_LOOKUPS);
      for (const held of vanished) {
        const status = await orderStatus(info, { user: this.account, oid: held.oid }, signal);
        if (!status) continue;
        const order = orderFromWire(this.account, status);
        this.#deps.onOrderUpdates?.([{ order, details: triggerDetailsOf(status.order) }]);
        this.#storeOrders([order]);
      }
    } catch (error) {
      if (signal.aborted) return;
      logger.warn({ account: this.account, err: errorSummary(error) }, "order and state refresh failed");
    }
  }
}
