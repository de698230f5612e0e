/**
 * `npm run bench [-- --json] [-- --quick]`: speed, memory and storage cost of the monitor's real code,
 * measured in one run (test/bench/measure.ts says what each figure drives). Prints a compact table with
 * the targets; `--json` prints one JSON object instead. `--quick` runs smaller loads (a smoke check,
 * not figures to quote). Run with `--expose-gc` (the npm script does) so memory is measured after GC.
 *
 * Figures that are compared with a floor are medians over rounds, with the spread (lowest–highest
 * round) beside them: rates in rounds of CPU time, the ingest ratio's two sides alternating round by
 * round in this one process (rounds.ts), and the memory run three times, each its own monitor process.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { TASK_MALLOC_TUNABLES, TASK_NODE_OPTIONS } from "../../lib/monitorService.ts";
import { parseCommandLine } from "../../monitor/src/commandLine.ts";
import { buildImageEntry } from "../support/imageEntry.ts";
import { type MarketResult, measureMarket } from "./market.ts";
import {
  type MemoryResult,
  measureAlertLatency,
  measureBackfill,
  measureFills,
  measureImageEntry,
  measureMonitorMemory,
  measureTrades,
} from "./measure.ts";
import { summarise } from "./rounds.ts";

const values = parseCommandLine({
  name: "bench",
  command: "npm run bench --",
  summary:
    "Measures the monitor's real code, run as the image runs it: trade and fill throughput, memory, alert latency, backfill, bundle sizes and the image entry point's start to ready, against the targets (a few minutes).",
  options: { json: { type: "boolean", default: false }, quick: { type: "boolean", default: false } },
  describe: {
    json: "print one JSON object instead of the table",
    quick: "smaller loads: a smoke check, not figures to quote",
  },
});
const quick = values.quick;

const machine = {
  cpu: cpus()[0]?.model.trim() ?? "unknown",
  cores: cpus().length,
  memoryGb: Math.round(totalmem() / 1024 ** 3),
  node: process.version,
  date: new Date().toISOString().slice(0, 10),
  /** The machine's load (1, 5, 15 minutes) when the run started; `loadAverageAtEnd` when it ended. */
  loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
};

// The monitor processes measured here run the image's entry point: the bundle the image's build stage
// makes, started with the Dockerfile's CMD, with the task's runtime settings: its NODE_OPTIONS and its
// allocator settings (lib/monitorService.ts).
const entry = await buildImageEntry();
const imageCommand = ["node", ...entry.args].join(" ");
const taskEnvironment = { GLIBC_TUNABLES: TASK_MALLOC_TUNABLES };
let image: Awaited<ReturnType<typeof measureImageEntry>>;
const marketRuns: MarketResult[] = [];
const memoryRuns: MemoryResult[] = [];
const trades = await measureTrades(quick ? 100_000 : 1_000_000, quick ? 7 : 10);
try {
  for (let run = 0; run < (quick ? 1 : 3); run++) {
    memoryRuns.push(
      await measureMonitorMemory(entry, quick ? 100_000 : 1_000_000, TASK_NODE_OPTIONS, taskEnvironment),
    );
  }
  image = await measureImageEntry(entry, TASK_NODE_OPTIONS, quick ? 1 : 5);
  // The whole market at ten times a busy hour (market.ts), three monitor processes like the memory runs
  // (one run's CPU share moved by half on a busy machine): 65 s crosses a minute's end, so the buckets'
  // writes are in the figure; --quick replays 5 s (a smoke check of the path, not a figure).
  for (let run = 0; run < (quick ? 1 : 3); run++) {
    marketRuns.push(await measureMarket(entry, quick ? 5 : 65, TASK_NODE_OPTIONS, taskEnvironment));
  }
} finally {
  entry.remove();
}
const memoryFigure = (value: (run: MemoryResult) => number) => summarise(memoryRuns.map(value), 1);
const rss = memoryFigure((run) => run.rssMbAfter1M);
const rssGrowth = memoryFigure((run) => run.rssGrowthMb);
const liveHeap = memoryFigure((run) => run.afterGc.liveHeapMb);
const marketCpu = summarise(
  marketRuns.map((run) => run.marketCpuShare),
  3,
);
const marketLag = summarise(
  marketRuns.map((run) => run.marketLagP99Ms),
  0,
);
const marketRss = summarise(
  marketRuns.map((run) => run.marketRssMb),
  1,
);
const market = marketRuns[0]!;
const fills = await measureFills(quick ? 20_000 : 200_000, quick ? 7 : 10);
const latency = await measureAlertLatency(quick ? 1 : 5);
const backfill = await measureBackfill(10_000);

