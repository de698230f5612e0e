/**
 * A Hyperliquid stand-in on loopback: one HTTP server on 127.0.0.1 serving `POST /info` and WebSocket
 * upgrades on `/ws`, speaking Hyperliquid's wire format (PROTOCOL.md), for the tests and for `--replay`.
 * It behaves like the real service wherever a monitor can tell:
 * - subscribe → ack with the normalised echo, then the snapshot the real server sends: userFills with
 *   `isSnapshot:true` (newest fills first, up to `snapshotSize`), the full clearinghouseState, the last 30
 *   trades of the coin replayed unflagged with their original tids; nothing for orderUpdates. Bad
 *   requests, duplicate subscribes and unknown unsubscribes get the real `error` frames; ping → pong;
 *   more than 10 users or 1000 subscriptions per IP are refused with the real error texts, more than 2000
 *   messages a minute per IP with an error frame of ours (the refusal is undocumented; PROTOCOL.md §6);
 * - more than 10 open connections, or 30 new connections within a minute, from one IP are refused at the
 *   upgrade with HTTP 429 (the limits are documented, the form of the refusal is not: see #connectionRefusal);
 * - it closes a connection it has not sent anything to for `idleTimeoutMs` (60 s on the real service);
 * - perp dexes (HIP-3): a clearinghouseState per user and dex; subscriptions and `/info` requests with
 *   `dex` get that dex's state or orders, without it the default dex's only; `perpDexs` lists the dexes;
 * - it re-pushes every clearinghouseState subscription's full state every `statePushIntervalMs` (~4 s on
 *   the real service, PROTOCOL.md §2.1), the flat account for a user it knows nothing about (as REST does);
 * - `/info` answers `meta` from the perpetuals it lists (the real sample's universe, plus what tests list
 *   and every coin it holds trades or fills of);
 * - `/info` pages fills with inclusive bounds, at most 2000 per answer, only the 10,000 most recent
 *   reachable, and charges request weights per client IP over a rolling window, answering 429 beyond it.
 * Test controls push live frames, add history without pushing, drop, silence or refuse connections, delay,
 * swallow or refuse subscribes, inject raw frames and failing REST answers.
 *
 * Simplifications: a user it knows no state for gets no clearinghouseState snapshot (REST answers a flat
 * account); only the four channels a monitor consumes carry data; `post` answers info requests only.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import type { WireClearinghouseState, WireFill, WireOrder, WireTrade } from "../domain/wire.ts";
import type { WireFunding } from "../hyperliquid/info/userFunding.ts";
import {
  type ClientRequest,
  parseClientRequest,
  type StandInSubscription,
  subscriptionIdentity,
} from "./clientRequests.ts";
import { ExchangeRecords } from "./exchangeRecords.ts";
import { answerInfo, flatAccount } from "./infoAnswers.ts";
import { InfoEndpoint } from "./infoEndpoint.ts";
import {
  ackFrame,
  clearinghouseStateFrame,
  errorFrame,
  errorText,
  orderUpdatesFrame,
  pongFrame,
  postFrame,
  tradesFrame,
  userFillsFrame,
} from "./serverFrames.ts";
import { type ConnectionView, StandInConnection } from "./standInConnection.ts";
import type { ListedAsset } from "./universe.ts";

export type { StandInSubscription } from "./clientRequests.ts";
export type { ConnectionView } from "./standInConnection.ts";

export interface StandInOptions {
  /** Closes a connection it has sent nothing to for this long (real service: 60 s). */
  idleTimeoutMs?: number;
  /** Fills in a userFills snapshot (the real size is unconfirmed; reports say ~2000). */
  snapshotSize?: number;
  /** Trades replayed on a trades subscribe (and answered by `recentTrades`). */
  tradeReplay?: number;
  /** REST weight allowed per client IP within `weightWindowMs` (real service: 1200 per minute). */
  weightPerMinute?: number;
  weightWindowMs?: number;
  /** Distinct users in user subscriptions per IP (DOCS: 10). */
  maxUsersPerIp?: number;
  /** Subscriptions per IP (DOCS rate-limits-and-user-limits, PROTOCOL.md §6 lines 229–230: 1000). */
  maxSubscriptionsPerIp?: number;
  /** Open WebSocket connections per IP (DOCS rate-limits-and-user-limits: 10). */
  maxConnectionsPerIp?: number;
  /**
   * Messages a client IP may send within `messageWindowMs` (DOCS rate-limits-and-user-limits, PROTOCOL.md
   * §6 lines 230–231: 2000 per minute across all connections).
   */
  maxMessagesPerWindow?: number;
  messageWindowMs?: number;
  /**
   * The default dex's perpetuals in `meta` before a test lists more (default: samples/info-meta-1.json's
   * 28; tests of the whole market pass the mainnet universe of ws-webData2-frames-1.json, 199 with 28 delisted).
   */
  universe?: readonly ListedAsset[];
  /** New WebSocket connections per IP within `newConnectionWindowMs` (DOCS: 30 per minute). */
  maxNewConnectionsPerWindow?: number;
  newConnectionWindowMs?: number;
  /** Exchange time up to which fills and trades exist (a replay moves it; default: everything). */
  visibleUntil?: () => number;
  /** Whether the stand-in sends its own snapshot after acking this subscription (a replay sends recorded ones). */
  sendsSnapshot?: (subscription: StandInSubscription) => boolean;
  /**
   * Re-pushes each clearinghouseState subscription's full state this often; 0 turns it off (a replay sends
   * the recorded re-pushes). PROTOCOL.md §2.1: full snapshots re-pushed every ~4 s (3P).
   */
  statePushIntervalMs?: number;
}

