/**
 * The soak's exchange: traders opening, growing, reducing and closing positions on the Hyperliquid
 * stand-in, and the ground truth computed from the stand-in's own record of every fill it made.
 *
 * Besides plain trades it makes what a real account meets: fills that were part of someone else's
 * liquidation (both sides carry the `liquidation` object, samples/ws-user-1.json), the account's own
 * liquidations (a full close with `liquidatedUser` = the account), trades on a builder-deployed perp dex
 * (`xyz:XYZ100`, HIP-3), and now and then a fill the monitor must refuse (a decimal comma in `px`).
 */
import { alertLinks } from "../../monitor/src/alerts/links.ts";
import { positionAlerts } from "../../monitor/src/alerts/positionAlerts.ts";
import { normalizeFill, orderFills } from "../../monitor/src/domain/fill.ts";
import { PositionBook } from "../../monitor/src/domain/positions.ts";
import type { ClosedPosition, PositionState } from "../../monitor/src/domain/types.ts";
import type { WireFill } from "../../monitor/src/domain/wire.ts";
import { FillSchema } from "../../monitor/src/hyperliquid/schemas.ts";
import type { HyperliquidStandIn } from "../../monitor/src/standin/server.ts";
import { currentFills, LIQUIDATED_USER } from "../support/fixtures.ts";

/** The builder-deployed perp dex the first account also trades on (HIP-3 coins are `dex:COIN`). */
export const HIP3_DEX = "xyz";
export const HIP3_COIN = `${HIP3_DEX}:XYZ100`;
const COINS = ["BTC", "ETH"] as const;
/** The first account trades on the HIP-3 dex too. */
const FIRST_ACCOUNT_COINS = [...COINS, HIP3_COIN] as const;
/** Sizes are whole lots of 0.001, so positions stay exact as integers here. */
const LOT = 1000;

