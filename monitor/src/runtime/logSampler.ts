/**
 * Logs the first few occurrences of a recurring problem and then one in every `every`, with the running
 * count: a flood of bad frames stays visible in the logs without drowning them or the disk.
 */
export class LogSampler {
  readonly #first: number;
  readonly #every: number;
  readonly #counts = new Map<string, number>();

  constructor(first = 20, every = 1000) {
    this.#first = first;
    this.#every = every;
  }

  /** Counts one occurrence of `kind`; returns the count when this one should be logged, else null. */
  sample(kind: string): number | null {
    const count = (this.#counts.get(kind) ?? 0) + 1;
    this.#counts.set(kind, count);
    return count <= this.#first || count % this.#every === 0 ? count : null;
  }
}