/**
 * What the stand-in does with a subscribe instead of acking it at once (test control, see `faultSubscribes`):
 * - `delay`: the subscription is held at once (data flows) but the ack and the snapshot come `ms` later,
 *   as from a loaded server; a repeat in between gets the real `Already subscribed: {…}` error;
 * - `never`: the request is lost: no ack, no error, not subscribed;
 * - `refuse`: the real `{"channel":"error","data":"<text>"}` answer (samples/ws-error-1.json), not subscribed.
 */
export type SubscribeFault =
  | { kind: "delay"; ms: number }
  | { kind: "never" }
  | { kind: "refuse"; text: string };

export interface StandInUrls {
  /** `ws://127.0.0.1:<port>/ws` */
  wsUrl: string;
  /** `http://127.0.0.1:<port>`: clients post to `${apiUrl}/info`. */
  apiUrl: string;
}

type SubscriptionMatch = (subscription: StandInSubscription) => boolean;

export class HyperliquidStandIn {
  readonly #options: Required<Omit<StandInOptions, "visibleUntil" | "sendsSnapshot" | "universe">> &
    Pick<StandInOptions, "sendsSnapshot">;
  readonly #records: ExchangeRecords;
  readonly #info: InfoEndpoint;
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #connections = new Map<number, StandInConnection>();
  #nextConnectionId = 1;
  #silent = false;
  #connectionsToReject = 0;
  readonly #subscribeFaults = new Map<string, { fault: SubscribeFault; remaining: number }>();
  readonly #pendingAcks = new Set<NodeJS.Timeout>();
  #statePushTimer: NodeJS.Timeout | null = null;
  #started = false;
  /** Connections accepted since start (reconnects show up here). */
  connectionsAccepted = 0;
  connectionsRejected = 0;
  /** Upgrades refused by the per-IP connection limits (open connections, new connections per window). */
  connectionsRefusedByLimit = 0;
  /** Accepted upgrades' times per IP, within the new-connection window. */
  readonly #recentConnections = new Map<string, number[]>();
  /** `{"method":"ping"}` frames received, answered or not. */
  pingsReceived = 0;
  /** Client messages' times per IP, within the message window. */
  readonly #recentMessages = new Map<string, number[]>();
  /** Most messages one IP sent within one message window, and messages refused over the limit. */
  peakMessagesPerWindow = 0;
  messagesOverLimit = 0;
  /** Most subscriptions one IP held at once. */
  peakSubscriptionsPerIp = 0;

