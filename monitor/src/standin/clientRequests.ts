/**
 * What a client may send over the stand-in's WebSocket, parsed the way the real server accepts it, and
 * the normalised subscription the server echoes in its ack (PROTOCOL.md §2).
 */

/** A subscription as the server holds it after normalisation: `{type, user?, coin?, ...}`. */
export type StandInSubscription = { type: string } & Record<string, unknown>;

export type ClientRequest =
  | { method: "ping" }
  | { method: "subscribe" | "unsubscribe"; subscription: StandInSubscription }
  | { method: "post"; id: number; request: { type: string; payload: unknown } }
  /** Anything the real server answers with `Error parsing JSON into valid websocket request: …`. */
  | { method: "unparseable" };

/** Parameters each subscription type requires (DOCS subscription list); the values are checked below. */
const REQUIRED_PARAMS: Readonly<Record<string, readonly string[]>> = {
  allMids: [],
  trades: ["coin"],
  l2Book: ["coin"],
  bbo: ["coin"],
  candle: ["coin", "interval"],
  activeAssetCtx: ["coin"],
  userFills: ["user"],
  orderUpdates: ["user"],
  userEvents: ["user"],
  userFundings: ["user"],
  userNonFundingLedgerUpdates: ["user"],
  clearinghouseState: ["user"],
  openOrders: ["user"],
  spotState: ["user"],
  webData3: ["user"],
  notification: ["user"],
  userTwapSliceFills: ["user"],
  userTwapHistory: ["user"],
  activeAssetData: ["user", "coin"],
};

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export function parseClientRequest(text: string): ClientRequest {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { method: "unparseable" };
  }
  if (!isObject(message)) return { method: "unparseable" };
  switch (message.method) {
    case "ping":
      return { method: "ping" };
    case "subscribe":
    case "unsubscribe": {
      const subscription = normaliseSubscription(message.subscription);
      return subscription ? { method: message.method, subscription } : { method: "unparseable" };
    }
    case "post": {
      const { id, request } = message;
      if (typeof id !== "number" || !isObject(request) || typeof request.type !== "string") {
        return { method: "unparseable" };
      }
      return { method: "post", id, request: { type: request.type, payload: request.payload } };
    }
    default:
      return { method: "unparseable" };
  }
}

/**
 * The server's normalised echo: addresses lower-cased, `userFills` gains `aggregateByTime:false`
 * (ws-subscriptionResponse-2.json), `l2Book` gains nulls for its optional parameters (third-party report).
 * Null for an unknown type or a missing or mistyped parameter: the real server rejects those.
 */
export function normaliseSubscription(value: unknown): StandInSubscription | null {
  if (!isObject(value) || typeof value.type !== "string") return null;
  const required = REQUIRED_PARAMS[value.type];
  if (!required) return null;
  const subscription: StandInSubscription = { ...value, type: value.type };
  for (const param of required) {
    const given = subscription[param];
    if (typeof given !== "string" || given === "") return null;
    if (param === "user" && !ADDRESS.test(given)) return null;
  }
  if (typeof subscription.user === "string") subscription.user = subscription.user.toLowerCase();
  if (subscription.type === "userFills") subscription.aggregateByTime ??= false;
  if (subscription.type === "l2Book") {
    subscription.nSigFigs ??= null;
    subscription.mantissa ??= null;
  }
  return subscription;
}

/** Identity of a normalised subscription: the same parameters in any key order are the same channel. */
export function subscriptionIdentity(subscription: StandInSubscription): string {
  return JSON.stringify(Object.entries(subscription).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
