/**
 * How far behind the exchange the CVD buckets are: for every trades frame, the time from its newest
 * trade's exchange time to the moment its trades are in the buckets, counted since start in a fixed
 * histogram (1 ms steps to 100 ms, 10 ms steps to 1 s, 100 ms steps to 10 s, then one overflow bucket).
 * Recording is one increment (the hot path); percentiles are read off the counts when `/health` asks,
 * as the upper edge of the bucket they fall in. The first frames after a subscribe carry the server's
 * replay of older trades, which shows here as lag.
 */
const EDGES: number[] = [];
for (let ms = 1; ms <= 100; ms += 1) EDGES.push(ms);
for (let ms = 110; ms <= 1_000; ms += 10) EDGES.push(ms);
for (let ms = 1_100; ms <= 10_000; ms += 100) EDGES.push(ms);

export interface LagFigures {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  /** The largest lag recorded (exact). */
  maxMs: number;
}

export class LagHistogram {
  /** counts[i]: lags ≤ EDGES[i] and above the edge before; the last: above 10 s. */
  readonly #counts = new Float64Array(EDGES.length + 1);
  #samples = 0;
  #max = 0;

  record(lagMs: number): void {
    const lag = lagMs < 0 ? 0 : lagMs;
    let index: number;
    if (lag <= 100) index = Math.max(0, Math.ceil(lag) - 1);
    else if (lag <= 1_000) index = 100 + Math.ceil((lag - 100) / 10) - 1;
    else if (lag <= 10_000) index = 190 + Math.ceil((lag - 1_000) / 100) - 1;
    else index = EDGES.length;
    this.#counts[index]! += 1;
    this.#samples += 1;
    if (lag > this.#max) this.#max = lag;
  }

  figures(): LagFigures | null {
    if (this.#samples === 0) return null;
    const at = (p: number) => {
      const wanted = Math.ceil(p * this.#samples);
      let seen = 0;
      for (let i = 0; i < this.#counts.length; i++) {
        seen += this.#counts[i]!;
        if (seen >= wanted) return i < EDGES.length ? Math.min(EDGES[i]!, this.#max) : this.#max;
      }
      return this.#max;
    };
    return { samples: this.#samples, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: this.#max };
  }
}