  constructor(options: StandInOptions = {}) {
    this.#options = {
      idleTimeoutMs: 60_000,
      snapshotSize: 2000,
      tradeReplay: 30,
      weightPerMinute: 1200,
      weightWindowMs: 60_000,
      maxUsersPerIp: 10,
      maxSubscriptionsPerIp: 1000,
      statePushIntervalMs: 4_000,
      maxConnectionsPerIp: 10,
      maxNewConnectionsPerWindow: 30,
      newConnectionWindowMs: 60_000,
      maxMessagesPerWindow: 2000,
      messageWindowMs: 60_000,
      ...withoutUndefined(options),
    };
    this.#records = new ExchangeRecords(options.visibleUntil, options.universe);
    this.#info = new InfoEndpoint(this.#records, {
      weightLimit: this.#options.weightPerMinute,
      weightWindowMs: this.#options.weightWindowMs,
      recentTrades: this.#options.tradeReplay,
    });
    this.#http = createServer((request, response) => {
      // A client that hangs up mid-request fails the read: end the exchange, keep serving.
      this.#info.handle(request, response).catch(() => response.destroy());
    });
    this.#http.on("upgrade", (request, socket: Socket, head) => {
      if (request.url !== "/ws") return refuseUpgrade(socket, 404, "Not Found");
      if (this.#connectionsToReject > 0) {
        this.#connectionsToReject -= 1;
        this.connectionsRejected += 1;
        return refuseUpgrade(socket, 503, "Service Unavailable");
      }
      const remoteAddress = request.socket.remoteAddress ?? "unknown";
      if (this.#connectionRefusal(remoteAddress)) {
        this.connectionsRefusedByLimit += 1;
        return refuseUpgrade(socket, 429, "Too Many Requests");
      }
      this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, remoteAddress));
    });
  }

  async start(): Promise<StandInUrls> {
    if (this.#started) throw new Error("the stand-in is already started");
    this.#started = true;
    await new Promise<void>((resolve, reject) => {
      this.#http.once("error", reject);
      this.#http.listen(0, "127.0.0.1", () => {
        this.#http.off("error", reject);
        resolve();
      });
    });
    const { port } = this.#http.address() as AddressInfo;
    if (this.#options.statePushIntervalMs > 0) {
      this.#statePushTimer = setInterval(() => this.#pushStates(), this.#options.statePushIntervalMs);
      this.#statePushTimer.unref();
    }
    return { wsUrl: `ws://127.0.0.1:${port}/ws`, apiUrl: `http://127.0.0.1:${port}` };
  }

  /** Ends every connection and the server; leaves no handle behind. */
  async stop(): Promise<void> {
    if (this.#statePushTimer) clearInterval(this.#statePushTimer);
    this.#statePushTimer = null;
    for (const timer of this.#pendingAcks) clearTimeout(timer);
    this.#pendingAcks.clear();
    for (const connection of this.#connections.values()) connection.terminate();
    this.#connections.clear();
    this.#wss.close();
    if (!this.#started) return;
    this.#started = false;
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  // --- history and live pushes ------------------------------------------------------------------------

  /** Adds fills to the history only: visible over REST and in later snapshots, never pushed. */
  addFills(user: string, fills: readonly WireFill[]): void {
    this.#records.addFills(user, fills);
  }

  /** Adds fills to the history and pushes them to the connections subscribed to the user's userFills. */
  pushFills(user: string, fills: readonly WireFill[]): number {
    const u = user.toLowerCase();
    this.#records.addFills(u, fills);
    return this.sendTo((s) => s.type === "userFills" && s.user === u, userFillsFrame(u, fills, false));
  }

  /** Adds funding payments (`userFunding` items, samples/info-userFunding-1.json) to the history. */
  addFunding(user: string, payments: readonly WireFunding[]): void {
    this.#records.addFunding(user, payments);
  }

  addTrades(coin: string, trades: readonly WireTrade[]): void {
    this.#records.addTrades(coin, trades);
  }

  pushTrades(coin: string, trades: readonly WireTrade[]): number {
    this.#records.addTrades(coin, trades);
    return this.sendTo((s) => s.type === "trades" && s.coin === coin, tradesFrame(trades));
  }

  /** Records orders' latest statuses (REST `openOrders`, `orderStatus`, `historicalOrders`), no push. */
  addOrders(user: string, orders: readonly WireOrder[]): void {
    this.#records.addOrders(user, orders);
  }

  /** Records and pushes order updates to the connections that subscribed orderUpdates for this user. */
  pushOrderUpdates(user: string, orders: readonly WireOrder[]): number {
    const u = user.toLowerCase();
    this.#records.addOrders(u, orders);
    return this.sendTo((s) => s.type === "orderUpdates" && s.user === u, orderUpdatesFrame(orders));
  }

  /**
   * Sets the user's state on one perp dex (`dex`, default `""`: the default dex; a named dex then also
   * exists for `perpDexs`), pushed to the subscriptions for that user and dex if `push`.
   */
  setClearinghouseState(
    user: string,
    state: WireClearinghouseState,
    options: { push?: boolean; dex?: string } = {},
  ): void {
    const u = user.toLowerCase();
    const dex = options.dex ?? "";
    this.#records.setState(u, state, dex);
    if (options.push) {
      this.sendTo(
        (s) => s.type === "clearinghouseState" && s.user === u && subscribedDex(s) === dex,
        clearinghouseStateFrame(u, state, dex),
      );
    }
  }

  /** Makes a builder-deployed perp dex exist (listed by `perpDexs`) without any state on it. */
  addPerpDex(name: string): void {
    this.#records.addPerpDex(name);
  }

  /** The user's account abstraction mode, as REST `userAbstraction` answers it (default "default"). */
  setAccountMode(user: string, mode: string): void {
    this.#records.setAccountMode(user, mode);
  }

  /** Lists perpetuals in `meta` (default dex unless `dex`), or re-lists them (e.g. `isDelisted: true`). */
  listAssets(assets: readonly ListedAsset[], options: { dex?: string } = {}): void {
    this.#records.listAssets(assets, options.dex ?? "");
  }

  /** Every fill of the user the stand-in holds, oldest first, regardless of `visibleUntil`. */
  fillsOf(user: string): WireFill[] {
    return this.#records.allFills(user);
  }

  // --- raw frames and faults ----------------------------------------------------------------------------

  /** Sends a text frame as is to every connection (malformed or unknown frames for fault tests). */
  sendRaw(text: string): number {
    let sent = 0;
    for (const connection of this.#connections.values()) if (connection.send(text)) sent += 1;
    return sent;
  }

  /** Sends a text frame as is to the connections holding a matching subscription; returns how many. */
  sendTo(match: SubscriptionMatch, text: string): number {
    let sent = 0;
    for (const connection of this.#connections.values()) {
      if (connection.hasSubscription(match) && connection.send(text)) sent += 1;
    }
    return sent;
  }

  /** Sends a text frame as is to one connection (by `ConnectionView.id`); false if gone or silenced. */
  sendToConnection(id: number, text: string): boolean {
    return this.#connections.get(id)?.send(text) ?? false;
  }

  hasSubscriber(match: SubscriptionMatch): boolean {
    for (const connection of this.#connections.values()) if (connection.hasSubscription(match)) return true;
    return false;
  }

  /**
   * Terminates sockets abruptly (no close frame), all or those `which` selects. They leave
   * `connectionCount` at once, so a reconnect is never mistaken for the dropped socket.
   */
  dropConnections(which: (connection: ConnectionView) => boolean = () => true): number {
    let dropped = 0;
    for (const connection of [...this.#connections.values()]) {
      if (!which(connection.view())) continue;
      this.#connections.delete(connection.id);
      connection.terminate();
      dropped += 1;
    }
    return dropped;
  }

  /** Half-dead sockets: they stay open, but nothing is sent (no acks, pongs, pushes) and no idle close. */
  setSilent(silent: boolean): void {
    this.#silent = silent;
  }

  /** Refuses the next `count` WebSocket upgrades with HTTP 503. */
  rejectConnections(count: number): void {
    this.#connectionsToReject = Math.max(0, Math.floor(count));
  }

  /**
   * The next `count` subscribes of this subscription type (e.g. `userFills`) meet `fault` instead of an
   * immediate ack; a later call for the same type replaces the rule. Retries count as subscribes too.
   */
  faultSubscribes(type: string, fault: SubscribeFault, count = 1): void {
    this.#subscribeFaults.set(type, { fault, remaining: Math.max(0, Math.floor(count)) });
  }

  /** The next `count` `/info` requests fail with HTTP 500. */
  failNextRestRequests(count: number): void {
    this.#info.failNext(count);
  }

  // --- observability --------------------------------------------------------------------------------------

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** The subscriptions of each open connection. */
  subscriptions(): StandInSubscription[][] {
    return [...this.#connections.values()].map((connection) => connection.view().subscriptions);
  }

  connections(): ConnectionView[] {
    return [...this.#connections.values()].map((connection) => connection.view());
  }

  /** Every `/info` body received, in order. */
  get requests(): Record<string, unknown>[] {
    return this.#info.requests;
  }

  /** Answered `/info` requests with their weight, time and client IP, in order. */
  get charges(): readonly { at: number; client: string; body: Record<string, unknown>; weight: number }[] {
    return this.#info.charges;
  }

  /** REST weight charged for answered requests since start. */
  get weightUsed(): number {
    return this.#info.weightUsed;
  }

  /** `/info` requests refused with 429. */
  get rateLimitedCount(): number {
    return this.#info.rateLimitedCount;
  }

  // --- WebSocket ------------------------------------------------------------------------------------------

  #accept(socket: WebSocket, remoteAddress: string): void {
    const connection = new StandInConnection(socket, {
      id: this.#nextConnectionId++,
      remoteAddress,
      idleTimeoutMs: this.#options.idleTimeoutMs,
      isSilent: () => this.#silent,
    });
    this.#connections.set(connection.id, connection);
    this.connectionsAccepted += 1;
    const forget = () => {
      connection.dispose();
      this.#connections.delete(connection.id);
    };
    socket.on("close", forget);
    socket.on("error", forget);
    socket.on("message", (data, isBinary) => {
      if (!isBinary) this.#onRequest(connection, String(data));
    });
  }

  #onRequest(connection: StandInConnection, text: string): void {
    const request = parseClientRequest(text);
    if (request.method === "ping") this.pingsReceived += 1;
    if (this.#silent) return;
    if (this.#overMessageLimit(connection.remoteAddress)) {
      // DOCS rate-limits-and-user-limits: max 2000 messages sent to Hyperliquid per minute across all
      // websocket connections (per IP). How the server refuses one is undocumented: an error frame here.
      this.messagesOverLimit += 1;
      connection.send(errorFrame(errorText.tooManyMessages(this.#options.maxMessagesPerWindow)));
      return;
    }
    switch (request.method) {
      case "ping":
        connection.send(pongFrame());
        return;
      case "unparseable":
        connection.send(errorFrame(errorText.unparseable(text)));
        return;
      case "post":
        connection.send(this.#answerPost(request));
        return;
      case "unsubscribe": {
        const removed = connection.subscriptions.delete(subscriptionIdentity(request.subscription));
        connection.send(
          removed
            ? ackFrame("unsubscribe", request.subscription)
            : errorFrame(errorText.alreadyUnsubscribed(request.subscription)),
        );
        return;
      }
      case "subscribe":
        this.#subscribe(connection, request.subscription);
        return;
    }
  }

  #subscribe(connection: StandInConnection, subscription: StandInSubscription): void {
    const identity = subscriptionIdentity(subscription);
    if (connection.subscriptions.has(identity)) {
      connection.send(errorFrame(errorText.alreadySubscribed(subscription)));
      return;
    }
    const refusal = this.#limitRefusal(connection, subscription);
    if (refusal) {
      connection.send(errorFrame(refusal));
      return;
    }
    const fault = this.#takeSubscribeFault(subscription.type);
    if (fault?.kind === "never") return;
    if (fault?.kind === "refuse") {
      connection.send(errorFrame(fault.text));
      return;
    }
    connection.subscriptions.set(identity, subscription);
    this.peakSubscriptionsPerIp = Math.max(
      this.peakSubscriptionsPerIp,
      this.#subscriptionsOf(connection.remoteAddress),
    );
    const acknowledge = () => {
      connection.send(ackFrame("subscribe", subscription));
      if (this.#options.sendsSnapshot?.(subscription) ?? true) this.#sendSnapshot(connection, subscription);
    };
    if (fault?.kind !== "delay") {
      acknowledge();
      return;
    }
    const timer = setTimeout(() => {
      this.#pendingAcks.delete(timer);
      if (connection.subscriptions.get(identity) === subscription) acknowledge();
    }, fault.ms);
    this.#pendingAcks.add(timer);
  }

  #takeSubscribeFault(type: string): SubscribeFault | null {
    const rule = this.#subscribeFaults.get(type);
    if (!rule || rule.remaining <= 0) return null;
    rule.remaining -= 1;
    return rule.fault;
  }

  /** The real server's periodic full-state re-push (PROTOCOL.md §2.1: every ~4 s). */
  #pushStates(): void {
    for (const connection of this.#connections.values()) {
      for (const subscription of connection.subscriptions.values()) {
        if (subscription.type !== "clearinghouseState" || typeof subscription.user !== "string") continue;
        const user = subscription.user;
        const dex = subscribedDex(subscription);
        const state = this.#records.state(user, dex) ?? flatAccount(this.#records.horizon);
        connection.send(clearinghouseStateFrame(user, state, dex));
      }
    }
  }

  /**
   * The real server's per-IP connection limits (PROTOCOL.md §6), checked at the upgrade; records the
   * attempt when it is accepted. Assumption: the real server refuses an over-limit upgrade with HTTP 429
   * like an over-limit REST request (the docs give only the numbers; it might as well accept and close).
   * The monitor's handling does not depend on the form: any failed or closed socket is retried through
   * its connection gate (runtime/connectionGate.ts).
   */
  #connectionRefusal(remoteAddress: string): boolean {
    // DOCS rate-limits-and-user-limits: max 10 websocket connections (per IP)
    let open = 0;
    for (const connection of this.#connections.values()) {
      if (connection.remoteAddress === remoteAddress) open += 1;
    }
    if (open >= this.#options.maxConnectionsPerIp) return true;
    // DOCS rate-limits-and-user-limits: max 30 new websocket connections per minute (per IP)
    const now = Date.now();
    const recent = (this.#recentConnections.get(remoteAddress) ?? []).filter(
      (at) => at > now - this.#options.newConnectionWindowMs,
    );
    this.#recentConnections.set(remoteAddress, recent);
    if (recent.length >= this.#options.maxNewConnectionsPerWindow) return true;
    recent.push(now);
    return false;
  }

  /** Counts a client message; true when it is over the per-IP message limit (not counted then). */
  #overMessageLimit(remoteAddress: string): boolean {
    const now = Date.now();
    const recent = (this.#recentMessages.get(remoteAddress) ?? []).filter(
      (at) => at > now - this.#options.messageWindowMs,
    );
    this.#recentMessages.set(remoteAddress, recent);
    if (recent.length >= this.#options.maxMessagesPerWindow) return true;
    recent.push(now);
    this.peakMessagesPerWindow = Math.max(this.peakMessagesPerWindow, recent.length);
    return false;
  }

  #subscriptionsOf(remoteAddress: string): number {
    let count = 0;
    for (const c of this.#connections.values())
      if (c.remoteAddress === remoteAddress) count += c.subscriptions.size;
    return count;
  }

  /** The real server's per-IP limits on distinct users and subscriptions (PROTOCOL.md §6). */
  #limitRefusal(connection: StandInConnection, subscription: StandInSubscription): string | null {
    const sameIp = [...this.#connections.values()].filter(
      (c) => c.remoteAddress === connection.remoteAddress,
    );
    const subscriptions = sameIp.reduce((sum, c) => sum + c.subscriptions.size, 0);
    if (subscriptions >= this.#options.maxSubscriptionsPerIp) {
      return errorText.tooManySubscriptions(this.#options.maxSubscriptionsPerIp);
    }
    if (typeof subscription.user === "string") {
      const users = new Set(sameIp.flatMap((c) => [...c.users()]));
      if (!users.has(subscription.user) && users.size >= this.#options.maxUsersPerIp) {
        return errorText.tooManyUsers(this.#options.maxUsersPerIp);
      }
    }
    return null;
  }

  #sendSnapshot(connection: StandInConnection, subscription: StandInSubscription): void {
    const user = typeof subscription.user === "string" ? subscription.user : "";
    switch (subscription.type) {
      case "userFills": {
        // Newest first, like REST userFills (the order of the WS snapshot is unconfirmed).
        // `slice(-0)` would be the whole history: a snapshot size of 0 sends an empty snapshot.
        const size = this.#options.snapshotSize;
        const fills = size > 0 ? this.#records.visibleFills(user).slice(-size).reverse() : [];
        connection.send(userFillsFrame(user, fills, true));
        return;
      }
      case "clearinghouseState": {
        // One dex per subscription; without `dex` the default dex (DOCS websocket/subscriptions).
        const dex = subscribedDex(subscription);
        const state = this.#records.state(user, dex);
        if (state) connection.send(clearinghouseStateFrame(user, state, dex));
        return;
      }
      case "trades": {
        // Oldest first, unflagged, original tids (CAP-T: exactly 30 on every subscribe).
        const trades = this.#records
          .visibleTrades(String(subscription.coin))
          .slice(-this.#options.tradeReplay);
        if (trades.length > 0) connection.send(tradesFrame(trades));
        return;
      }
      default:
        return; // orderUpdates and the rest: no snapshot
    }
  }

  /** WebSocket `post` (PROTOCOL.md §2): info requests answered like `/info`, without charging weight. */
  #answerPost(request: Extract<ClientRequest, { method: "post" }>): string {
    if (request.request.type !== "info") {
      return postFrame(request.id, { type: "error", payload: "the stand-in answers info requests only" });
    }
    const payload = request.request.payload;
    const answer = answerInfo(payload, this.#records, { recentTrades: this.#options.tradeReplay });
    if (answer.status !== 200) return postFrame(request.id, { type: "error", payload: answer.text });
    const type = String((payload as { type: unknown }).type);
    return postFrame(request.id, { type: "info", payload: { type, data: answer.result } });
  }
}

/** The perp dex a subscription names; `""` (the default dex) when it names none. */
function subscribedDex(subscription: StandInSubscription): string {
  return typeof subscription.dex === "string" ? subscription.dex : "";
}

/** Answers a refused upgrade with a plain HTTP status and closes the socket. */
function refuseUpgrade(socket: Socket, status: number, text: string): void {
  socket.on("error", () => {}); // a client that already gave up must not crash the server
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
