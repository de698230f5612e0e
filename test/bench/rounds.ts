/**
 * Figures that hold on a shared machine: a rate is measured in short rounds, and a ratio by alternating
 * its two sides round by round in one process (A B, B A, A B, …), so that whatever else the machine is
 * doing weighs on both sides of each round alike. A figure is the median of the rounds, with the spread
 * (lowest and highest round) beside it.
 */

/** The median of the rounds and the lowest and highest of them. */
export interface Summary {
  median: number;
  spread: [number, number];
}

export function summarise(values: readonly number[], decimals: number): Summary {
  if (values.length === 0) throw new Error("no rounds to summarise");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return {
    median: round(median, decimals),
    spread: [round(sorted[0]!, decimals), round(sorted.at(-1)!, decimals)],
  };
}

/** Per round, the seconds each side took over the same work: on the clock, and of the process's CPU. */
export interface PairedRound {
  aSeconds: number;
  bSeconds: number;
  aCpuSeconds: number;
  bCpuSeconds: number;
}

/**
 * Runs `rounds` rounds of the two sides, each over the round's share of the work (`a(round)` and
 * `b(round)` do the same items), after one warm-up round that is not counted (the JIT compiles both
 * sides there). Odd rounds run B first, so neither side always follows the other's garbage. A full GC
 * (with --expose-gc) before each side, outside the timing, leaves each side only the garbage it makes.
 */
export async function pairedRounds(
  rounds: number,
  a: (round: number) => Promise<void> | void,
  b: (round: number) => Promise<void> | void,
): Promise<PairedRound[]> {
  const timed = async (side: (round: number) => Promise<void> | void, round: number) => {
    collectGarbage();
    const cpu = process.cpuUsage();
    const started = performance.now();
    await side(round);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
  };
  const results: PairedRound[] = [];
  for (let round = 0; round <= rounds; round++) {
    let aTime: { seconds: number; cpuSeconds: number };
    let bTime: { seconds: number; cpuSeconds: number };
    if (round % 2 === 0) {
      aTime = await timed(a, round);
      bTime = await timed(b, round);
    } else {
      bTime = await timed(b, round);
      aTime = await timed(a, round);
    }
    // Round 0 is the warm-up.
    if (round > 0)
      results.push({
        aSeconds: aTime.seconds,
        bSeconds: bTime.seconds,
        aCpuSeconds: aTime.cpuSeconds,
        bCpuSeconds: bTime.cpuSeconds,
      });
  }
  return results;
}

export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
