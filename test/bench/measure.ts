/**
 * The benchmark's measurements. Each drives the monitor's real code: frame parsing and validation
 * (`classifyFrame`), the CVD feed with its deduplication, the fill sync with the position tracker and
 * the retrying store, the whole Monitor against the loopback Hyperliquid stand-in, the embedded store,
 * and the image's entry point: the monitor bundled as the image's build stage bundles it, run with the
 * Dockerfile's CMD, and the alert Lambda's bundle. Storage is the counting MemoryStore unless a
 * measurement says otherwise.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { AlertEvent } from "../../lambda-alerts/src/alertEvent.ts";
import type { AlertPublisher } from "../../monitor/src/alerts/publishers.ts";
import { loadConfig } from "../../monitor/src/config/config.ts";
import { bucketOf } from "../../monitor/src/domain/cvd.ts";
import { normalizeFill } from "../../monitor/src/domain/fill.ts";
import { PositionBook } from "../../monitor/src/domain/positions.ts";
import { classifyFrame } from "../../monitor/src/hyperliquid/frames.ts";
import { CvdFeed } from "../../monitor/src/runtime/cvdFeed.ts";
import { FillSync } from "../../monitor/src/runtime/fillSync.ts";
import { Monitor } from "../../monitor/src/runtime/monitor.ts";
import { HyperliquidStandIn } from "../../monitor/src/standin/server.ts";
import { startEmbeddedDynamo } from "../../monitor/src/storage/local.ts";
import { openStore } from "../../monitor/src/storage/openStore.ts";
import { RetryingStore } from "../../monitor/src/storage/retryingStore.ts";
import { silentLogger } from "../../monitor/src/telemetry/logger.ts";
import { Metrics } from "../../monitor/src/telemetry/metrics.ts";
import type { ImageEntry } from "../support/imageEntry.ts";
import { bundleLambda } from "../support/lambdaBundle.ts";
import { MemoryStore } from "../support/memoryStore.ts";
import { healthPortOf, loopbackEnvironment, startMonitorProcess } from "../support/monitorProcess.ts";
import { positionFills, tradeFrame, userFillsFrame } from "./generate.ts";
import {
  cpuSeconds,
  type HeapAfterGc,
  heapAfterFullGc,
  type ResidentSplit,
  residentSplit,
} from "./processMemory.ts";
import { collectGarbage, pairedRounds, round, summarise } from "./rounds.ts";

const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const T0 = 1_789_407_000_000;

// --- trades: parse + dedupe + CVD, against a bare JSON.parse loop ---------------------------------------

export interface TradeResult {
  frames: number;
  rounds: number;
  /** Frames per CPU second of the process: medians of the rounds, with their spreads (lowest, highest). */
  tradesPerSecond: number;
  tradesPerSecondSpread: [number, number];
  bareParsePerSecond: number;
  bareParsePerSecondSpread: [number, number];
  /** The median of the per-round ratios (each round times both sides over the same frames, in CPU time). */
  ingestRatio: number;
  ingestRatioSpread: [number, number];
  /** The same ratio from clock time, which a busy machine moves more (for comparison only). */
  wallRatio: number;
  wallRatioSpread: [number, number];
  writesPerCvdMinute: number;
}

/**
 * `frames` generated trade frames, split into `rounds` rounds (plus a warm-up round of the same size that
 * is not counted); in each round the pipeline (parse, validation, dedupe, CVD) and a bare `JSON.parse`
 * loop take the same frames, alternately first (rounds.ts).
 */
