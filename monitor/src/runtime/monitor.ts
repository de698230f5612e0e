/**
 * The long-running monitor: one socket per account, fills synced and applied to positions, orders,
 * account snapshots on an interval, CVD from public trades on a market-data socket of its own, metrics and
 * probes.
 *
 * Thin orchestration only: the rules live in the domain (`domain/`), the protocol in `hyperliquid/`,
 * persistence behind `MonitorStore`.
 */
import { AlertCenter } from "../alerts/alertCenter.ts";
import { type AlertPublisher, DirectAlertPublisher, SnsAlertPublisher } from "../alerts/publishers.ts";
import { CVD_ALL, DEFAULT_CVD_COINS, type MonitorConfig } from "../config/config.ts";
import { marginRatioUnsupported } from "../domain/accountMode.ts";
import { accountSnapshotFrom } from "../domain/health.ts";
import { DEFAULT_DEX, dexOfCoin } from "../domain/perpDexes.ts";
import { PositionBook } from "../domain/positions.ts";
import type { AccountSnapshot, Fill, PositionEvent, SnapshotFeed } from "../domain/types.ts";
import { WeightBudget } from "../hyperliquid/_weightBudget.ts";
import type { Frame } from "../hyperliquid/frames.ts";
import { orderStatus, triggerDetailsOf } from "../hyperliquid/info/orderStatus.ts";
import { fundingBetween } from "../hyperliquid/info/userFunding.ts";
import { InfoClient, InfoRequestError } from "../hyperliquid/infoClient.ts";
import { subscriptionKey } from "../hyperliquid/subscriptions.ts";
import type { RecordingWriter } from "../standin/recording.ts";
import { backoffDelayMs } from "../storage/backoff.ts";
import { type MonitorStore, StorageError } from "../storage/store.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import {
  CLOSED_LINE,
  closedLogFields,
  FILL_LINE,
  fillLogFields,
  SNAPSHOT_LINE,
  snapshotLogFields,
} from "../telemetry/traderLog.ts";
import { MONITOR_VERSION } from "../version.ts";
import { AccountWatcher } from "./accountWatcher.ts";
import { CoinUniverse, isRefusal } from "./coinUniverse.ts";
import type { ConnectionGate } from "./connectionGate.ts";
import { CvdFeed } from "./cvdFeed.ts";
import { DexDiscovery } from "./dexDiscovery.ts";
import { type ConnectFailure, type ConnectionReadiness, FeedConnection } from "./feedConnection.ts";
import { errorSummary } from "./fillSync.ts";
import { HealthServer, type Readiness } from "./healthServer.ts";
import { LogSampler } from "./logSampler.ts";
import type { MessagePacer } from "./messagePacer.ts";
import { EndpointReachability, missingCredentialsAtStart, networkErrorCode } from "./startupProblems.ts";

/**
 * Live means data: the server re-pushes every clearinghouseState subscription every ~4 s (PROTOCOL.md
 * §2.1), so an account connection without a data frame for a minute is dead even if it answers pings.
 */
const READY_MAX_FRAME_AGE_MS = 60_000;
const CVD_FLUSH_INTERVAL_MS = 5_000;
/** With CVD_COINS=all, `meta` is read again this often: a new listing is followed within the hour. */
const CVD_ALL_REFRESH_MS = 60 * 60_000;
/**
 * Hyperliquid allows 1000 subscriptions per IP (DOCS rate-limits-and-user-limits, PROTOCOL.md §6). No
 * per-connection limit is documented, so the market connection carries every coin; CVD_COINS=all leaves
 * room for the accounts' subscriptions (the ones they hold, and a few more each for perp dexes they may
 * yet follow) and follows the first coins in the exchange's order when the rest do not fit.
 */
const MAX_SUBSCRIPTIONS_PER_IP = 1000;
const SUBSCRIPTIONS_KEPT_PER_ACCOUNT = 10;
const ALERT_TICK_MS = 5_000;