/** A small seeded generator (mulberry32), so a soak run can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const lots = (n: number) => (n / LOT).toFixed(3);

export class SimulatedExchange {
  readonly #standIn: HyperliquidStandIn;
  readonly #accounts: readonly string[];
  readonly #random: () => number;
  /** Signed size in lots per account and coin. */
  readonly #sizes = new Map<string, number>();
  readonly #lastTime = new Map<string, number>();
  #tid = 9_000_000_000;
  #oid = 70_000_000_000;
  /** Valid fills made (what the monitor must store). */
  fillsMade = 0;
  /** Fills that were part of another account's liquidation: ordinary fills for this account. */
  counterpartyLiquidations = 0;
  /** The accounts' own liquidations, each closing its position: one LIQUIDATION alert each. */
  ownLiquidations = 0;
  /** Fills the schema refuses, by account: to be skipped, counted and alerted, never stored. */
  readonly invalidFills = new Map<string, number>();

  constructor(standIn: HyperliquidStandIn, accounts: readonly string[], random: () => number) {
    this.#standIn = standIn;
    this.#accounts = accounts;
    this.#random = random;
  }

  /** One trading step: each account trades with some probability; fills go to the stand-in's record and
   * to whoever is subscribed at that moment (nobody, during a gap: then only REST has them). */
  step(): void {
    for (const account of this.#accounts) {
      if (this.#random() < 0.5) continue;
      const coins = account === this.#accounts[0] ? FIRST_ACCOUNT_COINS : COINS;
      const coin = coins[Math.floor(this.#random() * coins.length)]!;
      this.#standIn.pushFills(account, [this.#trade(account, coin)]);
      this.fillsMade += 1;
    }
  }

  /** Pushes a fill whose price has a decimal comma: on the socket now, and in the REST history. */
  invalidFill(account: string): void {
    const fill = this.#trade(account, "SOL", { dryRun: true });
    this.#standIn.pushFills(account, [{ ...fill, px: fill.px.replace(".", ",") }]);
    this.noteInvalidFill(account);
  }

  /** An invalid fill item sent some other way (a raw frame). */
  noteInvalidFill(account: string): void {
    this.invalidFills.set(account, (this.invalidFills.get(account) ?? 0) + 1);
  }

  #trade(account: string, coin: string, options: { dryRun?: boolean } = {}): WireFill {
    const key = `${account}|${coin}`;
    const size = this.#sizes.get(key) ?? 0;
    const r = this.#random();
    let delta: number;
    if (size === 0) delta = (1 + Math.floor(r * 3)) * (this.#random() < 0.5 ? 1 : -1);
    else if (r < 0.45)
      delta = -size; // close
    else if (r < 0.7)
      delta = Math.sign(size) * (1 + Math.floor(this.#random() * 2)); // increase
    else delta = -Math.sign(size) * Math.max(1, Math.floor(Math.abs(size) / 2)); // reduce
    if (Math.abs(delta) > Math.abs(size) && Math.sign(delta) !== Math.sign(size) && size !== 0) delta = -size;
    const after = size + delta;
    // A refused fill changes nothing the monitor can know of: it must not move the simulated position.
    if (!options.dryRun) this.#sizes.set(key, after);
    const buying = delta > 0;
    const opening = size === 0 || Math.sign(delta) === Math.sign(size);
    const long = opening ? buying : size > 0;
    const time = Math.max(Date.now(), (this.#lastTime.get(account) ?? 0) + 1);
    this.#lastTime.set(account, time);
    const price = (coin === "BTC" ? 78_000 : 3_000) + Math.floor(this.#random() * 200);
    const template = currentFills()[0]!;
    // Someone else's liquidation now and then (the liquidator's counterparty sees an ordinary fill with the
    // object), and now and then the account's own, on a full close.
    let liquidation: WireFill["liquidation"];
    if (!options.dryRun && after === 0 && size !== 0 && this.#random() < 0.05) {
      liquidation = { liquidatedUser: account, markPx: `${price}.0`, method: "market" };
      this.ownLiquidations += 1;
    } else if (!options.dryRun && this.#random() < 0.1) {
      liquidation = { liquidatedUser: LIQUIDATED_USER, markPx: `${price}.0`, method: "market" };
      this.counterpartyLiquidations += 1;
    }
    return {
      ...template,
      ...(liquidation ? { liquidation } : {}),
      coin,
      px: `${price}.5`,
      sz: lots(Math.abs(delta)),
      side: buying ? "B" : "A",
      time,
      startPosition: lots(size),
      dir: `${opening ? "Open" : "Close"} ${long ? "Long" : "Short"}`,
      closedPnl: opening ? "0.0" : `${((this.#random() - 0.5) * 10).toFixed(4)}`,
      fee: "0.0125",
      tid: ++this.#tid,
      oid: ++this.#oid,
      hash: `0x${this.#tid.toString(16).padStart(64, "0")}`,
      cloid: null,
    };
  }
}

export interface GroundTruth {
  fills: number;
  tids: Set<number>;
  states: PositionState[];
  closed: ClosedPosition[];
  alertKeys: Set<string>;
}

/** What the monitor must have stored and sent, from the stand-in's record alone. */
export function groundTruth(
  standIn: HyperliquidStandIn,
  accounts: readonly string[],
  alertKinds: ReadonlySet<string>,
): GroundTruth {
  const book = new PositionBook();
  const closed: ClosedPosition[] = [];
  const alertKeys = new Set<string>();
  const tids = new Set<number>();
  let fills = 0;
  const links = alertLinks("mainnet", null);
  for (const account of accounts) {
    // A fill the schema refuses is skipped by design (counted, logged, alerted): it is no fill to store.
    const valid = standIn.fillsOf(account).filter((wire) => FillSchema.safeParse(wire).success);
    const ordered = orderFills(valid.map((wire) => normalizeFill(account, wire)));
    for (const fill of ordered) {
      fills += 1;
      if (fill.tid !== null) tids.add(fill.tid);
      const result = book.apply(fill);
      for (const event of result.events) {
        if (event.closed) closed.push(event.closed);
        for (const alert of positionAlerts(event, fill, { enabled: alertKinds as never, links }))
          alertKeys.add(alert.key);
      }
    }
  }
  return { fills, tids, states: book.drainChanges().states, closed, alertKeys };
}