export async function measureTrades(frames: number, rounds = 10, perFrame = 2): Promise<TradeResult> {
  const perRound = Math.floor(frames / rounds);
  // The floor: generate the same frames and JSON.parse them, nothing else.
  let sink = 0;
  const bare = (round: number) => {
    for (let i = round * perRound; i < (round + 1) * perRound; i++)
      sink += (JSON.parse(tradeFrame(i, perFrame, T0)) as { data: unknown[] }).data.length;
  };

  const store = new MemoryStore();
  const metrics = new Metrics(() => {});
  const feed = new CvdFeed({ store, metrics, logger: silentLogger() });
  await feed.track(["BTC", "ETH", "SOL"]);
  const pipeline = async (round: number) => {
    for (let i = round * perRound; i < (round + 1) * perRound; i++) {
      const frame = classifyFrame(tradeFrame(i, perFrame, T0));
      metrics.count("FramesReceived");
      if (frame.kind === "trades") feed.receive(frame.trades);
      // The monitor flushes every 5 s; here the clock is the trades' own (one frame a millisecond).
      if (i % 5_000 === 4_999) await feed.flush({ now: T0 + i });
    }
  };
  const timings = await pairedRounds(rounds, pipeline, bare);
  await feed.flush({ final: true });
  const taken = (rounds + 1) * perRound;
  if (sink !== taken * perFrame || metrics.total("TradesCounted") !== taken * perFrame) {
    throw new Error("trade benchmark lost trades: the measurement is void");
  }
  const coinMinutes = new Set<string>();
  for (let i = 0; i < taken; i++) coinMinutes.add(`${i % 3}|${bucketOf(T0 + i)}`);
  // Seconds of the process's CPU, not of the clock: on a shared machine the clock also counts the time
  // the neighbours had the core (the wall-clock ratio is kept in `wallRatio` for comparison).
  const pipelineRates = summarise(
    timings.map((t) => perRound / t.aCpuSeconds),
    0,
  );
  const bareRates = summarise(
    timings.map((t) => perRound / t.bCpuSeconds),
    0,
  );
  const ratios = summarise(
    timings.map((t) => t.bCpuSeconds / t.aCpuSeconds),
    3,
  );
  const wallRatios = summarise(
    timings.map((t) => t.bSeconds / t.aSeconds),
    3,
  );
  return {
    frames: rounds * perRound,
    rounds,
    tradesPerSecond: pipelineRates.median,
    tradesPerSecondSpread: pipelineRates.spread,
    bareParsePerSecond: bareRates.median,
    bareParsePerSecondSpread: bareRates.spread,
    ingestRatio: ratios.median,
    ingestRatioSpread: ratios.spread,
    wallRatio: wallRatios.median,
    wallRatioSpread: wallRatios.spread,
    writesPerCvdMinute: round((store.counts.items.cvd ?? 0) / coinMinutes.size, 3),
  };
}

// --- memory: the monitor process itself, fed a million trade frames ----------------------------------------

export interface MemoryResult {
  frames: number;
  rssMbAtHalf: number;
  rssMbAfter1M: number;
  rssGrowthMb: number;
  /** The RSS at the end, split into the process's own (anonymous) pages and mapped files; null off Linux. */
  rssSplit: ResidentSplit | null;
  /** Then, after a full GC: the live heap and the rest of the breakdown. */
  afterGc: HeapAfterGc;
  /** CPU seconds the monitor used to take the frames (from the first sent to the last taken); null off Linux. */
  cpuSeconds: number | null;
}

/**
 * The real monitor as the image runs it (its entry point, see measureImageEntry, with the task
 * definition's NODE_OPTIONS and environment) subscribed to BTC, ETH and SOL trades; the stand-in sends it `frames` generated trade frames at about 100,000 a
 * second, and its resident memory is read from its own `/health` at the half and at the end. Then its
 * inspector is opened for a full GC and the live heap (processMemory.ts); `--inspect-port=0` beside the
 * task's options only says where that inspector would listen, and opens nothing before the signal.
 */
const isTrades = (subscription: { type: string }) => subscription.type === "trades";