export interface MonitorOptions {
  config: MonitorConfig;
  store: MonitorStore;
  logger: Logger;
  metrics: Metrics;
  recorder?: RecordingWriter | null;
  /** Test seams: faster keep-alive and reconnects against a loopback stand-in. */
  keepAlive?: { intervalMs: number; timeoutMs: number };
  reconnect?: { baseDelayMs: number; maxDelayMs: number };
  ackTimeoutMs?: number;
  /** Backoff for re-sending a refused subscribe (default 1 s doubling to 60 s). */
  resubscribe?: { baseDelayMs: number; maxDelayMs: number };
  /** Where sockets wait under Hyperliquid's per-IP connection limits; default: the process-wide gate. */
  connectionGate?: ConnectionGate;
  /** Where (un)subscribes wait under the per-IP message limit; default: the process-wide pacer. */
  messagePacer?: MessagePacer;
  /** Milliseconds between metric flushes; defaults to the snapshot interval. */
  metricsIntervalMs?: number;
  startHealthServer?: boolean;
  /** REST weight budget (Hyperliquid: 1200 per minute per IP); tests shrink it. */
  restBudget?: { capacity: number; periodMs: number };
  /** `/ready` (and the heartbeat) turn false when a connection's newest data frame is older than this (default 60 s). */
  readyMaxFrameAgeMs?: number;
  /** Where alerts go; by default SNS with ALERT_TOPIC_ARN, else Discord/Telegram directly, else the log. */
  alertPublishers?: readonly AlertPublisher[];
  /** Alert rule timer and claim lease (tests shorten them). */
  alertTickMs?: number;
  alertLeaseMs?: number;
  /** Delay before a stalled fill sync (a refused write, REST failing) tries again; default 15 s. */
  stallRetryMs?: number;
  /** CVD_COINS=all: how often `meta` is read again for new listings and delistings (default 1 h). */
  cvdAllRefreshMs?: number;
  /** Perp dex (HIP-3) discovery: round interval (default 15 min) and REST weight per minute (default 120). */
  dexDiscovery?: { intervalMs?: number; weightPerMinute?: number };
}

/** What `/ready` shows: every account connection's readiness, and the market-data one's (reported only). */
export interface MonitorReadiness extends Readiness {
  connections: ConnectionReadiness[];
  market: ConnectionReadiness | null;
}

export class Monitor {
  readonly #options: MonitorOptions;
  readonly #config: MonitorConfig;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #store: MonitorStore;
  readonly #info: InfoClient;
  readonly #positions = new PositionBook();
  readonly #watchers = new Map<string, AccountWatcher>();
  /** One connection per account. */
  readonly #connections: FeedConnection[] = [];
  /** Public trades for CVD: its own connection (counted against the IP's connections, not its users). */
  #market: FeedConnection | null = null;
  readonly #cvd: CvdFeed;
  readonly #universe: CoinUniverse;
  readonly #sampler = new LogSampler();
  readonly #timers: NodeJS.Timeout[] = [];
  #health: HealthServer | null = null;
  #healthPort: number | null = null;
  #stopping = false;
  #reachability: EndpointReachability;
  /** Serialises position persistence across accounts' fill batches. */
  #positionWrites: Promise<void> = Promise.resolve();
  readonly #latestSnapshots = new Map<string, AccountSnapshot>();
  readonly #alerts: AlertCenter;
  readonly #dexDiscovery: DexDiscovery;

