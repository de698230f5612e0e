/**
 * CVD for the whole market (CVD_COINS=all) through the real monitor process (the image's entry point,
 * with the task's NODE_OPTIONS and allocator settings), fed every listed coin's trades at ten times a
 * busy hour's rate by the stand-in, on loopback.
 *
 * The market, from the recorded samples (test/fixtures/hyperliquid):
 * - coins and their mix: the mainnet `webData2` frame of June 2025 (ws-webData2-frames-1.json): `meta`
 *   lists 199 perps, 28 delisted; `assetCtxs` gives each one's day volume (`dayNtlVlm`, $7.03 B in all,
 *   BTC 51 %, ETH 24 %, the next three 16 %, 166 coins the last 9 %);
 * - trades: a coin's day volume / $458, the mean notional of the 500 real fills in info-userFills-1.json
 *   (no sample gives a trade count): 178 trades a second over the whole market on an average hour;
 * - a busy hour: twice the day's mean hourly rate (an assumption: the sample has the day's volume, not
 *   its hourly profile), and the bench runs ten times that: ~3,550 trades a second.
 * Trades come as the real server sends them: per coin, one `trades` frame per block holding the block's
 * trades (~0.1 s blocks: PROTOCOL.md's HyperBFT timing is not documented there, so 100 ms ticks), the
 * count per tick drawn from a Poisson law (trades of different coins independent).
 *
 * Figures: CPU seconds the monitor process used per second of market (from /proc) as a share of the
 * task's 0.25 vCPU; lag, as the monitor's `/health` reports it (`cvdLag`): from a frame's newest trade's
 * exchange time (stamped by the stand-in as it sends the frame, same clock) to its trades being counted
 * in the buckets, p99 over every frame of the run; RSS at the end of the run.
 */
import { HyperliquidStandIn } from "../../monitor/src/standin/server.ts";
import { startEmbeddedDynamo } from "../../monitor/src/storage/local.ts";
import { legacyFills, mainnetMarket } from "../support/fixtures.ts";
import type { ImageEntry } from "../support/imageEntry.ts";
import { healthPortOf, loopbackEnvironment, startMonitorProcess } from "../support/monitorProcess.ts";
import {
  cpuSeconds,
  type HeapAfterGc,
  heapAfterFullGc,
  type ResidentSplit,
  residentSplit,
} from "./processMemory.ts";

const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
/** The task's CPU (lib/monitorService.ts TASK_CPU 256 units). */
const TASK_VCPU = 0.25;
const BUSY_HOUR_FACTOR = 2;
const SPEED_UP = 10;
const TICK_MS = 100;

export interface MarketResult {
  marketCoins: number;
  /** Seconds of market replayed, and trades and frames sent. */
  seconds: number;
  tradesSent: number;
  framesSent: number;
  tradesPerSecond: number;
  /** CPU seconds per second of market over a 0.25 vCPU task. */
  marketCpuShare: number;
  marketLagP99Ms: number;
  marketLagP50Ms: number;
  marketLagMaxMs: number;
  marketRssMb: number;
  /** Where the RSS is: anonymous and file pages, and the heap after a full GC (taken after the figures). */
  rssSplit: ResidentSplit | null;
  afterGc: HeapAfterGc;
}

/** Trades a second per listed coin at the bench's rate, from the samples (see the top of this file). */
export function marketRates(): { coin: string; perSecond: number; px: number; szDecimals: number }[] {
  const fills = legacyFills();
  const meanNotional = fills.reduce((sum, f) => sum + Number(f.px) * Number(f.sz), 0) / fills.length;
  return mainnetMarket()
    .filter((asset) => !asset.isDelisted)
    .map((asset) => ({
      coin: asset.name,
      perSecond: (Number(asset.dayNtlVlm) / meanNotional / 86_400) * BUSY_HOUR_FACTOR * SPEED_UP,
      px: Number(asset.markPx),
      szDecimals: asset.szDecimals,
    }));
}

/** A Poisson draw (Knuth below 30, the normal approximation above). */
function poisson(mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) {
    const u = 1 - Math.random();
    const v = Math.random();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = Math.random();
  while (p > limit && k < 1_000) {
    k += 1;
    p *= Math.random();
  }
  return k;
}

