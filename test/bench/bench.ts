/**
 * `npm run bench [-- --json] [-- --quick]`: speed, memory and storage cost of the monitor's real code,
 * measured in one run (test/bench/measure.ts says what each figure drives). Prints a compact table with
 * the targets; `--json` prints one JSON object instead. `--quick` runs smaller loads (a smoke check,
 * not figures to quote). Run with `--expose-gc` (the npm script does) so memory is measured after GC.
 */
import { cpus, totalmem } from "node:os";
import { TASK_NODE_OPTIONS } from "../../lib/monitorService.ts";
import { parseCommandLine } from "../../monitor/src/commandLine.ts";
import { buildImageEntry } from "../support/imageEntry.ts";
import {
  measureAlertLatency,
  measureBackfill,
  measureFills,
  measureImageEntry,
  measureMonitorMemory,
  measureTrades,
} from "./measure.ts";

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
};

// The monitor processes measured here run the image's entry point: the bundle the image's build stage
// makes, started with the Dockerfile's CMD.
const entry = await buildImageEntry();
const imageCommand = ["node", ...entry.args].join(" ");
let image: Awaited<ReturnType<typeof measureImageEntry>>;
let memory: Awaited<ReturnType<typeof measureMonitorMemory>>;
const trades = await measureTrades(quick ? 100_000 : 1_000_000);
try {
  memory = await measureMonitorMemory(entry, quick ? 100_000 : 1_000_000, TASK_NODE_OPTIONS);
  image = await measureImageEntry(entry, TASK_NODE_OPTIONS, quick ? 1 : 5);
} finally {
  entry.remove();
}
const fills = await measureFills(quick ? 20_000 : 200_000);
const latency = await measureAlertLatency(quick ? 1 : 5);
const backfill = await measureBackfill(10_000);

const result = {
  machine,
  tradesPerSecond: trades.tradesPerSecond,
  bareParsePerSecond: trades.bareParsePerSecond,
  ingestRatio: trades.ingestRatio,
  fillsPerSecond: fills.fillsPerSecond,
  alertLatencyP50Ms: latency.alertLatencyP50Ms,
  alertLatencyP99Ms: latency.alertLatencyP99Ms,
  rssMbAfter1M: memory.rssMbAfter1M,
  rssGrowthMb: memory.rssGrowthMb,
  writesPerFill: fills.writesPerFill,
  writesPerSnapshot: latency.writesPerSnapshot,
  writesPerCvdMinute: trades.writesPerCvdMinute,
  backfill10kSeconds: backfill.backfillSeconds,
  imageStartToReadyMs: image.imageStartToReadyMs,
  monitorBundleKb: image.monitorBundleKb,
  imageOwnFilesKb: image.imageOwnFilesKb,
  lambdaBundleKb: image.lambdaBundleKb,
  detail: {
    tradeFrames: trades.frames,
    memoryFrames: memory.frames,
    rssMbAtHalf: memory.rssMbAtHalf,
    nodeOptions: TASK_NODE_OPTIONS,
    imageCommand,
    imageStartsToReadyMs: image.imageStartsToReadyMs,
    fills: fills.fills,
    fillRequestsPerFill: fills.requestsPerFill,
    positionWritesPerFill: fills.positionWritesPerFill,
    cursorWritesPerFill: fills.cursorWritesPerFill,
    alertsTimed: latency.alerts,
    backfillStored: backfill.stored,
    quick,
  },
};

if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const rows: [string, string, string][] = [
    ["trade frames/s (parse + dedupe + CVD)", fmt(result.tradesPerSecond), ""],
    ["bare JSON.parse frames/s", fmt(result.bareParsePerSecond), ""],
    ["ingest ratio", String(result.ingestRatio), verdict(result.ingestRatio >= 0.5, "≥ 0.5")],
    [
      "fills/s (normalise + positions + storage)",
      fmt(result.fillsPerSecond),
      verdict(result.fillsPerSecond >= 20_000, "≥ 20,000"),
    ],
    [
      "alert latency p50 / p99 (1,000 fills/s)",
      `${result.alertLatencyP50Ms} / ${result.alertLatencyP99Ms} ms`,
      verdict(result.alertLatencyP99Ms <= 20, "p99 ≤ 20 ms"),
    ],
    [
      `monitor RSS after ${fmt(memory.frames)} trade frames (image entry point)`,
      `${result.rssMbAfter1M} MB`,
      verdict(result.rssMbAfter1M <= 150, "≤ 150 MB"),
    ],
    [
      "RSS growth over the second half",
      `${result.rssGrowthMb} MB`,
      verdict(result.rssGrowthMb <= 5, "none (≤ 5 MB)"),
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

function verdict(met: boolean, target: string): string {
  return `${met ? "meets" : "MISSES"} ${target}`;
}