const result = {
  machine,
  tradesPerSecond: trades.tradesPerSecond,
  tradesPerSecondSpread: trades.tradesPerSecondSpread,
  bareParsePerSecond: trades.bareParsePerSecond,
  bareParsePerSecondSpread: trades.bareParsePerSecondSpread,
  ingestRatio: trades.ingestRatio,
  ingestRatioSpread: trades.ingestRatioSpread,
  fillsPerSecond: fills.fillsPerSecond,
  fillsPerSecondSpread: fills.fillsPerSecondSpread,
  alertLatencyP50Ms: latency.alertLatencyP50Ms,
  alertLatencyP99Ms: latency.alertLatencyP99Ms,
  rssMbAfter1M: rss.median,
  rssMbSpread: rss.spread,
  rssGrowthMb: rssGrowth.median,
  rssGrowthMbSpread: rssGrowth.spread,
  liveHeapMbAfterGc: liveHeap.median,
  liveHeapMbSpread: liveHeap.spread,
  writesPerFill: fills.writesPerFill,
  writesPerSnapshot: latency.writesPerSnapshot,
  writesPerCvdMinute: trades.writesPerCvdMinute,
  backfill10kSeconds: backfill.backfillSeconds,
  imageStartToReadyMs: image.imageStartToReadyMs,
  monitorBundleKb: image.monitorBundleKb,
  imageOwnFilesKb: image.imageOwnFilesKb,
  lambdaBundleKb: image.lambdaBundleKb,
  marketCpuShare: marketCpu.median,
  marketCpuShareSpread: marketCpu.spread,
  marketLagP99Ms: marketLag.median,
  marketLagP99MsSpread: marketLag.spread,
  marketRssMb: marketRss.median,
  marketRssMbSpread: marketRss.spread,
  marketCoins: market.marketCoins,
  detail: {
    /** CVD_COINS=all, each run: seconds of market replayed, trades and frames sent, its figures. */
    marketRuns: marketRuns.map((run) => ({
      seconds: run.seconds,
      tradesPerSecond: run.tradesPerSecond,
      tradesSent: run.tradesSent,
      framesSent: run.framesSent,
      cpuShare: run.marketCpuShare,
      lagP50Ms: run.marketLagP50Ms,
      lagP99Ms: run.marketLagP99Ms,
      lagMaxMs: run.marketLagMaxMs,
      rssMb: run.marketRssMb,
      rssSplit: run.rssSplit,
      afterGc: run.afterGc,
    })),
    tradeFrames: trades.frames,
    tradeRounds: trades.rounds,
    /** The ingest ratio from clock time instead of CPU time: what a busy machine does to it. */
    ingestRatioWallClock: trades.wallRatio,
    ingestRatioWallClockSpread: trades.wallRatioSpread,
    fillRounds: fills.rounds,
    memoryFrames: memoryRuns[0]!.frames,
    /** Each memory run: RSS at the half and the end, its split, the heap after a full GC, CPU seconds. */
    memoryRuns: memoryRuns.map((run) => ({
      rssMbAtHalf: run.rssMbAtHalf,
      rssMbAfter1M: run.rssMbAfter1M,
      rssSplit: run.rssSplit,
      afterGc: run.afterGc,
      cpuSeconds: run.cpuSeconds,
    })),
    nodeOptions: TASK_NODE_OPTIONS,
    glibcTunables: TASK_MALLOC_TUNABLES,
    imageCommand,
    imageStartsToReadyMs: image.imageStartsToReadyMs,
    fills: fills.fills,
    fillRequestsPerFill: fills.requestsPerFill,
    positionWritesPerFill: fills.positionWritesPerFill,
    cursorWritesPerFill: fills.cursorWritesPerFill,
    alertsTimed: latency.alerts,
    backfillStored: backfill.stored,
    quick,
    loadAverageAtEnd: loadavg().map((load) => Math.round(load * 100) / 100),
  },
};