export async function measureMonitorMemory(
  entry: ImageEntry,
  frames: number,
  nodeOptions: string,
  /** The task's other runtime settings (its allocator's, GLIBC_TUNABLES). */
  environment: Record<string, string> = {},
): Promise<MemoryResult> {
  const standIn = new HyperliquidStandIn();
  const urls = await standIn.start();
  const dynamo = await startEmbeddedDynamo({ dataDir: null });
  const child = startMonitorProcess(
    {
      ACCOUNT_ADDRESS: ACCOUNT,
      ...loopbackEnvironment(urls, dynamo.endpoint),
      CVD_COINS: "BTC,ETH,SOL",
      NODE_OPTIONS: `${nodeOptions} --inspect-port=0`,
      ...environment,
    },
    { cwd: entry.workdir, args: entry.args },
  );
  try {
    const port = await healthPortOf(child, 600);
    if (!port) throw new Error(`monitor did not start:\n${child.output().slice(-2_000)}`);
    const health = async () =>
      (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
        rssMb: number;
        framesReceived: number;
      };
    const framesBefore = (await health()).framesReceived;
    // Wait until the subscriptions are acknowledged, so every frame sent is one the monitor takes.
    for (let i = 0; i < 200 && (await fetch(`http://127.0.0.1:${port}/ready`)).status !== 200; i++)
      await sleep(25);
    const sendUntil = async (end: number, from: number) => {
      for (let i = from; i < end; i += 1_000) {
        // To the trades subscribers only, as the real server sends them: public trades have a connection
        // of their own, and a frame sent to every socket would be taken twice.
        for (let j = i; j < Math.min(end, i + 1_000); j++)
          standIn.sendTo(isTrades, tradeFrame(j, 2, Date.now()));
        await sleep(10);
      }
      // Until the monitor has taken every frame sent (bounded: two minutes).
      for (let i = 0; i < 4_800 && (await health()).framesReceived < framesBefore + end; i++) await sleep(25);
    };
    const cpuBefore = cpuSeconds(child.child.pid!);
    const half = Math.floor(frames / 2);
    await sendUntil(half, 0);
    const rssMbAtHalf = (await health()).rssMb;
    await sendUntil(frames, half);
    const end = await health();
    if (end.framesReceived < framesBefore + frames) throw new Error("the monitor did not take every frame");
    const cpuAfter = cpuSeconds(child.child.pid!);
    const rssSplit = residentSplit(child.child.pid!);
    const afterGc = await heapAfterFullGc(child.child.pid!, child.output);
    return {
      frames,
      rssMbAtHalf,
      rssMbAfter1M: end.rssMb,
      rssGrowthMb: round(end.rssMb - rssMbAtHalf, 1),
      rssSplit,
      afterGc,
      cpuSeconds: cpuBefore === null || cpuAfter === null ? null : round(cpuAfter - cpuBefore, 2),
    };
  } finally {
    child.child.kill("SIGTERM");
    await child.exited;
    await dynamo.close();
    await standIn.stop();
  }
}

// --- fills: normalisation, position tracker, storage ------------------------------------------------------

export interface FillResult {
  fills: number;
  rounds: number;
  /** Fills per CPU second of the process: the median of the rounds, and the lowest and highest round. */
  fillsPerSecond: number;
  fillsPerSecondSpread: [number, number];
  writesPerFill: number;
  requestsPerFill: number;
  positionWritesPerFill: number;
  cursorWritesPerFill: number;
}

/**
 * `count` fills in frames of `perFrame`, through one live FillSync, timed in `rounds` rounds (after an
 * uncounted warm-up round of the same size): a round ends when its fills are applied and their writes
 * settled.
 */
export async function measureFills(count: number, rounds = 10, perFrame = 10): Promise<FillResult> {
  const store = new MemoryStore();
  const retrying = new RetryingStore(store);
  const metrics = new Metrics(() => {});
  const positions = new PositionBook();
  let applied = 0;
  const sync = new FillSync({
    account: ACCOUNT,
    store: retrying,
    metrics,
    logger: silentLogger(),
    backfillSince: null,
    // Nothing to backfill: the benchmark is the live path.
    fetchFillsSince: async function* () {},
    // What Monitor does with ordered fills, minus alerts (measured on their own below).
    applyInOrder: async (fills) => {
      for (const fill of fills) positions.apply(fill);
      applied += fills.length;
      const { states, closed } = positions.drainChanges();
      await retrying.savePositions(states, closed);
    },
  });
  await sync.start();
  await sync.requestSync();
  // Whole frames per round, and an even number of fills (every second fill closes the position).
  const framesPerRound = Math.max(1, Math.floor(count / rounds / perFrame / 2) * 2);
  const total = (rounds + 1) * framesPerRound * perFrame;
  const wires = positionFills(total, T0);
  const frames: string[] = [];
  for (let i = 0; i < total; i += perFrame)
    frames.push(userFillsFrame(ACCOUNT, wires.slice(i, i + perFrame)));

  const oneRound = async (round: number) => {
    for (let i = round * framesPerRound; i < (round + 1) * framesPerRound; i++) {
      const frame = classifyFrame(frames[i]!);
      if (frame.kind === "userFills") sync.receive(frame.fills.map((wire) => normalizeFill(ACCOUNT, wire)));
      // Frames arrive from a socket: let the writes and the domain work in between, as the event loop does.
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    const due = (round + 1) * framesPerRound * perFrame;
    for (let i = 0; i < 100_000 && applied < due; i++) await new Promise((resolve) => setImmediate(resolve));
    await retrying.flush();
  };
  // CPU seconds of the process per round (see measureTrades).
  const seconds: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    collectGarbage();
    const cpu = process.cpuUsage();
    await oneRound(round);
    const used = process.cpuUsage(cpu);
    if (round > 0) seconds.push((used.user + used.system) / 1e6);
  }
  await sync.stop();
  await retrying.flush();
  if (store.fillCount !== total) throw new Error(`fill benchmark stored ${store.fillCount} of ${total}`);
  const rates = summarise(
    seconds.map((s) => (framesPerRound * perFrame) / s),
    0,
  );
  return {
    fills: rounds * framesPerRound * perFrame,
    rounds,
    fillsPerSecond: rates.median,
    fillsPerSecondSpread: rates.spread,
    writesPerFill: round((store.counts.items.fills ?? 0) / total, 3),
    requestsPerFill: round((store.counts.calls.fills ?? 0) / total, 3),
    positionWritesPerFill: round((store.counts.items.positions ?? 0) / total, 3),
    cursorWritesPerFill: round((store.counts.items.cursor ?? 0) / total, 3),
  };
}

