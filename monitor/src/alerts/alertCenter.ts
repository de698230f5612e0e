/**
 * The monitor's alerting in one place: the rules (pure, in this folder) fed by the runtime, and the
 * outbox that claims and publishes what they raise. The runtime calls in; nothing here reaches out to
 * Hyperliquid except the daily summary's funding lookup, passed in as a function.
 */
import type { AlertEvent } from "../../../lambda-alerts/src/alertEvent.ts";
import type { AlertConfig } from "../config/alertConfig.ts";
import type { Network } from "../config/config.ts";
import type { AccountSnapshot, Fill, OrderState, PositionEvent } from "../domain/types.ts";
import { errorSummary } from "../runtime/fillSync.ts";
import type { MonitorStore } from "../storage/store.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import { AlertOutbox } from "./alertOutbox.ts";
import { dailySummaryAlert } from "./dailySummary.ts";
import { DrawdownAlerts } from "./drawdownAlerts.ts";
import { fillsRecoveredAlert, fillsSkippedAlert, HealthAlerts } from "./healthAlerts.ts";
import { type AlertLinks, alertLinks } from "./links.ts";
import { orderAlertKind, orderAlerts, type TriggerDetails } from "./orderAlerts.ts";
import { positionAlerts } from "./positionAlerts.ts";
import type { AlertPublisher } from "./publishers.ts";
import { RiskAlerts } from "./riskAlerts.ts";

/** Monitor-health alerts wait this long for their storage claim before going out unclaimed. */
const HEALTH_CLAIM_TIMEOUT_MS = 5_000;
const DAY_MS = 86_400_000;
/** A triggered order's details are looked up for at most this long before the alert goes without them. */
const ORDER_DETAILS_TIMEOUT_MS = 5_000;
/** Order updates already turned into alerts by this task (bounded; storage claims stay the real guard). */
const MAX_ORDER_UPDATES_REMEMBERED = 2_000;

/** An order update as the runtime saw it, with the trigger details when it already has them. */
export interface OrderUpdate {
  order: OrderState;
  details?: TriggerDetails | null;
}

export interface AlertCenterOptions {
  config: AlertConfig;
  network: Network;
  store: MonitorStore;
  publishers: readonly AlertPublisher[];
  logger: Logger;
  metrics: Metrics;
  /** Funding payments (USDC amounts) of an account in [from, to]; for the daily summary. */
  fundingBetween?: (account: string, from: number, to: number) => Promise<string[]>;
  /** The trigger details of an order (REST `orderStatus`), for `order_triggered` alerts. */
  orderDetails?: (account: string, oid: number) => Promise<TriggerDetails | null>;
  now?: () => number;
  leaseMs?: number;
}

export class AlertCenter {
  readonly outbox: AlertOutbox;
  readonly #options: AlertCenterOptions;
  readonly #config: AlertConfig;
  readonly #links: AlertLinks;
  readonly #risk: RiskAlerts;
  readonly #drawdown: DrawdownAlerts;
  readonly #health: HealthAlerts;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #summarised = new Map<string, string>();
  /** Per account, the key of the last skipped-fills alert submitted (one per UTC day). */
  readonly #skippedAlerted = new Map<string, string>();
  /** Serialises snapshot-driven alerting so rule state sees snapshots in order. */
  #snapshotChain: Promise<void> = Promise.resolve();
  /** Serialises order alerts, so an order's updates are claimed in the order they arrived. */
  #orderChain: Promise<void> = Promise.resolve();
  readonly #orderUpdatesSeen = new Set<string>();