  constructor(options: MonitorOptions) {
    this.#options = options;
    this.#config = options.config;
    this.#logger = options.logger;
    this.#reachability = new EndpointReachability(options.logger, options.config);
    this.#metrics = options.metrics;
    this.#store = options.store;
    this.#info = new InfoClient({
      apiUrl: this.#config.apiUrl,
      ...(options.restBudget ? { budget: new WeightBudget(options.restBudget) } : {}),
      onRequest: () => this.#metrics.count("RestRequests"),
      onRateLimited: () => this.#metrics.count("RestRateLimited"),
      ...(options.recorder
        ? { onResponse: (request, response) => options.recorder?.writeRest(request, response, Date.now()) }
        : {}),
    });
    this.#cvd = new CvdFeed({ store: this.#store, metrics: this.#metrics, logger: this.#logger });
    this.#cvd.attach(() => this.#connectMarket());
    this.#universe = new CoinUniverse({ info: this.#info, logger: this.#logger });
    this.#alerts = new AlertCenter({
      config: this.#config.alerts,
      network: this.#config.network,
      store: this.#store,
      publishers: options.alertPublishers ?? defaultPublishers(this.#config, this.#logger),
      logger: this.#logger,
      metrics: this.#metrics,
      fundingBetween: async (account, from, to) =>
        (await fundingBetween(this.#info, account, from, to)).map((item) => item.delta.usdc),
      orderDetails: async (account, oid) =>
        triggerDetailsOf((await orderStatus(this.#info, { user: account, oid }))?.order),
      ...(options.alertLeaseMs ? { leaseMs: options.alertLeaseMs } : {}),
    });
    this.#dexDiscovery = new DexDiscovery({
      info: this.#info,
      logger: this.#logger,
      watchers: () => [...this.#watchers.values()],
      ...options.dexDiscovery,
    });
  }

  get alerts(): AlertCenter {
    return this.#alerts;
  }

  get healthPort(): number | null {
    return this.#healthPort;
  }

  get positions(): PositionBook {
    return this.#positions;
  }

  watcher(account: string): AccountWatcher | undefined {
    return this.#watchers.get(account.toLowerCase());
  }

  latestSnapshot(account: string): AccountSnapshot | undefined {
    return this.#latestSnapshots.get(account.toLowerCase());
  }

  async start(): Promise<void> {
    const config = this.#config;
    const logger = this.#logger;
    // Health first: while storage is unreachable at start, the process is alive (and not ready).
    if (this.#options.startHealthServer ?? true) {
      this.#health = new HealthServer(
        () => this.readiness(),
        () => ({
          rssMb: Math.round(process.memoryUsage().rss / 1024 / 102.4) / 10,
          framesReceived: this.#metrics.total("FramesReceived"),
          // Since start: a frame's newest trade (exchange time) to its trades counted in the CVD buckets.
          cvdLag: this.#cvd.lag.figures(),
          cvdCoins: this.#cvd.coins.length,
        }),
      );
      this.#healthPort = await this.#health.listen(config.healthPort);
    }
    await this.#untilStorageAnswers("storage check", () => this.#store.init());
    for (const account of config.accounts) {
      const states = await this.#untilStorageAnswers("restoring positions", () =>
        this.#store.loadPositionStates(account),
      );
      this.#positions.restore(states);
    }
    await this.#untilStorageAnswers("resuming alerts", () => this.#alerts.start(config.accounts));
    for (const account of config.accounts) {
      const watcher = new AccountWatcher({
        account,
        store: this.#store,
        info: this.#info,
        metrics: this.#metrics,
        logger,
        backfillSince: config.backfillSince,
        applyFillsInOrder: (fills, context) => this.#applyFills(fills, context),
        onFillsRecovered: (fills) => this.#alerts.fillsRecovered(account, fills),
        onAccountMode: (mode) => this.#accountMode(account, mode),
        onFillsSkipped: (items, source) => this.#alerts.fillsSkipped(account, items, source),
        onOrderUpdates: (updates) => this.#alerts.orderUpdates(account, updates),
        ...(this.#options.stallRetryMs === undefined ? {} : { stallRetryMs: this.#options.stallRetryMs }),
        // Risk and drawdown rules see each state once, as it arrives (the periodic snapshot reuses it).
        onState: (state, receivedAt) =>
          this.#alerts.snapshot(accountSnapshotFrom(account, state, receivedAt)),
      });
      this.#alerts.accountModePending(account);
      // Down until its socket first opens: a socket that never opens is a degraded monitor too.
      this.#alerts.connectionDown(account);
      this.#watchers.set(account, watcher);
      const connection = this.#connect(account, watcher);
      await this.#untilStorageAnswers("restoring the fill cursor and orders", () =>
        watcher.start(connection),
      );
      // Positions restored from storage on a builder-deployed dex: follow it before any discovery.
      for (const position of this.#positions.openPositions()) {
        const dex = dexOfCoin(position.coin);
        if (position.account === account && dex !== DEFAULT_DEX) watcher.follow(dex, "stored position");
      }
    }
    this.#dexDiscovery.start();
    // Named CVD coins must exist (a ConfigError here ends the start), but the accounts are watched first:
    // this check waits on REST `meta`, which after restarts or an exchange outage can take a minute to
    // answer, and the accounts' sockets (their fills and alerts) need nothing from it.
    if (Array.isArray(config.cvdCoins) && config.cvdCoins.length > 0) {
      const coins = config.cvdCoins;
      await this.#untilInfoAnswers("checking CVD_COINS against the listed coins (meta)", () =>
        this.#universe.checkConfigured(coins),
      );
    }
    // Public trades get a connection of their own (opened by the first track): a trades problem (an
    // unacknowledged subscribe, an error frame) must never replace an account's socket.
    const cvdCoins = await this.#untilInfoAnswers("reading the listed coins (meta)", () =>
      this.#universe.followable(this.#cvdCoinsNow()),
    );
    await this.#untilStorageAnswers("restoring the CVD", () => this.#cvd.track(cvdCoins));
    if (this.#followsAllCoins()) {
      await this.#untilInfoAnswers("reading the listed coins (meta)", () => this.#followAllCoins());
      this.#every(this.#options.cvdAllRefreshMs ?? CVD_ALL_REFRESH_MS, () => this.#followAllCoins());
    }

    this.#every(config.snapshotIntervalMs, () => this.#takeSnapshots());
    this.#every(this.#options.metricsIntervalMs ?? config.snapshotIntervalMs, () => this.#flushMetrics());
    this.#every(CVD_FLUSH_INTERVAL_MS, () => this.#cvd.flush());
    this.#every(this.#options.alertTickMs ?? ALERT_TICK_MS, () => this.#alertTick());
    logger.info(
      {
        accounts: config.accounts,
        cvdCoins: this.#cvd.coins,
        dbMode: config.dbMode,
        healthPort: this.#healthPort,
      },
      "monitor started",
    );
  }

  /**
   * Start-up reads wait out a storage outage (retrying with backoff, saying so in the log) instead of
   * ending the process: a restart would meet the same outage, and ECS would only restart it again.
   * Errors that a retry cannot fix (a missing table, a wrong key) still end the start at once.
   */
  async #untilStorageAnswers<T>(what: string, read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await read();
      } catch (error) {
        if (!(error instanceof StorageError) || !error.retryable || this.#stopping) throw error;
        missingCredentialsAtStart(error, this.#logger, process.env, attempt === 1);
        if (attempt === 1 || attempt % 10 === 0) {
          this.#logger.warn(
            { attempt, err: errorSummary(error) },
            `${what}: storage not answering; retrying`,
          );
        }
        await new Promise((resolve) =>
          setTimeout(resolve, backoffDelayMs(attempt, { baseDelayMs: 500, maxDelayMs: 15_000 })),
        );
      }
    }
  }

  /**
   * Start-up reads of `/info` (`meta`) wait out a REST outage like the storage reads: the InfoClient has
   * already retried a few times; this keeps going with backoff. A refusal (4xx but 429) is not retried.
   */
  async #untilInfoAnswers<T>(what: string, read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await read();
        this.#reachability.answered("REST");
        return answer;
      } catch (error) {
        if (!(error instanceof InfoRequestError) || isRefusal(error.status) || this.#stopping) throw error;
        this.#reachability.failed("REST", networkErrorCode(error));
        if (attempt === 1 || attempt % 10 === 0) {
          this.#logger.warn({ attempt, err: errorSummary(error) }, `${what}: REST not answering; retrying`);
        }
        await new Promise((resolve) =>
          setTimeout(resolve, backoffDelayMs(attempt, { baseDelayMs: 500, maxDelayMs: 15_000 })),
        );
      }
    }
  }

  /**
   * Ready (and emitting `Heartbeat`) while every account connection is live: open, every subscription
   * acknowledged, and a data frame within the maximum age (see FeedConnection.readiness). The market-data
   * connection is reported, not required: a trades problem is not an account problem.
   */
  readiness(now = Date.now()): MonitorReadiness {
    const maxAgeMs = this.#options.readyMaxFrameAgeMs ?? READY_MAX_FRAME_AGE_MS;
    const connections = this.#connections.map((connection) => connection.readiness(now, maxAgeMs));
    const ready = !this.#stopping && connections.length > 0 && connections.every((c) => c.ready);
    const market = this.#market ? this.#market.readiness(now, maxAgeMs) : null;
    return { ready, connections, market };
  }

  /** Takes one snapshot per account now (also runs on the interval). */
  async takeSnapshots(): Promise<void> {
    await this.#takeSnapshots();
  }

  /**
   * Graceful stop (SIGTERM from ECS or Spot, SIGINT): stop taking frames, finish the work on hand, flush
   * pending writes, within `deadlineMs`.
   */
  async stop(deadlineMs = 25_000): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const timer of this.#timers) clearInterval(timer);
    for (const connection of this.#connections) connection.close();
    this.#market?.close();
    const work = (async () => {
      await this.#dexDiscovery.stop();
      await Promise.all([...this.#watchers.values()].map((watcher) => watcher.stop()));
      await this.#positionWrites.catch(() => {});
      await this.#alerts.stop(Math.min(5_000, deadlineMs / 3));
      await this.#cvd.flush({ final: true });
      await this.#store.close();
    })();
    const deadline = new Promise<"timeout">((resolve) =>
      setTimeout(() => resolve("timeout"), deadlineMs).unref(),
    );
    if ((await Promise.race([work.then(() => "done" as const), deadline])) === "timeout") {
      this.#logger.error(
        { deadlineMs },
        "shutdown deadline reached; unflushed fills are recovered by the next backfill",
      );
    }
    this.#metrics.flush(Date.now(), { heartbeat: false });
    await this.#health?.close();
    this.#logger.info("monitor stopped");
  }

  /** What every socket shares: endpoint, keep-alive, backoffs, the connection gate, ack matching, failures. */
  #socketSettings() {
    return {
      url: this.#config.wsUrl,
      logger: this.#logger,
      keepAlive: this.#options.keepAlive,
      reconnect: this.#options.reconnect,
      ackTimeoutMs: this.#options.ackTimeoutMs,
      ...(this.#options.resubscribe ? { resubscribe: this.#options.resubscribe } : {}),
      ...(this.#options.connectionGate ? { gate: this.#options.connectionGate } : {}),
      ...(this.#options.messagePacer ? { pacer: this.#options.messagePacer } : {}),
      subscriptionKey,
      // An attempt that never opened is a reconnect attempt too: an outage shows in Reconnects.
      onConnectFailed: (failure: ConnectFailure) => {
        this.#metrics.count("Reconnects");
        this.#reachability.failed("WebSocket", failure.error);
      },
    };
  }

  #connect(account: string, watcher: AccountWatcher): FeedConnection {
    const recorder = this.#options.recorder ?? null;
    const connection: FeedConnection = new FeedConnection({
      label: account,
      ...this.#socketSettings(),
      onFrame: (text, receivedAt, frame) => {
        recorder?.writeFrame(account, text, receivedAt);
        this.#handleFrame(watcher, frame, receivedAt);
      },
      onOpen: (reconnect) => {
        this.#reachability.answered("WebSocket");
        recorder?.writeEvent(account, "open", Date.now());
        if (reconnect) this.#metrics.count("Reconnects");
        this.#alerts.connectionUp(account);
        watcher.connected();
      },
      onClose: () => {
        recorder?.writeEvent(account, "close", Date.now());
        if (!this.#stopping) this.#alerts.connectionDown(account);
        watcher.disconnected();
      },
    });
    this.#connections.push(connection);
    return connection;
  }

  #connectMarket(): FeedConnection {
    const recorder = this.#options.recorder ?? null;
    const label = "market";
    const connection: FeedConnection = new FeedConnection({
      label,
      ...this.#socketSettings(),
      onFrame: (text, receivedAt, frame) => {
        recorder?.writeFrame(label, text, receivedAt);
        this.#handleMarketFrame(frame);
      },
      onOpen: (reconnect) => {
        this.#reachability.answered("WebSocket");
        recorder?.writeEvent(label, "open", Date.now());
        if (reconnect) {
          this.#metrics.count("Reconnects");
          this.#cvd.reconnected();
        }
      },
      onClose: () => recorder?.writeEvent(label, "close", Date.now()),
    });
    this.#market = connection;
    return connection;
  }

  /** One classified frame; acks and subscription errors were handled by the FeedConnection already. */
  #handleFrame(watcher: AccountWatcher, frame: Frame, receivedAt: number): void {
    if (this.#screen(frame, "")) return;
    switch (frame.kind) {
      case "userFills":
        if (frame.user === watcher.account) watcher.receiveFills(frame.fills, frame.rejected);
        else
          this.#skip("FramesUnknown", "userFills for an account this connection does not watch", frame.user);
        break;
      case "orderUpdates":
        watcher.receiveOrders(frame.orders);
        break;
      case "clearinghouseState":
        if (frame.user === watcher.account) watcher.receiveState(frame.dex, frame.state, receivedAt);
        break;
      case "trades":
        this.#cvd.receive(frame.trades);
        break;
    }
  }

  /** Health figures are standard-mode figures: say so for an account whose mode makes them meaningless. */
  #accountMode(account: string, mode: string | null): void {
    this.#alerts.accountMode(account, mode);
    if (marginRatioUnsupported(mode)) {
      this.#logger.warn(
        { account, mode },
        "account is in a unified or portfolio-margin mode: its margin ratio and health score are standard-mode figures from the perp clearinghouse state, which Hyperliquid says are not meaningful for it; margin-ratio alerts are off for this account (liquidation-distance alerts stay on)",
      );
    }
  }

  /** The market-data connection carries trades only; anything for an account there is counted and skipped. */
  #handleMarketFrame(frame: Frame): void {
    if (this.#screen(frame, " on the market-data connection")) return;
    if (frame.kind === "trades") this.#cvd.receive(frame.trades);
    else this.#skip("FramesUnknown", "account frame on the market-data connection skipped", frame.kind);
  }

  /**
   * What every connection does with a frame before its own handling: counts it and its invalid items, and
   * takes the frames that carry no data (acks, pongs, errors, unknown channels, malformed text). True when
   * nothing is left to do.
   */
  #screen(frame: Frame, where: string): boolean {
    if (this.#stopping) return true;
    this.#metrics.count("FramesReceived");
    if ("invalid" in frame && frame.invalid > 0) {
      const first = frame.rejected[0];
      const detail = `${frame.invalid} item(s); first: ${first?.reason} ${first?.raw}`;
      this.#skip("FramesMalformed", `invalid ${frame.kind} items skipped${where}`, detail);
    }
    switch (frame.kind) {
      case "subscriptionResponse":
      case "pong":
      case "post":
        return true;
      case "serverError":
        this.#skip("FramesUnknown", `server error frame${where}`, frame.message);
        return true;
      case "unknownChannel":
        this.#skip("FramesUnknown", "frame of an unknown channel skipped", frame.channel);
        return true;
      case "malformed":
        this.#skip("FramesMalformed", "malformed frame skipped", frame.reason);
        return true;
      default:
        return false;
    }
  }

  #skip(counter: "FramesUnknown" | "FramesMalformed", message: string, detail: string): void {
    this.#metrics.count(counter);
    const seen = this.#sampler.sample(`${counter}:${message}`);
    if (seen !== null) this.#logger.warn({ detail: detail.slice(0, 200), seen }, message);
  }

  /**
   * Applies fills (in order) to the positions and persists what changed before the cursor moves. The
   * book takes the new states only once their alerts are claimed and the states are stored: if either
   * fails, the fill sync stalls and applies the same fills again later, and they must then count as new.
   */
  async #applyFills(fills: readonly Fill[], context: { history: boolean }): Promise<void> {
    const staged = this.#positions.stage(fills);
    for (const fill of staged.mismatches) {
      this.#logger.debug(
        { account: fill.account, coin: fill.coin, fillId: fill.fillId },
        "tracked position size differs from the fill's startPosition",
      );
    }
    // Alerts are claimed before the position change is saved: a crash in between leaves a pending claim
    // for the next start, never a saved change whose alert is lost.
    await this.#alerts.positionEvents(staged.changes, context);
    const write = this.#positionWrites.then(() => this.#store.savePositions(staged.states, staged.closed));
    this.#positionWrites = write.catch(() => {});
    await write;
    staged.commit();
    // Fills of the first start's history import are stored, not logged: a year of fills is no live news.
    if (!context.history) for (const fill of fills) this.#logger.info(fillLogFields(fill), FILL_LINE);
    for (const { event } of staged.changes) this.#reportPositionEvent(event);
  }

  #reportPositionEvent(event: PositionEvent): void {
    if (event.kind === "opened" || event.kind === "flipped") {
      // Coins of open positions are followed unless CVD_COINS names the coins (or turns CVD off).
      if (!Array.isArray(this.#config.cvdCoins)) {
        this.#universe
          .followable([event.coin])
          .then((coins) => this.#cvd.track(coins))
          .catch((error) => {
            this.#logger.warn({ coin: event.coin, err: errorSummary(error) }, "could not start CVD for coin");
          });
      }
    }
    if (event.closed) {
      this.#metrics.count("PositionsClosed");
      this.#metrics.count("RealizedPnl", Number(event.closed.realizedPnl));
      this.#logger.info(closedLogFields(event.closed), CLOSED_LINE);
    } else if (event.kind === "opened") {
      this.#logger.info(
        {
          account: event.account,
          coin: event.coin,
          size: event.position.size,
          entryPx: event.position.entryPx,
        },
        "position opened",
      );
    }
  }

  #flushMetrics(): void {
    const pending = (this.#store as { pendingItems?: number }).pendingItems;
    if (typeof pending === "number") this.#metrics.gauge("PendingWrites", pending);
    // Hyperliquid allows 1000 subscriptions per IP; each followed perp dex adds one per account.
    this.#metrics.gauge(
      "WsSubscriptions",
      this.#connections.reduce((sum, connection) => sum + connection.subscriptionCount, 0) +
        (this.#market?.subscriptionCount ?? 0),
    );
    // The heartbeat says "every feed is live", not "the process runs": the "monitor silent" alarm then
    // also fires for a process whose sockets answer pings but deliver nothing.
    this.#metrics.flush(Date.now(), { heartbeat: this.readiness().ready });
  }

  /**
   * CVD_COINS=all on shard 0: public trades are the same for every shard, so one shard follows the whole
   * market; the other shards follow the coins of their open positions, as with the default.
   */
  #followsAllCoins(): boolean {
    return this.#config.cvdCoins === CVD_ALL && this.#config.shard.index === 0;
  }

  /**
   * Follows every listed perp of the default dex (fresh `meta`), as many as the IP's subscription limit
   * leaves room for; stops following the default-dex coins no longer listed (coins of other dexes,
   * followed for open positions, are left alone).
   */
  async #followAllCoins(): Promise<void> {
    const listing = await this.#universe.listing("", true);
    const accountSubscriptions = this.#connections.reduce(
      (sum, connection) => sum + connection.subscriptionCount,
      0,
    );
    const others = this.#cvd.coins.filter((coin) => dexOfCoin(coin) !== DEFAULT_DEX).length;
    const room =
      MAX_SUBSCRIPTIONS_PER_IP -
      Math.max(accountSubscriptions, this.#config.accounts.length * SUBSCRIPTIONS_KEPT_PER_ACCOUNT) -
      others;
    const listed = listing.active;
    const wanted = listed.slice(0, Math.max(0, room));
    if (wanted.length < listed.length) {
      this.#logger.warn(
        { listed: listed.length, followed: wanted.length, limit: MAX_SUBSCRIPTIONS_PER_IP },
        "CVD_COINS=all follows fewer coins than are listed: the IP's subscription limit leaves no room for the rest",
      );
    }
    const wantedSet = new Set(wanted);
    const dropped = this.#cvd.coins.filter((coin) => dexOfCoin(coin) === DEFAULT_DEX && !wantedSet.has(coin));
    const before = new Set(this.#cvd.coins);
    const added = wanted.filter((coin) => !before.has(coin));
    this.#cvd.untrack(dropped);
    await this.#cvd.track(added);
    if (added.length > 0 || dropped.length > 0) {
      this.#logger.info(
        { coins: this.#cvd.coins.length, added: added.slice(0, 20), dropped: dropped.slice(0, 20) },
        "CVD follows the listed coins",
      );
    }
  }

  #cvdCoinsNow(): string[] {
    if (Array.isArray(this.#config.cvdCoins)) return this.#config.cvdCoins;
    const open = this.#positions.openPositions().map((position) => position.coin);
    // Public trades are the same for every shard: only shard 0 counts the default coins. A coin held in
    // two shards is counted by both from the same trades, so their bucket writes agree.
    const defaults = this.#config.shard.index === 0 ? DEFAULT_CVD_COINS : [];
    return [...new Set([...defaults, ...open])];
  }

  async #takeSnapshots(): Promise<void> {
    const snapshots: AccountSnapshot[] = [];
    for (const watcher of this.#watchers.values()) {
      try {
        const state = await watcher.currentState(this.#config.snapshotIntervalMs * 2);
        const now = Date.now();
        const snapshot = {
          ...accountSnapshotFrom(watcher.account, state, now),
          feed: this.#feedOf(watcher.account, now),
        };
        this.#latestSnapshots.set(watcher.account, snapshot);
        this.#logger.info(snapshotLogFields(snapshot), SNAPSHOT_LINE);
        snapshots.push(snapshot);
        await this.#store.putAccountSnapshot(snapshot);
      } catch (error) {
        this.#logger.warn({ account: watcher.account, err: errorSummary(error) }, "account snapshot failed");
      }
    }
    this.#gaugeAccounts(snapshots);
  }

  /** The account's connection as the snapshot records it (connections are labelled by account). */
  #feedOf(account: string, now: number): SnapshotFeed {
    const maxAgeMs = this.#options.readyMaxFrameAgeMs ?? READY_MAX_FRAME_AGE_MS;
    const connection = this.#connections.find((candidate) => candidate.label === account);
    const readiness = connection?.readiness(now, maxAgeMs);
    return {
      live: !this.#stopping && (readiness?.ready ?? false),
      lastDataAgeMs: readiness?.lastDataAgeMs ?? null,
      monitorVersion: MONITOR_VERSION,
    };
  }

  /** Gauges without dimensions: summed values, worst ratio, lowest health (see telemetry/metrics.ts). */
  #gaugeAccounts(snapshots: readonly AccountSnapshot[]): void {
    if (snapshots.length === 0) return;
    const num = (value: string | null) => (value === null ? null : Number(value));
    const sum = (pick: (s: AccountSnapshot) => string) =>
      snapshots.reduce((acc, s) => acc + Number(pick(s)), 0);
    const ratios = snapshots.map((s) => num(s.crossMarginRatio)).filter((v): v is number => v !== null);
    const distances = snapshots
      .map((s) => num(s.minLiquidationDistance))
      .filter((v): v is number => v !== null);
    const leverages = snapshots.map((s) => num(s.leverage)).filter((v): v is number => v !== null);
    // Gauges are display figures for CloudWatch (a float is what it stores); stored values stay decimal.
    this.#metrics.gauge(
      "AccountValue",
      sum((s) => s.accountValue),
    );
    this.#metrics.gauge(
      "UnrealizedPnl",
      sum((s) => s.totalUnrealizedPnl),
    );
    this.#metrics.gauge("MarginRatio", ratios.length ? Math.max(...ratios) : null);
    this.#metrics.gauge("HealthScore", Math.min(...snapshots.map((s) => Number(s.healthScore))));
    this.#metrics.gauge("Leverage", leverages.length ? Math.max(...leverages) : null);
    this.#metrics.gauge("MinLiquidationDistance", distances.length ? Math.min(...distances) : null);
    this.#metrics.gauge(
      "OpenPositions",
      snapshots.reduce((acc, s) => acc + s.positionsCount, 0),
    );
  }

  async #alertTick(): Promise<void> {
    const failingSince = (this.#store as { failingSince?: number | null }).failingSince;
    if (failingSince !== undefined) this.#alerts.storageState(failingSince);
    for (const connection of this.#connections) {
      // Account connections are labelled with their account; a socket that is down is its own alert.
      const account = this.#watchers.has(connection.label) ? connection.label : null;
      for (const subscription of connection.subscriptionHealth()) {
        this.#alerts.subscriptionState({ account, label: connection.label }, subscription);
      }
    }
    await this.#alerts.tick(this.#config.accounts, (account) => this.#latestSnapshots.get(account));
  }

  #every(intervalMs: number, task: () => unknown): void {
    const timer = setInterval(() => {
      Promise.resolve()
        .then(task)
        .catch((error) => this.#logger.error({ err: errorSummary(error) }, "periodic task failed"));
    }, intervalMs);
    timer.unref();
    this.#timers.push(timer);
  }
}

function defaultPublishers(config: MonitorConfig, logger: Logger): AlertPublisher[] {
  const alerts = config.alerts;
  if (alerts.topicArn)
    return [new SnsAlertPublisher(alerts.topicArn, config.awsRegion ? { region: config.awsRegion } : {})];
  if (alerts.channels) return [new DirectAlertPublisher(alerts.channels, { logger })];
  return [];
}