// --- alert latency: the whole Monitor, 1,000 fills a second through the stand-in ---------------------------

export interface LatencyResult {
  alerts: number;
  alertLatencyP50Ms: number;
  alertLatencyP99Ms: number;
  writesPerSnapshot: number;
}

class TimingPublisher implements AlertPublisher {
  readonly name = "timing";
  readonly latencies: number[] = [];
  async publish(event: AlertEvent): Promise<void> {
    // Each generated fill's time is the moment the stand-in sent it.
    if (event.kind === "position_opened" || event.kind === "position_closed") {
      this.latencies.push(Date.now() - event.time);
    }
  }
}

export async function measureAlertLatency(seconds: number, fillsPerSecond = 1_000): Promise<LatencyResult> {
  const standIn = new HyperliquidStandIn();
  const urls = await standIn.start();
  const store = new MemoryStore();
  const publisher = new TimingPublisher();
  const config = loadConfig({
    ACCOUNT_ADDRESS: ACCOUNT,
    HYPERLIQUID_WS_URL: urls.wsUrl,
    HYPERLIQUID_API_URL: urls.apiUrl,
    HEALTH_PORT: "0",
    CVD_COINS: "BTC",
    ALERT_EVENTS: "position_opened,position_closed",
  });
  const monitor = new Monitor({
    config,
    store,
    logger: silentLogger(),
    metrics: new Metrics(() => {}),
    alertPublishers: [publisher],
  });
  await monitor.start();
  for (let i = 0; i < 200 && monitor.watcher(ACCOUNT)?.fills.phase !== "live"; i++) await sleep(25);

  // Ten fills every 10 ms (timers cannot do one every millisecond), each stamped when sent.
  const batches = (seconds * fillsPerSecond) / 10;
  let tid = 5_000_000;
  for (let batch = 0; batch < batches; batch++) {
    const due = performance.now() + 10;
    const now = Date.now();
    const fills = positionFills(10, now, { firstTid: tid, timeOf: () => now });
    tid += 10;
    standIn.pushFills(ACCOUNT, fills);
    await sleep(Math.max(0, due - performance.now()));
  }
  for (let i = 0; i < 200 && publisher.latencies.length < batches * 10; i++) await sleep(25);
  await monitor.takeSnapshots();
  await monitor.stop();
  await standIn.stop();
  const sorted = [...publisher.latencies].sort((a, b) => a - b);
  return {
    alerts: sorted.length,
    alertLatencyP50Ms: percentile(sorted, 0.5),
    alertLatencyP99Ms: percentile(sorted, 0.99),
    writesPerSnapshot: round((store.counts.items.snapshots ?? 0) / (store.counts.calls.snapshots ?? 1), 3),
  };
}

// --- backfill of 10,000 fills into the local store --------------------------------------------------------