if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const rows: [string, string, string][] = [
    [
      "trade frames per CPU s (parse + dedupe + CVD)",
      withSpread(result.tradesPerSecond, result.tradesPerSecondSpread),
      "",
    ],
    [
      "bare JSON.parse frames per CPU s",
      withSpread(result.bareParsePerSecond, result.bareParsePerSecondSpread),
      "",
    ],
    [
      `ingest ratio (median of ${trades.rounds} interleaved rounds)`,
      withSpread(result.ingestRatio, result.ingestRatioSpread),
      verdict(result.ingestRatio >= 0.75, "≥ 0.75"),
    ],
    [
      `fills per CPU s (normalise + positions + storage, ${fills.rounds} rounds)`,
      withSpread(result.fillsPerSecond, result.fillsPerSecondSpread),
      verdict(result.fillsPerSecond >= 20_000, "≥ 20,000"),
    ],
    [
      "alert latency p50 / p99 (1,000 fills/s)",
      `${result.alertLatencyP50Ms} / ${result.alertLatencyP99Ms} ms`,
      verdict(result.alertLatencyP99Ms <= 20, "p99 ≤ 20 ms"),
    ],
    [
      `monitor RSS after ${fmt(memoryRuns[0]!.frames)} trade frames (image entry point, ${memoryRuns.length} run${memoryRuns.length === 1 ? "" : "s"})`,
      withSpread(result.rssMbAfter1M, result.rssMbSpread, " MB"),
      verdict(result.rssMbAfter1M <= 100, "≤ 100 MB"),
    ],
    [
      "RSS growth over the second half",
      withSpread(result.rssGrowthMb, result.rssGrowthMbSpread, " MB"),
      verdict(result.rssGrowthMbSpread[1] <= 5, "none (≤ 5 MB in every run)"),
    ],
    [
      "live heap after a full GC, at the end",
      withSpread(result.liveHeapMbAfterGc, result.liveHeapMbSpread, " MB"),
      "",
    ],
    [
      "writes per fill / per snapshot",
      `${result.writesPerFill} / ${result.writesPerSnapshot}`,
      verdict(result.writesPerFill <= 1 && result.writesPerSnapshot <= 1, "1 / 1"),
    ],
    [
      "writes per CVD coin-minute",
      String(result.writesPerCvdMinute),
      verdict(result.writesPerCvdMinute <= 1, "1"),
    ],
    [
      "position + cursor writes per fill",
      `${fills.positionWritesPerFill} + ${fills.cursorWritesPerFill}`,
      "",
    ],
    [
      `CVD_COINS=all: ${result.marketCoins} coins at ${fmt(market.tradesPerSecond)} trades/s (10× a busy hour, ${marketRuns.length} run${marketRuns.length === 1 ? "" : "s"}), CPU share of 0.25 vCPU`,
      withSpread(
        Math.round(result.marketCpuShare * 1000) / 10,
        [
          Math.round(result.marketCpuShareSpread[0] * 1000) / 10,
          Math.round(result.marketCpuShareSpread[1] * 1000) / 10,
        ],
        " %",
      ),
      verdict(result.marketCpuShare <= 0.25, "≤ 25 %"),
    ],
    [
      "  lag, newest trade of a frame to its bucket current: p99",
      withSpread(result.marketLagP99Ms, result.marketLagP99MsSpread, " ms"),
      "",
    ],
    [
      `  monitor RSS after ${market.seconds} s of it`,
      withSpread(result.marketRssMb, result.marketRssMbSpread, " MB"),
      verdict(result.marketRssMb <= 100, "≤ 100 MB"),
    ],
    ["backfill of 10,000 fills (local store)", `${result.backfill10kSeconds} s`, ""],
    [
      `image entry point (${imageCommand}) start to /ready${quick ? "" : ", median of 5"}`,
      `${result.imageStartToReadyMs} ms`,
      "",
    ],
    ["bundle sizes: monitor / Lambda", `${result.monitorBundleKb} / ${result.lambdaBundleKb} KB`, ""],
    ["image's own files (bundle + source map; the base image is Node's)", `${result.imageOwnFilesKb} KB`, ""],
  ];
  const width = Math.max(...rows.map((row) => row[0].length));
  const valueWidth = Math.max(...rows.map((row) => row[1].length));
  const lines = [
    `hl-monitor bench — ${machine.date}, ${machine.cpu} (${machine.cores} cores, ${machine.memoryGb} GB), Node ${machine.node}${quick ? " [quick]" : ""}`,
    `load average ${machine.loadAverage.join(" ")} at the start, ${result.detail.loadAverageAtEnd.join(" ")} at the end; medians (lowest–highest)`,
    "",
    ...rows.map(([name, value, target]) =>
      `${name.padEnd(width)}  ${value.padStart(valueWidth)}  ${target}`.trimEnd(),
    ),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
process.exit(0);

function fmt(value: number): string {
  return value.toLocaleString("en-US");
}

/** A median with its spread: "0.81 (0.74–0.86)". */
function withSpread(median: number, [low, high]: [number, number], unit = ""): string {
  return `${fmt(median)}${unit} (${fmt(low)}–${fmt(high)})`;
}

function verdict(met: boolean, target: string): string {
  return `${met ? "meets" : "MISSES"} ${target}`;
}
