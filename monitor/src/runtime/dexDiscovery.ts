/**
 * Finds the builder-deployed perp dexes (HIP-3) where a watched account holds a position or a resting
 * order it is not yet following: at start and then every `intervalMs` (default 15 minutes).
 *
 * Fills and order updates already reveal any dex the account trades on while the monitor runs (the
 * watcher follows it at once); discovery covers what happened while it was not running. One round costs
 * `perpDexs` once per process (weight 20) plus, per account and dex not followed, `clearinghouseState`
 * with `dex` (2) and, when that shows no position, `frontendOpenOrders` with `dex` (20): at most
 * 20 + accounts × dexes × 22. With 10 accounts and 10 dexes that is 2,220, nearly two minutes of the whole
 * 1,200-per-minute IP budget if sent at once, so the round is paced: after each request it waits until
 * its weight fits `weightPerMinute` (default 120, a tenth of the budget), leaving the rest to fill
 * backfills and reconnect refreshes. Such a round then takes about 19 minutes; the next one starts
 * `intervalMs` after the previous one started, or when it ends if later.
 *
 * No request covers every dex at once over REST: `allDexsClearinghouseState` exists only as a WebSocket
 * subscription (DOCS websocket/subscriptions), and it carries no open orders.
 */
import { sleep } from "../hyperliquid/_weightBudget.ts";
import { PERP_DEXS, perpDexNames } from "../hyperliquid/info/perpDexs.ts";
import type { InfoClient } from "../hyperliquid/infoClient.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { AccountWatcher } from "./accountWatcher.ts";
import { errorSummary } from "./fillSync.ts";

export const DEX_DISCOVERY_INTERVAL_MS = 15 * 60_000;
export const DEX_DISCOVERY_WEIGHT_PER_MINUTE = 120;

export interface DexDiscoveryOptions {
  info: InfoClient;
  logger: Logger;
  watchers: () => readonly AccountWatcher[];
  intervalMs?: number;
  weightPerMinute?: number;
}

export class DexDiscovery {
  readonly #options: DexDiscoveryOptions;
  readonly #intervalMs: number;
  readonly #weightPerMinute: number;
  readonly #stopped = new AbortController();
  #running: Promise<void> | null = null;
  /** Rounds completed (for tests and the log). */
  rounds = 0;

  constructor(options: DexDiscoveryOptions) {
    this.#options = options;
    this.#intervalMs = options.intervalMs ?? DEX_DISCOVERY_INTERVAL_MS;
    this.#weightPerMinute = options.weightPerMinute ?? DEX_DISCOVERY_WEIGHT_PER_MINUTE;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    const signal = this.#stopped.signal;
    while (!signal.aborted) {
      const started = Date.now();
      try {
        await this.#round(signal);
        this.rounds += 1;
      } catch (error) {
        if (signal.aborted) return;
        this.#options.logger.warn({ err: errorSummary(error) }, "perp dex discovery round failed");
      }
      try {
        await sleep(Math.max(0, started + this.#intervalMs - Date.now()), signal);
      } catch {
        return; // stopped
      }
    }
  }

  async #round(signal: AbortSignal): Promise<void> {
    const { info, logger, watchers } = this.#options;
    const dexes = await perpDexNames(info, signal);
    await this.#pace(PERP_DEXS.weight, signal);
    let probes = 0;
    for (const watcher of watchers()) {
      for (const dex of dexes) {
        if (watcher.follows(dex)) continue;
        let spent = 0;
        try {
          spent = await watcher.probeDex(dex, signal);
          probes += 1;
        } catch (error) {
          if (signal.aborted) throw error;
          // One failing probe (REST down for a moment) must not end the round for everyone else.
          logger.warn({ account: watcher.account, dex, err: errorSummary(error) }, "perp dex probe failed");
          spent = 2;
        }
        await this.#pace(spent, signal);
      }
    }
    logger.info(
      {
        perpDexes: dexes.length,
        probes,
        followed: watchers().map((w) => ({ account: w.account, dexes: w.followedDexes.filter(Boolean) })),
      },
      "perp dex discovery round done",
    );
  }

  /** Waits as long as `weight` takes at the discovery's pace. */
  #pace(weight: number, signal: AbortSignal): Promise<void> {
    return sleep(Math.ceil((weight / this.#weightPerMinute) * 60_000), signal);
  }
}