export async function measureBackfill(count: number): Promise<{ backfillSeconds: number; stored: number }> {
  const standIn = new HyperliquidStandIn();
  const urls = await standIn.start();
  standIn.addFills(ACCOUNT, positionFills(count, T0));
  const dataDir = mkdtempSync(join(tmpdir(), "hl-bench-"));
  try {
    const config = loadConfig({
      ACCOUNT_ADDRESS: ACCOUNT,
      HYPERLIQUID_WS_URL: urls.wsUrl,
      HYPERLIQUID_API_URL: urls.apiUrl,
      DB_MODE: "local",
      DATA_DIR: dataDir,
      HEALTH_PORT: "0",
      CVD_COINS: "BTC",
    });
    const logger = silentLogger();
    const { store, shutdown } = await openStore(config, logger, new Metrics(() => {}));
    const monitor = new Monitor({
      config,
      store,
      logger,
      metrics: new Metrics(() => {}),
      alertPublishers: [],
    });
    const started = performance.now();
    await monitor.start();
    for (let i = 0; i < 2_400 && monitor.watcher(ACCOUNT)?.fills.phase !== "live"; i++) await sleep(25);
    await (store as RetryingStore).flush();
    const backfillSeconds = (performance.now() - started) / 1000;
    const stored = (await store.listFills(ACCOUNT)).length;
    await monitor.stop();
    await shutdown();
    return { backfillSeconds: round(backfillSeconds, 2), stored };
  } finally {
    await standIn.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// --- the image's entry point: bundle sizes and start to ready -------------------------------------------

export interface ImageResult {
  /** The bundle the image runs (monitor.mjs). */
  monitorBundleKb: number;
  /** The image's own files on top of the Node base image: the bundle and its source map. */
  imageOwnFilesKb: number;
  lambdaBundleKb: number;
  /** Process spawned → its `/ready` answers 200, for the image's CMD run from the image's WORKDIR: the median. */
  imageStartToReadyMs: number;
  /** Every start's figure, fastest first. */
  imageStartsToReadyMs: number[];
}

/**
 * The monitor built exactly as the image's build stage builds it (bin/build-monitor.ts, through
 * test/support/imageEntry.ts), started with the Dockerfile's CMD (`node --optimize-for-size monitor.mjs`)
 * from a folder holding only what the image holds, with the task definition's NODE_OPTIONS, against the loopback Hyperliquid stand-in and an
 * in-memory DynamoDB-compatible server. Start to ready covers loading the bundle, the first store reads,
 * the subscriptions and the fill sync; the median of `starts` starts is the figure (each start gets fresh
 * stand-ins, so none finds the previous one's tables). The Docker image's own size is measured where Docker runs (the
 * deploy workflow prints it); here, what the image adds to its base.
 */
export async function measureImageEntry(
  entry: ImageEntry,
  nodeOptions: string,
  starts: number,
): Promise<ImageResult> {
  const lambdaDir = mkdtempSync(join(tmpdir(), "hl-bundle-"));
  try {
    const lambdaFile = join(lambdaDir, "lambda.cjs");
    await bundleLambda("lambda-alerts/src/handler.ts", lambdaFile);

    const startsToReady: number[] = [];
    for (let run = 0; run < starts; run++) startsToReady.push(await startToReady(entry, nodeOptions));
    startsToReady.sort((a, b) => a - b);
    return {
      monitorBundleKb: round(entry.build.bundleBytes / 1024, 1),
      imageOwnFilesKb: round((entry.build.bundleBytes + entry.build.sourceMapBytes) / 1024, 1),
      lambdaBundleKb: round(statSync(lambdaFile).size / 1024, 1),
      imageStartToReadyMs: startsToReady[Math.floor(startsToReady.length / 2)]!,
      imageStartsToReadyMs: startsToReady,
    };
  } finally {
    rmSync(lambdaDir, { recursive: true, force: true });
  }
}

/** One start of the image's entry point: spawn → `/ready` 200, in milliseconds. */
async function startToReady(entry: ImageEntry, nodeOptions: string): Promise<number> {
  const standIn = new HyperliquidStandIn();
  const urls = await standIn.start();
  const dynamo = await startEmbeddedDynamo({ dataDir: null });
  const started = performance.now();
  const child = startMonitorProcess(
    {
      ACCOUNT_ADDRESS: ACCOUNT,
      ...loopbackEnvironment(urls, dynamo.endpoint),
      CVD_COINS: "BTC",
      NODE_OPTIONS: nodeOptions,
    },
    { cwd: entry.workdir, args: entry.args },
  );
  let startToReadyMs = Number.NaN;
  try {
    for (let i = 0; i < 1_000 && Number.isNaN(startToReadyMs) && child.child.exitCode === null; i++) {
      const port = /"healthPort":(\d+)/.exec(child.output())?.[1];
      if (
        port &&
        (await fetch(`http://127.0.0.1:${port}/ready`).then(
          (r) => r.status,
          () => 0,
        )) === 200
      ) {
        startToReadyMs = Math.round(performance.now() - started);
      } else {
        await sleep(10);
      }
    }
  } finally {
    child.child.kill("SIGTERM");
    await child.exited;
    await dynamo.close();
    await standIn.stop();
  }
  if (Number.isNaN(startToReadyMs))
    throw new Error(`the image's entry point never became ready:\n${child.output().slice(-2_000)}`);
  return startToReadyMs;
}

// --- helpers ----------------------------------------------------------------------------------------------

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
