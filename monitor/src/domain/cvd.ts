/**
 * Cumulative volume delta per coin, in one-minute buckets, from public trades (side = aggressor).
 *
 * Deduplication is a watermark, not a set of every trade seen: per coin, the newest trade time counted and
 * the tids counted at exactly that time. A trade is new iff it is newer than the watermark, or at the
 * watermark with an unseen tid. The watermark travels with every stored bucket, so after a restart the
 * newest bucket restores it and the trades the server replays on subscribe are not counted twice.
 *
 * Gaps: after a (re)subscription the first batch must overlap the watermark; if its oldest trade is newer
 * than the watermark, trades in between may be lost, and the bucket that receives it is marked `gap`.
 */
import { ExactSum, fromScaled, toScaled, toSmallUnits } from "./scaledDecimal.ts";
import type { CvdBucket, Trade } from "./types.ts";

export const BUCKET_MS = 60_000;

/**
 * Volumes and CVD as exact sums (scaledDecimal.ts), written out as decimal strings. Counted trades are
 * never older than the watermark, so they always land in the coin's newest bucket: that bucket's CVD is
 * the series' own (`cvd` null), and a bucket's CVD is fixed when a newer one opens.
 */
interface BucketWork {
  bucket: number;
  buy: ExactSum;
  sell: ExactSum;
  cvd: bigint | null;
  tradeCount: number;
  gap: boolean;
}

interface CoinSeries {
  cvd: ExactSum;
  lastTradeTime: number;
  lastTids: Set<number>;
  /** Set after a stream (re)start until the next batch has been checked for overlap. */
  checkOverlap: boolean;
  buckets: Map<number, BucketWork>;
  dirty: Set<number>;
}

export function bucketOf(time: number): number {
  return Math.floor(time / BUCKET_MS) * BUCKET_MS;
}

/**
 * The trades of each coin, oldest first. A frame is almost always one coin in time order already: that
 * case costs no copy and no sort (it is the hot path of the monitor).
 */
function byCoinInTimeOrder(trades: readonly Trade[]): Iterable<[string, readonly Trade[]]> {
  const first = trades[0];
  if (first === undefined) return [];
  let ordered = true;
  for (let i = 1; i < trades.length && ordered; i++) {
    ordered = trades[i]!.coin === first.coin && trades[i]!.time >= trades[i - 1]!.time;
  }
  if (ordered) return [[first.coin, trades]];
  const byCoin = new Map<string, Trade[]>();
  for (const trade of trades) {
    const list = byCoin.get(trade.coin) ?? [];
    list.push(trade);
    byCoin.set(trade.coin, list);
  }
  for (const list of byCoin.values()) list.sort((a, b) => a.time - b.time);
  return byCoin;
}

export class CvdAggregator {
  readonly #series = new Map<string, CoinSeries>();

