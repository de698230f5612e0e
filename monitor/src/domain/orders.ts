/** Order state per (account, oid): the newest status wins, and at a tie a final status beats a live one. */
import type { OrderState } from "./types.ts";
import type { WireOrder } from "./wire.ts";

/** `open` and `triggered` are live; every other status (the list is open-ended) is final. */
export function isTerminalStatus(status: string): boolean {
  return status !== "open" && status !== "triggered";
}

export function orderFromWire(account: string, wire: WireOrder): OrderState {
  const { order } = wire;
  return {
    account: account.toLowerCase(),
    oid: order.oid,
    coin: order.coin,
    side: order.side,
    limitPx: order.limitPx,
    sz: order.sz,
    origSz: order.origSz ?? order.sz,
    status: wire.status,
    statusTimestamp: wire.statusTimestamp,
    timestamp: order.timestamp,
    cloid: order.cloid ?? null,
    isTerminal: isTerminalStatus(wire.status),
  };
}

/** A single sortable number for "newer": statusTimestamp, then final over live at the same millisecond. */
export function orderVersion(order: Pick<OrderState, "statusTimestamp" | "isTerminal">): number {
  return order.statusTimestamp * 2 + (order.isTerminal ? 1 : 0);
}

/** True when `candidate` should replace `current`. */
export function isNewerOrder(candidate: OrderState, current: OrderState | undefined): boolean {
  return current === undefined || orderVersion(candidate) > orderVersion(current);
}

/** The newest state of each order among `orders` (one conditional write per order is enough). */
export function newestPerOrder(orders: readonly OrderState[]): OrderState[] {
  const newest = new Map<string, OrderState>();
  for (const order of orders) {
    const key = `${order.account}:${order.oid}`;
    if (isNewerOrder(order, newest.get(key))) newest.set(key, order);
  }
  return [...newest.values()];
}

export class OrderBook {
  readonly #orders = new Map<string, OrderState>();

  /** Keeps the order if it is newer than what we hold; returns whether it was kept. */
  offer(order: OrderState): boolean {
    const key = `${order.account}:${order.oid}`;
    if (!isNewerOrder(order, this.#orders.get(key))) return false;
    this.#orders.set(key, order);
    return true;
  }

  get(account: string, oid: number): OrderState | undefined {
    return this.#orders.get(`${account}:${oid}`);
  }

  all(): OrderState[] {
    return [...this.#orders.values()];
  }
}
