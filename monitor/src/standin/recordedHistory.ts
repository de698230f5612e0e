/**
 * The history a recording reveals, deduplicated: fills (userFills frames, snapshots and REST answers),
 * public trades (trades frames, recentTrades answers), account states and order statuses, each state and
 * order batch with the time it was received. A replay serves it over REST and in the stand-in's own
 * snapshots, as far as the replay clock has come.
 */
import type { WireClearinghouseState, WireFill, WireOrder, WireTrade } from "../domain/wire.ts";

/** Something learned about a user at receive time `t`. */
export interface Timed<T> {
  t: number;
  user: string;
  value: T;
}

/** Fills per user and trades per coin (oldest first as recorded), states and order batches by time. */
export interface HistoryData {
  fills: Map<string, WireFill[]>;
  trades: Map<string, WireTrade[]>;
  states: Timed<WireClearinghouseState>[];
  orders: Timed<WireOrder[]>[];
  /** The last recorded `userAbstraction` answer per user. */
  accountModes: Map<string, string>;
}

export class RecordedHistory {
  readonly #fills = new Map<string, Map<string, WireFill>>();
  readonly #trades = new Map<string, Map<string, WireTrade>>();
  readonly #states: Timed<WireClearinghouseState>[] = [];
  readonly #orders: Timed<WireOrder[]>[] = [];
  readonly #accountModes = new Map<string, string>();

  /** A recorded frame's data; frames without a user (orderUpdates) belong to the connection's account. */
  fromFrame(t: number, account: string, channel: unknown, data: unknown): void {
    switch (channel) {
      case "userFills":
        if (isObject(data) && typeof data.user === "string" && Array.isArray(data.fills)) {
          this.#addFills(data.user, data.fills);
        }
        break;
      case "trades":
        if (Array.isArray(data)) this.#addTrades(data);
        break;
      case "clearinghouseState":
        if (isObject(data) && typeof data.user === "string" && isObject(data.clearinghouseState)) {
          const state = data.clearinghouseState as unknown as WireClearinghouseState;
          this.#states.push({ t, user: data.user.toLowerCase(), value: state });
        }
        break;
      case "orderUpdates":
        if (Array.isArray(data)) this.#addOrders(t, account, data);
        break;
    }
  }

  fromRest(t: number, request: Record<string, unknown>, response: unknown): void {
    const user = typeof request.user === "string" ? request.user.toLowerCase() : null;
    switch (request.type) {
      case "userFills":
      case "userFillsByTime":
        if (user && Array.isArray(response)) this.#addFills(user, response);
        break;
      case "recentTrades":
        if (Array.isArray(response)) this.#addTrades(response);
        break;
      case "clearinghouseState":
        if (user && isObject(response) && "marginSummary" in response) {
          this.#states.push({ t, user, value: response as unknown as WireClearinghouseState });
        }
        break;
      case "orderStatus": {
        if (user && isObject(response) && response.status === "order") {
          this.#addOrders(t, user, [response.order]);
        }
        break;
      }
      case "userAbstraction":
        if (user && typeof response === "string") this.#accountModes.set(user, response);
        break;
      case "historicalOrders":
        if (user && Array.isArray(response)) this.#addOrders(t, user, response);
        break;
      case "openOrders":
      case "frontendOpenOrders":
        // Resting orders as rows without a status: open since their creation.
        if (user && Array.isArray(response)) {
          const rows = response.filter(isObject);
          this.#addOrders(
            t,
            user,
            rows.map((order) => ({ order, status: "open", statusTimestamp: order.timestamp })),
          );
        }
        break;
    }
  }

  result(): HistoryData {
    const byTime = <T extends { t: number }>(items: T[]) => [...items].sort((a, b) => a.t - b.t);
    return {
      fills: new Map([...this.#fills].map(([user, fills]) => [user, [...fills.values()]])),
      trades: new Map([...this.#trades].map(([coin, trades]) => [coin, [...trades.values()]])),
      states: byTime(this.#states),
      orders: byTime(this.#orders),
      accountModes: new Map(this.#accountModes),
    };
  }

  #addFills(user: string, fills: readonly unknown[]): void {
    const known = this.#fills.get(user.toLowerCase()) ?? new Map<string, WireFill>();
    this.#fills.set(user.toLowerCase(), known);
    for (const fill of fills) {
      if (!isObject(fill) || typeof fill.time !== "number") continue;
      const f = fill as unknown as WireFill;
      // Legacy fills have no tid: the composite key of PROTOCOL.md §4.
      known.set(`${f.time}|${f.tid ?? ""}|${f.coin}|${f.oid}|${f.px}|${f.sz}|${f.startPosition}`, f);
    }
  }

  #addTrades(trades: readonly unknown[]): void {
    for (const trade of trades) {
      if (!isObject(trade) || typeof trade.coin !== "string" || typeof trade.time !== "number") continue;
      const known = this.#trades.get(trade.coin) ?? new Map<string, WireTrade>();
      this.#trades.set(trade.coin, known);
      known.set(`${trade.time}|${String(trade.tid)}`, trade as unknown as WireTrade);
    }
  }

  #addOrders(t: number, user: string, orders: readonly unknown[]): void {
    const valid = orders.filter(
      (order): order is WireOrder =>
        isObject(order) &&
        isObject(order.order) &&
        typeof order.order.oid === "number" &&
        typeof order.statusTimestamp === "number",
    );
    if (valid.length > 0) this.#orders.push({ t, user, value: valid });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