  /** Continues each coin's series from its newest stored bucket. */
  restore(latest: ReadonlyMap<string, CvdBucket>): void {
    for (const [coin, stored] of latest) {
      if (this.#series.has(coin)) continue;
      const series = this.#seriesOf(coin);
      series.cvd = new ExactSum(scaled(stored.cvd));
      series.lastTradeTime = stored.lastTradeTime;
      series.lastTids = new Set(stored.lastTids);
      series.buckets.set(stored.bucket, {
        bucket: stored.bucket,
        buy: new ExactSum(scaled(stored.buyVolume)),
        sell: new ExactSum(scaled(stored.sellVolume)),
        cvd: null,
        tradeCount: stored.tradeCount,
        gap: stored.gap,
      });
    }
  }

  /** The coin's trade stream (re)started: check the next batch for a gap. */
  streamRestarted(coin: string): void {
    this.#seriesOf(coin).checkOverlap = true;
  }

  /** Counts new trades; `invalid` are trades whose size is not an exact decimal of at most 18 places. */
  ingest(trades: readonly Trade[]): { accepted: number; duplicates: number; invalid: number } {
    let accepted = 0;
    let duplicates = 0;
    let invalid = 0;
    for (const [coin, ordered] of byCoinInTimeOrder(trades)) {
      const series = this.#seriesOf(coin);
      let gapPending = false;
      if (series.checkOverlap) {
        series.checkOverlap = false;
        const oldest = ordered[0]!;
        gapPending = series.lastTradeTime > 0 && oldest.time > series.lastTradeTime;
      }
      for (const trade of ordered) {
        if (
          trade.time < series.lastTradeTime ||
          (trade.time === series.lastTradeTime && series.lastTids.has(trade.tid))
        ) {
          duplicates += 1;
          continue;
        }
        // Nearly every size is a whole number of 10⁻⁸ (no allocation); any other exact one goes by BigInt.
        const small = toSmallUnits(trade.sz);
        const size = Number.isNaN(small) ? toScaled(trade.sz) : null;
        if (Number.isNaN(small) ? size === null || size < 0n : small < 0) {
          invalid += 1;
          continue;
        }
        const bucket = this.#bucketOf(series, bucketOf(trade.time));
        const buy = trade.side === "B";
        if (size === null) {
          (buy ? bucket.buy : bucket.sell).addSmall(small);
          series.cvd.addSmall(buy ? small : -small);
        } else {
          (buy ? bucket.buy : bucket.sell).addScaled(size);
          series.cvd.addScaled(buy ? size : -size);
        }
        bucket.tradeCount += 1;
        if (gapPending) {
          bucket.gap = true;
          gapPending = false;
        }
        if (trade.time > series.lastTradeTime) {
          series.lastTradeTime = trade.time;
          // Cleared, not replaced: a new Set per trade time would be garbage at the trades' own rate.
          series.lastTids.clear();
          series.lastTids.add(trade.tid);
        } else {
          series.lastTids.add(trade.tid);
        }
        series.dirty.add(bucket.bucket);
        accepted += 1;
      }
    }
    return { accepted, duplicates, invalid };
  }

  /** Buckets changed since the last drain, each with the coin's current watermark; frees finished ones. */
  drainDirtyBuckets(): CvdBucket[] {
    const out: CvdBucket[] = [];
    for (const [coin, series] of this.#series) {
      for (const start of [...series.dirty].sort((a, b) => a - b)) {
        const work = series.buckets.get(start)!;
        const buy = work.buy.scaled;
        const sell = work.sell.scaled;
        out.push({
          coin,
          bucket: start,
          buyVolume: fromScaled(buy),
          sellVolume: fromScaled(sell),
          delta: fromScaled(buy - sell),
          cvd: fromScaled(work.cvd ?? series.cvd.scaled),
          tradeCount: work.tradeCount,
          gap: work.gap,
          lastTradeTime: series.lastTradeTime,
          lastTids: [...series.lastTids],
        });
      }
      series.dirty.clear();
      // Only the newest bucket can still change (older trades are behind the watermark).
      const newest = Math.max(...series.buckets.keys());
      for (const start of series.buckets.keys()) if (start !== newest) series.buckets.delete(start);
    }
    return out;
  }

  #seriesOf(coin: string): CoinSeries {
    let series = this.#series.get(coin);
    if (!series) {
      series = {
        cvd: new ExactSum(),
        lastTradeTime: 0,
        lastTids: new Set(),
        checkOverlap: false,
        buckets: new Map(),
        dirty: new Set(),
      };
      this.#series.set(coin, series);
    }
    return series;
  }

  #bucketOf(series: CoinSeries, start: number): BucketWork {
    let work = series.buckets.get(start);
    if (!work) {
      // The bucket that was newest keeps the CVD it ended with.
      const ended = series.cvd.scaled;
      for (const older of series.buckets.values()) older.cvd ??= ended;
      work = {
        bucket: start,
        buy: new ExactSum(),
        sell: new ExactSum(),
        cvd: null,
        tradeCount: 0,
        gap: false,
      };
      series.buckets.set(start, work);
    }
    return work;
  }
}

/** A stored figure back in units; stored buckets were written by this code, so they always convert. */
function scaled(value: string): bigint {
  const units = toScaled(value);
  if (units === null)
    throw new RangeError(`stored CVD figure is not a decimal of at most 18 places: ${value}`);
  return units;
}
