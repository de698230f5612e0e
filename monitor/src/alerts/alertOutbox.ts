/**
 * Sends each alert once, across reconnects, restarts and two tasks running side by side.
 *
 * Every alert is first claimed in storage under its dedup key (a conditional create: one claimant wins),
 * as a pending record holding the whole alert and a lease. The claimant publishes it and marks it sent.
 * A task that finds the key already claimed stays quiet; if the record is still pending when its lease
 * runs out (the claimant died, or publishing failed), any task takes it over with a conditional update
 * and publishes it. On start, pending records are picked up the same way.
 *
 * Alerts about positions are claimed before the position change is saved (the caller awaits `submit`),
 * so a crash in between leaves a pending record for the next start rather than a lost alert. Alerts about
 * the monitor itself may be needed precisely while storage is failing: those wait for their claim only
 * `claimTimeoutMs`, then go out unclaimed (the Lambda's delivery ledger still keeps them to one post per
 * channel).
 *
 * The one window for a duplicate: a task publishes, then dies before marking the record sent; after the
 * lease another task publishes again. SNS then carries it twice; Discord and Telegram still see it once
 * (the Lambda's ledger), an email subscriber twice.
 */
import { randomUUID } from "node:crypto";
import type { AlertEvent } from "../../../lambda-alerts/src/alertEvent.ts";
import { alertText } from "../../../lambda-alerts/src/render/text.ts";
import { errorSummary } from "../runtime/fillSync.ts";
import { type AlertRecord, MONITOR_ALERT_OWNER, type MonitorStore } from "../storage/store.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { AlertPublisher } from "./publishers.ts";

export interface AlertOutboxOptions {
  store: MonitorStore;
  publishers: readonly AlertPublisher[];
  logger: Logger;
  metrics: Metrics;
  /** How long a claimant has to publish before others may take over (default 60 s). */
  leaseMs?: number;
  /** Publish attempts before a record is abandoned (default 8), and the longest it is retried (24 h). */
  maxAttempts?: number;
  maxAgeMs?: number;
  now?: () => number;
}

/** Waits before the next attempt after a failed publish: 5 s, 15 s, 1 min, 2 min, then 5 min. */
const RETRY_DELAYS_MS = [5_000, 15_000, 60_000, 120_000, 300_000];
const MAX_WATCHED = 10_000;

export class AlertOutbox {
  readonly #options: AlertOutboxOptions;
  readonly #store: MonitorStore;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #now: () => number;
  readonly #leaseMs: number;
  /** This task's identity in the claims it holds. */
  readonly #holder = randomUUID();
  /** Pending records someone else holds (or we will retry), by owner|key, with the lease to wait out. */
  readonly #watched = new Map<string, { owner: string; key: string; leaseUntil: number }>();
  readonly #inFlight = new Set<Promise<void>>();
  #stopped = false;
  /** Alerts this task published, for the demo summary and tests. */
  readonly published: AlertEvent[] = [];

  constructor(options: AlertOutboxOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#now = options.now ?? Date.now;
    this.#leaseMs = options.leaseMs ?? 60_000;
  }

  /**
   * Claims each alert and starts publishing the ones this task won. Resolves once the claims are stored
   * (publishing goes on in the background); rejects if a claim could not be stored, unless
   * `claimTimeoutMs` is given, in which case an alert whose claim takes longer goes out unclaimed.
   */
  async submit(alerts: readonly AlertEvent[], options: { claimTimeoutMs?: number } = {}): Promise<void> {
    for (const event of alerts) {
      const now = this.#now();
      const record: AlertRecord = {
        owner: event.account ?? MONITOR_ALERT_OWNER,
        key: event.key,
        status: "pending",
        event,
        createdAt: now,
        holder: this.#holder,
        leaseUntil: now + this.#leaseMs,
        attempts: 1,
        sentAt: null,
      };
      const existing =
        options.claimTimeoutMs === undefined
          ? await this.#store.claimAlert(record)
          : await this.#claimWithin(record, options.claimTimeoutMs);
      if (existing === "unclaimed") continue;
      // A claim whose answer was lost and retried comes back as "exists": recognise our own record.
      if (
        existing === null ||
        (existing.holder === this.#holder && existing.createdAt === record.createdAt)
      ) {
        this.#logAlert(event);
        this.#track(this.#publish(record));
      } else if (existing.status === "pending") {
        this.#watch(existing);
      } else {
        this.#logger.debug(
          { key: event.key, status: existing.status },
          "alert already claimed; not sent again",
        );
      }
    }
  }