  constructor(options: AlertCenterOptions) {
    this.#options = options;
    this.#config = options.config;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
    this.#links = alertLinks(options.network, options.config.dashboardUrl);
    this.outbox = new AlertOutbox({
      store: options.store,
      publishers: options.publishers,
      logger: options.logger,
      metrics: options.metrics,
      now: this.#now,
      ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    });
    const c = options.config;
    this.#risk = new RiskAlerts(
      {
        liquidationDistanceWarning: c.liquidationDistanceWarning,
        liquidationDistanceCritical: c.liquidationDistanceCritical,
        marginRatioWarning: c.marginRatioWarning,
        marginRatioCritical: c.marginRatioCritical,
        hysteresis: c.hysteresis,
        cooldownMs: c.cooldownMs,
      },
      c.enabled,
      this.#links,
    );
    this.#drawdown = new DrawdownAlerts(
      {
        threshold: c.drawdownThreshold,
        windowMs: c.drawdownWindowMs,
        hysteresis: c.hysteresis,
        cooldownMs: c.cooldownMs,
      },
      this.#links,
    );
    this.#health = new HealthAlerts({
      degradedAfterMs: c.degradedAfterMs,
      enabled: c.enabled,
      links: this.#links,
    });
  }

  async start(accounts: readonly string[]): Promise<void> {
    await this.outbox.resume(accounts);
  }

  /**
   * Alerts for position events, claimed before the caller saves the position change. Nothing for the
   * import of an account's past (`history`), nor for fills older than ALERT_MAX_EVENT_AGE_SECONDS.
   */
  async positionEvents(
    changes: readonly { event: PositionEvent; fill: Fill }[],
    context: { history: boolean },
  ): Promise<void> {
    if (context.history || changes.length === 0) return;
    const now = this.#now();
    const maxAge = this.#config.maxEventAgeMs;
    const alerts: AlertEvent[] = [];
    for (const { event, fill } of changes) {
      if (maxAge !== null && now - event.time > maxAge) continue;
      alerts.push(...positionAlerts(event, fill, { enabled: this.#config.enabled, links: this.#links }));
    }
    await this.outbox.submit(alerts);
  }

  /**
   * Order statuses received (socket frames, and REST lookups after a reconnect): alerts for triggered
   * TP/SL orders, orders the exchange canceled, and (when enabled) filled orders. Updates older than
   * ALERT_MAX_EVENT_AGE_SECONDS are skipped; the same update seen again is claimed once (its key).
   */
  orderUpdates(account: string, updates: readonly OrderUpdate[]): void {
    const now = this.#now();
    const maxAge = this.#config.maxEventAgeMs;
    const due: OrderUpdate[] = [];
    for (const update of updates) {
      const { order } = update;
      const kind = orderAlertKind(order);
      if (kind === null || !this.#config.enabled.has(kind)) continue;
      if (maxAge !== null && now - order.statusTimestamp > maxAge) continue;
      const seen = `${account}:${order.oid}:${order.status}`;
      if (this.#orderUpdatesSeen.has(seen)) continue;
      if (this.#orderUpdatesSeen.size >= MAX_ORDER_UPDATES_REMEMBERED) this.#orderUpdatesSeen.clear();
      this.#orderUpdatesSeen.add(seen);
      due.push(update);
    }
    if (due.length === 0) return;
    this.#orderChain = this.#orderChain
      .then(async () => {
        const alerts: AlertEvent[] = [];
        for (const update of due) {
          const details = update.details ?? (await this.#triggerDetails(account, update.order));
          alerts.push(
            ...orderAlerts(update.order, { enabled: this.#config.enabled, links: this.#links, details }),
          );
        }
        await this.outbox.submit(alerts);
      })
      .catch((error) => {
        // Not claimed: forget them, so that the same update seen again (a reconnect's lookup) retries.
        for (const { order } of due) this.#orderUpdatesSeen.delete(`${account}:${order.oid}:${order.status}`);
        this.#logger.error({ account, err: errorSummary(error) }, "order alerts not submitted");
      });
  }

  async #triggerDetails(account: string, order: OrderState): Promise<TriggerDetails | null> {
    const lookup = this.#options.orderDetails;
    if (order.status !== "triggered" || !lookup) return null;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ORDER_DETAILS_TIMEOUT_MS);
      timer.unref();
    });
    try {
      return await Promise.race([lookup(account, order.oid), timeout]);
    } catch (error) {
      this.#logger.warn(
        { account, oid: order.oid, err: errorSummary(error) },
        "trigger details not looked up; the alert goes without the trigger price",
      );
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Risk and drawdown rules on every account state received (socket frames and REST fetches). */
  snapshot(snapshot: AccountSnapshot): void {
    const alerts = [...this.#risk.observe(snapshot)];
    if (this.#config.enabled.has("drawdown")) alerts.push(...this.#drawdown.observe(snapshot));
    if (alerts.length === 0) return;
    this.#snapshotChain = this.#snapshotChain
      .then(() => this.outbox.submit(alerts, { claimTimeoutMs: HEALTH_CLAIM_TIMEOUT_MS }))
      .catch((error) => this.#logger.error({ err: errorSummary(error) }, "risk alerts not submitted"));
  }

  /** The account's abstraction mode is being read; its margin-ratio alerts wait for `accountMode`. */
  accountModePending(account: string): void {
    this.#risk.accountModePending(account);
  }

  /** The account's abstraction mode (null: could not be read, taken as standard). */
  accountMode(account: string, mode: string | null): void {
    this.#risk.accountMode(account, mode);
  }

  connectionDown(account: string, since = this.#now()): void {
    this.#health.begin(`socket:${account}`, "Hyperliquid socket down", since, account);
  }

  connectionUp(account: string, now = this.#now()): void {
    this.#health.end(`socket:${account}`, now);
  }

  /**
   * A subscription the server has not acknowledged on an open socket (refused, or no answer), polled by
   * the runtime: degraded once it lasts ALERT_DISCONNECTED_SECONDS, like a socket that is down, naming
   * the subscription and the server's last answer. `account` is null for a connection without one.
   */
  subscriptionState(
    connection: { account: string | null; label: string },
    subscription: { key: string; name: string; pendingSince: number | null; answer: string | null },
    now = this.#now(),
  ): void {
    const id = `subscription:${connection.label}:${subscription.key}`;
    if (subscription.pendingSince === null) {
      this.#health.end(id, now);
      return;
    }
    const where = connection.account === null ? ` on ${connection.label}` : "";
    const answer = subscription.answer === null ? "no answer yet" : `server: ${subscription.answer}`;
    this.#health.begin(
      id,
      `subscription ${subscription.name}${where} not acknowledged (${answer})`,
      subscription.pendingSince,
      connection.account,
    );
  }

  /** Storage state, polled by the runtime: `failingSince` is null while writes succeed. */
  storageState(failingSince: number | null, now = this.#now()): void {
    if (failingSince === null) this.#health.end("storage", now);
    else this.#health.begin("storage", "storage writes failing", failingSince);
  }

  fillsRecovered(account: string, fills: readonly Fill[]): void {
    if (!this.#config.enabled.has("fills_recovered")) return;
    const alert = fillsRecoveredAlert(account, fills, this.#links);
    if (!alert) return;
    this.outbox
      .submit([alert], { claimTimeoutMs: HEALTH_CLAIM_TIMEOUT_MS })
      .catch((error) =>
        this.#logger.error({ err: errorSummary(error) }, "fills-recovered alert not submitted"),
      );
  }

  /**
   * Fills of the account failed validation and were skipped: one `monitor_degraded` alert per account
   * per UTC day (the key carries the date; the day's first report here is the one submitted).
   */
  fillsSkipped(
    account: string,
    items: readonly { reason: string; time: number | null; raw: string }[],
    source: "rest" | "socket",
    now = this.#now(),
  ): void {
    if (!this.#config.enabled.has("monitor_degraded")) return;
    const alert = fillsSkippedAlert(account, items, now, this.#links, source);
    if (!alert || this.#skippedAlerted.get(account) === alert.key) return;
    this.#skippedAlerted.set(account, alert.key);
    this.outbox
      .submit([alert], { claimTimeoutMs: HEALTH_CLAIM_TIMEOUT_MS })
      .catch((error) =>
        this.#logger.error({ err: errorSummary(error) }, "fills-skipped alert not submitted"),
      );
  }

  /** Periodic work: health alerts due, retries of pending alerts, the daily summary. */
  async tick(
    accounts: readonly string[],
    latest: (account: string) => AccountSnapshot | undefined,
  ): Promise<void> {
    const now = this.#now();
    const health = this.#health.tick(now);
    if (health.length > 0) await this.outbox.submit(health, { claimTimeoutMs: HEALTH_CLAIM_TIMEOUT_MS });
    await this.outbox.retryDue();
    await this.#dailySummaries(accounts, latest, now);
  }

  async stop(timeoutMs?: number): Promise<void> {
    await this.#snapshotChain;
    await this.#orderChain;
    await this.outbox.stop(timeoutMs);
  }

  async #dailySummaries(
    accounts: readonly string[],
    latest: (account: string) => AccountSnapshot | undefined,
    now: number,
  ): Promise<void> {
    const hour = this.#config.dailySummaryHourUtc;
    if (hour === null) return;
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    if (now < today + hour * 3_600_000) return;
    const from = today - DAY_MS;
    const to = today - 1;
    const date = new Date(from).toISOString().slice(0, 10);
    const store = this.#options.store;
    for (const account of accounts) {
      if (this.#summarised.get(account) === date) continue;
      try {
        const [fills, closed, funding] = await Promise.all([
          store.listFills(account, { from, to }),
          store.listClosedPositions(account),
          this.#options.fundingBetween
            ? this.#options.fundingBetween(account, from, to).catch(() => null)
            : Promise.resolve(null),
        ]);
        const alert = dailySummaryAlert(
          {
            account,
            dayStart: from,
            fills,
            closed: closed.filter((position) => position.closedAt >= from && position.closedAt <= to),
            funding,
            accountValue: latest(account)?.accountValue ?? null,
            chartClosed: closed,
          },
          this.#links,
        );
        await this.outbox.submit([alert], { claimTimeoutMs: HEALTH_CLAIM_TIMEOUT_MS });
        this.#summarised.set(account, date);
      } catch (error) {
        this.#logger.warn(
          { account, err: errorSummary(error) },
          "daily summary failed; retrying on the next tick",
        );
      }
    }
  }
}
