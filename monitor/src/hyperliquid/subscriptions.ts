/** The subscriptions the monitor sends, and how a server ack is matched to them. */

export type Subscription = { type: string } & Record<string, unknown>;

/** `aggregateByTime: false` explicitly: fills are keyed on tid, and aggregation would merge them. */
export const userFillsSubscription = (user: string): Subscription => ({
  type: "userFills",
  user: user.toLowerCase(),
  aggregateByTime: false,
});
export const orderUpdatesSubscription = (user: string): Subscription => ({
  type: "orderUpdates",
  user: user.toLowerCase(),
});
/** Per perp dex (DOCS websocket/subscriptions); the default dex is subscribed without `dex`, as before. */
export const clearinghouseStateSubscription = (user: string, dex = ""): Subscription => ({
  type: "clearinghouseState",
  user: user.toLowerCase(),
  ...(dex ? { dex } : {}),
});
export const tradesSubscription = (coin: string): Subscription => ({ type: "trades", coin });

/**
 * Identity of a subscription on type and key fields. The server normalises its echo (adds
 * `aggregateByTime:false`, nulls for optional fields, may change address case), so bytes never match.
 */
export function subscriptionKey(subscription: Record<string, unknown>): string {
  const type = String(subscription.type ?? "");
  const user = typeof subscription.user === "string" ? subscription.user.toLowerCase() : "";
  const coin = typeof subscription.coin === "string" ? subscription.coin : "";
  const dex = typeof subscription.dex === "string" ? subscription.dex : "";
  return `${type}|${user}|${coin}|${dex}`;
}