  /** On start: pending records of these owners (and the monitor's own) are retried once their lease ends. */
  async resume(owners: readonly string[]): Promise<void> {
    for (const owner of [...owners, MONITOR_ALERT_OWNER]) {
      for (const record of await this.#store.listPendingAlerts(owner)) this.#watch(record);
    }
  }

  /** Takes over watched records whose lease has run out and publishes them (run on a timer). */
  async retryDue(): Promise<void> {
    const now = this.#now();
    for (const [id, watched] of [...this.#watched]) {
      if (this.#stopped) return;
      if (watched.leaseUntil > now) continue;
      this.#watched.delete(id);
      const stored = await this.#store.getAlert(watched.owner, watched.key);
      if (stored?.status !== "pending") continue;
      if (stored.leaseUntil > now) {
        this.#watch(stored);
        continue;
      }
      const maxAgeMs = this.#options.maxAgeMs ?? 24 * 3_600_000;
      const tooOld = now - stored.createdAt > maxAgeMs || stored.attempts >= (this.#options.maxAttempts ?? 8);
      const change = tooOld
        ? { status: "abandoned" as const }
        : { leaseUntil: now + this.#leaseMs, attempts: stored.attempts + 1, holder: this.#holder };
      if (!(await this.#store.updateAlert(stored.owner, stored.key, stored.leaseUntil, change))) continue;
      if (tooOld) {
        this.#logger.error(
          { key: stored.key, attempts: stored.attempts, createdAt: stored.createdAt },
          "alert abandoned: not published in time",
        );
        continue;
      }
      this.#track(this.#publish({ ...stored, ...change }));
    }
  }

  /** Waits for publishes in flight (bounded by `timeoutMs`), then stops retrying. */
  async stop(timeoutMs = 5_000): Promise<void> {
    const settled = Promise.allSettled([...this.#inFlight]);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    this.#stopped = true;
    for (const publisher of this.#options.publishers) publisher.close?.();
  }

  get watchedCount(): number {
    return this.#watched.size;
  }

  async #publish(record: AlertRecord): Promise<void> {
    try {
      for (const publisher of this.#options.publishers) await publisher.publish(record.event);
    } catch (error) {
      this.#metrics.count("AlertPublishFailures");
      const delay = RETRY_DELAYS_MS[Math.min(record.attempts - 1, RETRY_DELAYS_MS.length - 1)]!;
      this.#logger.warn(
        { key: record.key, attempt: record.attempts, retryInMs: delay, err: errorSummary(error) },
        "alert publish failed; will retry",
      );
      // Shorten our lease to the retry time: whoever comes first after it (this task or another) retries.
      const leaseUntil = this.#now() + delay;
      const moved = await this.#store
        .updateAlert(record.owner, record.key, record.leaseUntil, { leaseUntil })
        .catch(() => false);
      this.#watch({ ...record, leaseUntil: moved ? leaseUntil : record.leaseUntil });
      return;
    }
    this.#metrics.count("AlertsPublished");
    this.published.push(record.event);
    await this.#store
      .updateAlert(record.owner, record.key, record.leaseUntil, { status: "sent", sentAt: this.#now() })
      .catch((error) => {
        // Published but not marked: another task may publish it again after the lease (see above).
        this.#logger.warn(
          { key: record.key, err: errorSummary(error) },
          "alert published but not marked sent",
        );
      });
  }

  async #claimWithin(record: AlertRecord, timeoutMs: number): Promise<AlertRecord | null | "unclaimed"> {
    let timer: NodeJS.Timeout | undefined;
    const claim = this.#store.claimAlert(record);
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
      timer.unref();
    });
    try {
      const result = await Promise.race([claim, timeout]);
      if (result !== "timeout") return result;
    } catch {
      // Falls through to publishing unclaimed.
    } finally {
      clearTimeout(timer);
    }
    this.#logger.warn({ key: record.key }, "alert claim not stored in time; publishing it unclaimed");
    this.#logAlert(record.event);
    this.#track(
      this.#publish(record).then(async () => {
        // If the claim lands later, it is ours: mark it sent so that nobody publishes it again.
        const late = await claim.catch(() => "failed" as const);
        if (late === null) {
          await this.#store
            .updateAlert(record.owner, record.key, record.leaseUntil, { status: "sent", sentAt: this.#now() })
            .catch(() => {});
        }
      }),
    );
    return "unclaimed";
  }

  /** Every alert this task sends is logged once, in full (the only delivery when nothing is configured). */
  #logAlert(event: AlertEvent): void {
    this.#logger.info(
      { key: event.key, kind: event.kind, severity: event.severity, text: alertText(event) },
      "alert",
    );
  }

  #watch(record: Pick<AlertRecord, "owner" | "key" | "leaseUntil">): void {
    if (this.#stopped) return;
    const id = `${record.owner}|${record.key}`;
    if (!this.#watched.has(id) && this.#watched.size >= MAX_WATCHED) {
      this.#logger.warn(
        { key: record.key },
        "too many pending alerts watched; this one is left to the next start",
      );
      return;
    }
    this.#watched.set(id, { owner: record.owner, key: record.key, leaseUntil: record.leaseUntil });
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error) => {
      this.#logger.error({ err: errorSummary(error) }, "alert publishing failed unexpectedly");
    });
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
  }
}
