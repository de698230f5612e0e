/**
 * What the stand-in knows, as the exchange would: per user (lower-case) the fill history, the latest
 * clearinghouseState of each perp dex and every order's latest status; per coin the public trade history;
 * the builder-deployed perp dexes (HIP-3) that exist, and per dex the perpetuals it lists.
 *
 * `visibleUntil` is a horizon in exchange time: fills and trades later than it do not exist yet. Tests
 * leave it at +Infinity; a replay moves it along the recording so REST and snapshots show what the real
 * service would have shown at that moment.
 */
import type { WireClearinghouseState, WireFill, WireOrder, WireTrade } from "../domain/wire.ts";
import type { WireFunding } from "../hyperliquid/info/userFunding.ts";
import { type ListedAsset, SAMPLE_UNIVERSE } from "./universe.ts";

/** Public trades kept per coin: far more than the 30 a subscribe replays, bounded for long replays. */
const TRADES_KEPT_PER_COIN = 10_000;

export class ExchangeRecords {
  readonly #visibleUntil: () => number;
  readonly #fills = new Map<string, WireFill[]>();
  /** By `user|dex`; `""` is the default perp dex. */
  readonly #states = new Map<string, WireClearinghouseState>();
  /** Names of the builder-deployed perp dexes, in deployment order (`perpDexs` lists them after `null`). */
  readonly #perpDexs: string[] = [];
  readonly #orders = new Map<string, Map<number, WireOrder>>();
  readonly #trades = new Map<string, WireTrade[]>();
  /** Funding payments per user (samples/info-userFunding-1.json shape), oldest first. */
  readonly #funding = new Map<string, WireFunding[]>();
  readonly #accountModes = new Map<string, string>();
  /** Listed perpetuals by dex ("" = the default dex), by name. */
  readonly #universes = new Map<string, Map<string, ListedAsset>>();

  /** `universe`: the default dex's perpetuals before any are listed (default: the 2023 sample's 28). */
  constructor(
    visibleUntil: () => number = () => Number.POSITIVE_INFINITY,
    universe: readonly ListedAsset[] = SAMPLE_UNIVERSE,
  ) {
    this.#visibleUntil = visibleUntil;
    this.#universes.set("", new Map(universe.map((asset) => [asset.name, { ...asset }])));
  }

  get horizon(): number {
    return this.#visibleUntil();
  }

  addFills(user: string, fills: readonly WireFill[]): void {
    this.#fills.set(user.toLowerCase(), appendByTime(this.#fills.get(user.toLowerCase()) ?? [], fills));
  }

  /** Every fill of the user, oldest first, regardless of the horizon (for assertions). */
  allFills(user: string): WireFill[] {
    return [...(this.#fills.get(user.toLowerCase()) ?? [])];
  }

  /** Fills that exist at the horizon, oldest first (same-millisecond fills in the order they were added). */
  visibleFills(user: string): WireFill[] {
    const horizon = this.horizon;
    const fills = this.#fills.get(user.toLowerCase()) ?? [];
    return horizon === Number.POSITIVE_INFINITY ? [...fills] : fills.filter((fill) => fill.time <= horizon);
  }

  addFunding(user: string, payments: readonly WireFunding[]): void {
    const u = user.toLowerCase();
    this.#funding.set(u, appendByTime(this.#funding.get(u) ?? [], payments));
  }

  /** Funding payments that exist at the horizon, oldest first. */
  visibleFunding(user: string): WireFunding[] {
    const horizon = this.horizon;
    return (this.#funding.get(user.toLowerCase()) ?? []).filter((payment) => payment.time <= horizon);
  }

  addTrades(coin: string, trades: readonly WireTrade[]): void {
    const kept = appendByTime(this.#trades.get(coin) ?? [], trades);
    this.#trades.set(coin, kept.length > TRADES_KEPT_PER_COIN ? kept.slice(-TRADES_KEPT_PER_COIN) : kept);
  }

  /** Public trades of the coin that exist at the horizon, oldest first. */
  visibleTrades(coin: string): WireTrade[] {
    const horizon = this.horizon;
    return (this.#trades.get(coin) ?? []).filter((trade) => trade.time <= horizon);
  }

  /** A state on a builder-deployed dex also makes that dex exist. */
  setState(user: string, state: WireClearinghouseState, dex = ""): void {
    if (dex) this.addPerpDex(dex);
    this.#states.set(`${user.toLowerCase()}|${dex}`, state);
  }

  state(user: string, dex = ""): WireClearinghouseState | undefined {
    return this.#states.get(`${user.toLowerCase()}|${dex}`);
  }

  addPerpDex(name: string): void {
    if (name && !this.#perpDexs.includes(name)) this.#perpDexs.push(name);
  }

  get perpDexs(): readonly string[] {
    return this.#perpDexs;
  }

  setAccountMode(user: string, mode: string): void {
    this.#accountModes.set(user.toLowerCase(), mode);
  }

  /** The user's abstraction mode as `userAbstraction` answers it, if one was set. */
  accountMode(user: string): string | undefined {
    return this.#accountModes.get(user.toLowerCase());
  }

  /** Lists perpetuals on a dex (or replaces their listing, e.g. to mark one delisted). */
  listAssets(assets: readonly ListedAsset[], dex = ""): void {
    const universe = this.#universes.get(dex) ?? new Map<string, ListedAsset>();
    for (const asset of assets) universe.set(asset.name, { ...asset });
    this.#universes.set(dex, universe);
  }

  /**
   * What `meta` lists for a dex: the listed assets, then any other perpetual the stand-in has trades or
   * fills of (HIP-3 names are `dex:COIN`; spot names, `@N` or `A/B`, are no perpetuals).
   */
  universe(dex = ""): ListedAsset[] {
    const listed = new Map(this.#universes.get(dex) ?? []);
    const traded = new Set<string>(this.#trades.keys());
    for (const fills of this.#fills.values()) for (const fill of fills) traded.add(fill.coin);
    for (const coin of traded) {
      if (listed.has(coin) || coin.startsWith("@") || coin.includes("/")) continue;
      const separator = coin.indexOf(":");
      const coinDex = separator < 0 ? "" : coin.slice(0, separator);
      if (coinDex === dex) listed.set(coin, { name: coin, szDecimals: 0, maxLeverage: 3 });
    }
    return [...listed.values()];
  }

  /** Records each order's latest status (an order keeps its place; a newer status replaces the older). */
  addOrders(user: string, orders: readonly WireOrder[]): void {
    const u = user.toLowerCase();
    const byOid = this.#orders.get(u) ?? new Map<number, WireOrder>();
    for (const order of orders) {
      const known = byOid.get(order.order.oid);
      if (!known || known.statusTimestamp <= order.statusTimestamp) byOid.set(order.order.oid, order);
    }
    this.#orders.set(u, byOid);
  }

  /** Every order of the user with its latest status, in the order first seen. */
  orders(user: string): WireOrder[] {
    return [...(this.#orders.get(user.toLowerCase())?.values() ?? [])];
  }
}

/** Appends keeping time order; a stable sort only when the new items are not already the newest. */
function appendByTime<T extends { time: number }>(history: T[], added: readonly T[]): T[] {
  const last = history.at(-1)?.time ?? Number.NEGATIVE_INFINITY;
  let ordered = true;
  let previous = last;
  for (const item of added) {
    if (item.time < previous) ordered = false;
    previous = item.time;
  }
  for (const item of added) history.push(item); // no spread: a large batch would overflow the stack
  if (!ordered) history.sort((a, b) => a.time - b.time);
  return history;
}