export async function measureMarket(
  entry: ImageEntry,
  seconds: number,
  nodeOptions: string,
  environment: Record<string, string> = {},
): Promise<MarketResult> {
  const rates = marketRates();
  const standIn = new HyperliquidStandIn({ universe: mainnetMarket(), tradeReplay: 0 });
  const urls = await standIn.start();
  const dynamo = await startEmbeddedDynamo({ dataDir: null });
  const child = startMonitorProcess(
    {
      ACCOUNT_ADDRESS: ACCOUNT,
      ...loopbackEnvironment(urls, dynamo.endpoint),
      CVD_COINS: "all",
      NODE_OPTIONS: `${nodeOptions} --inspect-port=0`,
      ...environment,
    },
    { cwd: entry.workdir, args: entry.args },
  );
  try {
    const port = await healthPortOf(child, 1_200);
    if (!port) throw new Error(`monitor did not start:\n${child.output().slice(-2_000)}`);
    const health = async () =>
      (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
        rssMb: number;
        framesReceived: number;
        cvdCoins: number;
        cvdLag: { samples: number; p50Ms: number; p99Ms: number; maxMs: number } | null;
      };
    // Every listed coin subscribed on the market connection (bounded: 30 s).
    const market = () =>
      standIn
        .connections()
        .find((c) => c.subscriptions.filter((s) => s.type === "trades").length >= rates.length);
    for (let i = 0; i < 1_200 && !market(); i++) await sleep(25);
    const connection = market();
    if (!connection)
      throw new Error(`the monitor did not subscribe every coin:\n${child.output().slice(-2_000)}`);
    const framesBefore = (await health()).framesReceived;
    const cpuBefore = cpuSeconds(child.child.pid!);
    const tids = new Map<string, number>();
    let tradesSent = 0;
    let framesSent = 0;
    const started = Date.now();
    const ticks = Math.round((seconds * 1_000) / TICK_MS);
    for (let tick = 0; tick < ticks; tick++) {
      for (const rate of rates) {
        const count = poisson((rate.perSecond * TICK_MS) / 1_000);
        if (count === 0) continue;
        const time = Date.now();
        let tid = tids.get(rate.coin) ?? tick * 1_000_000;
        const trades: string[] = [];
        for (let k = 0; k < count; k++) {
          tid += 1;
          const side = Math.random() < 0.5 ? "B" : "A";
          const sz = (Math.random() * 10 ** -rate.szDecimals * 100 + 10 ** -rate.szDecimals).toFixed(
            rate.szDecimals,
          );
          trades.push(
            `{"coin":"${rate.coin}","side":"${side}","px":"${rate.px}","sz":"${sz}","time":${time},"hash":"0x${tid.toString(16).padStart(64, "0")}","tid":${tid},"users":["0x1260b8f7e0c4caa2ef3a51b6c08507ecc104641d","0x86914e6492aab9847dfd8d088060ba2075bb315c"]}`,
          );
        }
        tids.set(rate.coin, tid);
        standIn.sendToConnection(connection.id, `{"channel":"trades","data":[${trades.join(",")}]}`);
        tradesSent += count;
        framesSent += 1;
      }
      // Paced to the clock: tick n goes out at n × 100 ms whatever the sending took.
      const wait = started + (tick + 1) * TICK_MS - Date.now();
      if (wait > 0) await sleep(wait);
    }
    // Until the monitor has taken every frame sent (bounded: one minute).
    for (let i = 0; i < 2_400 && (await health()).framesReceived < framesBefore + framesSent; i++)
      await sleep(25);
    const elapsed = (Date.now() - started) / 1_000;
    const cpuAfter = cpuSeconds(child.child.pid!);
    const end = await health();
    if (end.framesReceived < framesBefore + framesSent)
      throw new Error("the monitor did not take every frame");
    const rssSplit = residentSplit(child.child.pid!);
    const afterGc = await heapAfterFullGc(child.child.pid!, child.output);
    const cpu = cpuBefore === null || cpuAfter === null ? Number.NaN : cpuAfter - cpuBefore;
    return {
      marketCoins: end.cvdCoins,
      seconds: round(elapsed, 1),
      tradesSent,
      framesSent,
      tradesPerSecond: Math.round(tradesSent / elapsed),
      marketCpuShare: round(cpu / elapsed / TASK_VCPU, 3),
      marketLagP99Ms: end.cvdLag?.p99Ms ?? Number.NaN,
      marketLagP50Ms: end.cvdLag?.p50Ms ?? Number.NaN,
      marketLagMaxMs: round(end.cvdLag?.maxMs ?? Number.NaN, 1),
      marketRssMb: end.rssMb,
      rssSplit,
      afterGc,
    };
  } finally {
    child.child.kill("SIGTERM");
    await child.exited;
    await dynamo.close();
    await standIn.stop();
  }
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
