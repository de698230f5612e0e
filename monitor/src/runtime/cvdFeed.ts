/**
 * Public trades → CVD buckets → storage.
 *
 * Deduplication lives in the aggregator's watermark, which is persisted with every bucket: after a restart
 * the newest bucket per coin restores it, so the ~30 trades the server replays on every subscribe are
 * recognised as already counted, across restarts too.
 */
import { BUCKET_MS, CvdAggregator } from "../domain/cvd.ts";
import type { CvdBucket, Trade } from "../domain/types.ts";
import type { WireTrade } from "../domain/wire.ts";
import { tradesSubscription } from "../hyperliquid/subscriptions.ts";
import type { MonitorStore } from "../storage/store.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { FeedConnection } from "./feedConnection.ts";
import { errorSummary } from "./fillSync.ts";
import { LagHistogram } from "./lagHistogram.ts";

/** Trades reach us a little after their minute ends; a minute is written once this much has passed. */
const SEAL_GRACE_MS = 5_000;

export class CvdFeed {
  readonly #aggregator = new CvdAggregator();
  readonly #coins = new Set<string>();
  readonly #store: MonitorStore;
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  /** Opens the market-data connection, on the first coin tracked (none while CVD follows no coin). */
  #connect: (() => FeedConnection) | null = null;
  #connection: FeedConnection | null = null;
  #flushing: Promise<void> = Promise.resolve();
  /** Buckets whose write failed, by coin+bucket: written with the next flush unless a newer one replaces them. */
  readonly #unwritten = new Map<string, CvdBucket>();
  /** Exchange time of a frame's newest trade → its trades counted in the buckets (`/health`). */
  readonly lag = new LagHistogram();

  constructor(deps: { store: MonitorStore; metrics: Metrics; logger: Logger }) {
    this.#store = deps.store;
    this.#metrics = deps.metrics;
    this.#logger = deps.logger;
  }

  get coins(): string[] {
    return [...this.#coins];
  }

  /** Where trades subscriptions go: a connection of their own, opened by `connect` when first needed. */
  attach(connect: () => FeedConnection): void {
    this.#connect = connect;
  }

  /** Starts counting a coin: restores its series from storage first, then subscribes. */
  async track(coins: readonly string[]): Promise<void> {
    const fresh = coins.filter((coin) => !this.#coins.has(coin));
    if (fresh.length === 0) return;
    // Restored first: if storage does not answer, the coins stay untracked and a retry tracks them.
    const latest = await this.#store.latestCvdBuckets(fresh);
    for (const coin of fresh) this.#coins.add(coin);
    this.#aggregator.restore(latest);
    this.#connection ??= this.#connect?.() ?? null;
    for (const coin of fresh) {
      this.#aggregator.streamRestarted(coin);
      this.#connection?.subscribe(tradesSubscription(coin));
    }
  }

  /**
   * Stops counting coins (delisted): no more subscription; buckets not written yet are still written by
   * the next flush.
   */
  untrack(coins: readonly string[]): void {
    for (const coin of coins) {
      if (!this.#coins.delete(coin)) continue;
      this.#connection?.unsubscribe(tradesSubscription(coin));
    }
  }

  /** The trade stream restarts on every reconnect: the next batch tells whether trades were missed. */
  reconnected(): void {
    for (const coin of this.#coins) this.#aggregator.streamRestarted(coin);
  }

  receive(wires: readonly WireTrade[]): void {
    // Validated wire trades carry every Trade field; they are passed on as they are (the hot path).
    const trades: readonly Trade[] = this.#allTracked(wires)
      ? wires
      : wires.filter((wire) => this.#coins.has(wire.coin));
    if (trades.length === 0) return;
    const { accepted, duplicates, invalid } = this.#aggregator.ingest(trades);
    // The bucket is current now: the frame's trades are in it (a frame's trades come oldest first).
    this.lag.record(Date.now() - trades[trades.length - 1]!.time);
    this.#metrics.count("TradesCounted", accepted);
    this.#metrics.count("TradesDuplicate", duplicates);
    // A size that is not an exact decimal is skipped and counted, like any invalid item of a frame.
    this.#metrics.count("FramesMalformed", invalid);
  }

  #allTracked(wires: readonly WireTrade[]): boolean {
    for (let i = 0; i < wires.length; i++) if (!this.#coins.has(wires[i]!.coin)) return false;
    return true;
  }

  /**
   * Writes the buckets whose minute has ended, once each (serialised: a bucket's newest write must win);
   * `final` (at shutdown) writes the current minutes too. Holding a minute until it ends makes the cost
   * one write per coin-minute instead of one per flush; a crash loses at most the unfinished minute,
   * which the next start marks as a gap unless the subscribe replay covers it.
   */
  flush(options: { now?: number; final?: boolean } = {}): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      for (const bucket of this.#aggregator.drainDirtyBuckets()) {
        this.#unwritten.set(`${bucket.coin}|${bucket.bucket}`, bucket);
      }
      const sealedBefore = (options.now ?? Date.now()) - BUCKET_MS - SEAL_GRACE_MS;
      const buckets = [...this.#unwritten.values()].filter(
        (bucket) => options.final || bucket.bucket <= sealedBefore,
      );
      if (buckets.length === 0) return;
      try {
        await this.#store.putCvdBuckets(buckets);
        for (const bucket of buckets) {
          const key = `${bucket.coin}|${bucket.bucket}`;
          if (this.#unwritten.get(key) === bucket) this.#unwritten.delete(key);
        }
      } catch (error) {
        this.#logger.error(
          { err: errorSummary(error), buckets: buckets.length },
          "CVD buckets not stored yet; retried with the next flush",
        );
      }
    });
    return this.#flushing;
  }
}
