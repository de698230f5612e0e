/**
 * The coins Hyperliquid lists, from `meta` (per dex), so that CVD subscribes only coins that exist: a
 * trades subscribe for an unknown coin is never acknowledged, and its connection would be replaced again
 * and again. Explicit `CVD_COINS` must all be listed (else a ConfigError naming the coin); default coins
 * and coins of open positions that are not listed are skipped with a warning.
 */
import { ConfigError } from "../config/config.ts";
import { dexOf, ListedCoins } from "../domain/listedCoins.ts";
import { meta } from "../hyperliquid/info/meta.ts";
import { type InfoClient, InfoRequestError } from "../hyperliquid/infoClient.ts";
import type { Logger } from "../telemetry/logger.ts";

/** A coin missing from a universe fetched longer ago than this fetches it again (it may be new). */
const REFRESH_UNKNOWN_AFTER_MS = 10 * 60_000;

export class CoinUniverse {
  readonly #info: InfoClient;
  readonly #logger: Logger;
  readonly #byDex = new Map<string, { coins: ListedCoins; fetchedAt: number }>();

  constructor(deps: { info: InfoClient; logger: Logger }) {
    this.#info = deps.info;
    this.#logger = deps.logger;
  }

  /** The dex's listing, fetched once (or again when `refresh`). Throws InfoRequestError if REST fails. */
  async listing(dex: string, refresh = false): Promise<ListedCoins> {
    const known = this.#byDex.get(dex);
    if (known && !refresh) return known.coins;
    const answer = await meta(this.#info, dex === "" ? {} : { dex });
    const coins = new ListedCoins(dex, answer.universe);
    this.#byDex.set(dex, { coins, fetchedAt: Date.now() });
    return coins;
  }

  /** Every coin must be listed and not delisted; else one ConfigError line naming the first that is not. */
  async checkConfigured(coins: readonly string[]): Promise<void> {
    for (const coin of coins) {
      const dex = dexOf(coin);
      let listing: ListedCoins;
      try {
        listing = await this.listing(dex);
      } catch (error) {
        // A HIP-3 dex the server refuses to describe is most likely a misspelt dex name.
        if (dex !== "" && error instanceof InfoRequestError && isRefusal(error.status)) {
          throw new ConfigError(
            `CVD_COINS has "${coin}", but Hyperliquid answers HTTP ${error.status} for the dex "${dex}" (meta): check the dex name`,
          );
        }
        throw error;
      }
      const problem = listing.problem(coin);
      if (problem) throw new ConfigError(`CVD_COINS has ${problem}`);
    }
  }

  /**
   * The coins that can be followed; the others are logged and left out. A coin missing from a listing
   * older than ten minutes fetches the listing again first (the coin may have been listed since).
   */
  async followable(coins: readonly string[]): Promise<string[]> {
    const followed: string[] = [];
    for (const coin of coins) {
      const dex = dexOf(coin);
      let listing = await this.listing(dex);
      const fetchedAt = this.#byDex.get(dex)?.fetchedAt ?? 0;
      if (!listing.isActive(coin) && Date.now() - fetchedAt > REFRESH_UNKNOWN_AFTER_MS) {
        listing = await this.listing(dex, true);
      }
      const problem = listing.problem(coin);
      if (problem === null) followed.push(coin);
      else this.#logger.warn({ coin, problem }, "CVD skips a coin the exchange does not list");
    }
    return followed;
  }
}

/** A 4xx other than 429: the request itself is wrong, so asking again will not help. */
export function isRefusal(status: number | null): boolean {
  return status !== null && status >= 400 && status < 500 && status !== 429;
}
