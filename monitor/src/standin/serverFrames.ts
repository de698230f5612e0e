/**
 * The text frames the real server sends, byte for byte in shape: always `{"channel", "data"}`, except the
 * pong, which has no `data` (ws-pong-1.json). Samples in test/fixtures/hyperliquid.
 */
import type { WireClearinghouseState, WireFill, WireOrder, WireTrade } from "../domain/wire.ts";
import type { StandInSubscription } from "./clientRequests.ts";

export const pongFrame = (): string => JSON.stringify({ channel: "pong" });

export const errorFrame = (message: string): string => JSON.stringify({ channel: "error", data: message });

export const ackFrame = (method: "subscribe" | "unsubscribe", subscription: StandInSubscription): string =>
  JSON.stringify({ channel: "subscriptionResponse", data: { method, subscription } });

/** Snapshots carry `isSnapshot: true`; live frames omit the key (captures; DOCS say `false`). */
export const userFillsFrame = (user: string, fills: readonly WireFill[], isSnapshot: boolean): string =>
  JSON.stringify({
    channel: "userFills",
    data: isSnapshot ? { isSnapshot: true, user, fills } : { user, fills },
  });

/** `dex` is the subscription's perp dex, `""` for the default one (DOCS websocket/subscriptions). */
export const clearinghouseStateFrame = (user: string, state: WireClearinghouseState, dex = ""): string =>
  JSON.stringify({ channel: "clearinghouseState", data: { dex, user, clearinghouseState: state } });

export const tradesFrame = (trades: readonly WireTrade[]): string =>
  JSON.stringify({ channel: "trades", data: trades });

/** No user in the frame: only the connection that subscribed for the user can tell whose orders these are. */
export const orderUpdatesFrame = (orders: readonly WireOrder[]): string =>
  JSON.stringify({ channel: "orderUpdates", data: orders });

/** Reply to a WebSocket `post`: `payload` is `{type, data}` for info requests, a string for errors. */
export const postFrame = (
  id: number,
  response: { type: "info"; payload: { type: string; data: unknown } } | { type: "error"; payload: string },
): string => JSON.stringify({ channel: "post", data: { id, response } });

/** The real server's texts inside `error` frames (PROTOCOL.md §2, issue reports). */
export const errorText = {
  unparseable: (request: string) => `Error parsing JSON into valid websocket request: ${request}`,
  alreadySubscribed: (subscription: StandInSubscription) =>
    `Already subscribed: ${JSON.stringify(subscription)}`,
  alreadyUnsubscribed: (subscription: StandInSubscription) =>
    `Already unsubscribed: ${JSON.stringify(subscription)}`,
  tooManyUsers: (max: number) => `Cannot track more than ${max} total users.`,
  tooManySubscriptions: (max: number) => `Cannot subscribe to more than ${max} channels.`,
  // The limit is documented (2000 per minute), the refusal's text is not: ours.
  tooManyMessages: (max: number) => `Too many messages: more than ${max} per minute.`,
};
