/**
 * A Hyperliquid stand-in on loopback: a real WebSocket and HTTP server speaking Hyperliquid's wire format,
 * for tests and for offline replays. It behaves like the real service where a monitor can tell:
 * - subscribe → ack with the normalised echo, then the snapshot the real server sends (userFills with
 *   `isSnapshot:true`, the full clearinghouseState, the last 30 trades replayed unflagged; none for
 *   orderUpdates); duplicate subscribes and bad requests → the real `error` frames; ping → pong;
 * - it closes a connection it has not written to for `idleTimeoutMs` (60 s on the real service);
 * - `/info` pages `userFillsByTime` with inclusive bounds, at most 2000 fills a response, and only the
 *   10,000 most recent fills reachable; weights are charged per IP and over the budget it answers 429.
 * Test controls push frames, drop or silence connections, and inject raw frames.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import type { WireClearinghouseState, WireFill, WireOrder, WireTrade } from "../domain/wire.ts";

export interface StandInOptions {
  idleTimeoutMs?: number;
  /** Fills in a userFills snapshot (the real size is unconfirmed; reports say ~2000). */
  snapshotSize?: number;
  /** Trades replayed on a trades subscribe. */
  tradeReplay?: number;
  weightPerMinute?: number;
  weightWindowMs?: number;
  /** Clock for what REST and snapshots can see (a replay moves it through the recording). */
  now?: () => number;
}

export type StandInSubscription = Record<string, unknown> & { type: string };

interface Client {
  socket: WebSocket;
  subscriptions: Map<string, StandInSubscription>;
  lastSentAt: number;
}

const MAX_FILLS_PER_RESPONSE = 2000;
const REACHABLE_FILLS = 10_000;
const KNOWN_TYPES = new Set([
  "userFills",
  "orderUpdates",
  "clearinghouseState",
  "trades",
  "userEvents",
  "allMids",
]);

export class HyperliquidStandIn {
  readonly #options: Required<StandInOptions>;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #clients = new Set<Client>();
  readonly #fills = new Map<string, WireFill[]>();
  readonly #states = new Map<string, WireClearinghouseState>();
  readonly #openOrders = new Map<string, WireOrder[]>();
  readonly #trades = new Map<string, WireTrade[]>();
  readonly #weightLog: { at: number; weight: number }[] = [];
  #idleTimer: NodeJS.Timeout | null = null;
  #silent = false;
  #rejectConnections = 0;
  #failRest = 0;
  /** Bodies of every `/info` request, for assertions. */
  readonly requests: Record<string, unknown>[] = [];
  weightUsed = 0;
  pingsReceived = 0;
  connectionsAccepted = 0;
  /** Called after a subscription is acknowledged (replays start delivering on it). */
  onSubscribe: ((subscription: StandInSubscription) => void) | null = null;

  constructor(options: StandInOptions = {}) {
    this.#options = {
      idleTimeoutMs: 60_000,
      snapshotSize: 2000,
      tradeReplay: 30,
      weightPerMinute: 1200,
      weightWindowMs: 60_000,
      now: () => Number.POSITIVE_INFINITY,
      ...options,
    };
    this.#http = createServer((request, response) => void this.#serveInfo(request, response));
    this.#wss = new WebSocketServer({ noServer: true });
    this.#http.on("upgrade", (request, socket, head) => {
      if (request.url !== "/ws" || this.#rejectConnections > 0) {
        this.#rejectConnections = Math.max(0, this.#rejectConnections - 1);
        socket.destroy();
        return;
      }
      this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws));
    });
  }

  async start(): Promise<{ wsUrl: string; apiUrl: string }> {
    await new Promise<void>((resolve) => this.#http.listen(0, "127.0.0.1", resolve));
    const { port } = this.#http.address() as AddressInfo;
    this.#idleTimer = setInterval(
      () => this.#closeIdle(),
      Math.max(20, Math.min(1000, this.#options.idleTimeoutMs / 4)),
    );
    this.#idleTimer.unref();
    return { wsUrl: `ws://127.0.0.1:${port}/ws`, apiUrl: `http://127.0.0.1:${port}` };
  }

  async stop(): Promise<void> {
    if (this.#idleTimer) clearInterval(this.#idleTimer);
    for (const client of this.#clients) client.socket.terminate();
    this.#clients.clear();
    this.#wss.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  // --- state and pushes ------------------------------------------------------------------------------

  /** Adds fills to the history only: visible over REST, not pushed (fills made while disconnected). */
  addFills(user: string, fills: readonly WireFill[]): void {
    const u = user.toLowerCase();
    const history = this.#fills.get(u) ?? [];
    history.push(...fills);
    history.sort((a, b) => a.time - b.time);
    this.#fills.set(u, history);
  }

  /** Adds fills to the history and pushes them to the user's userFills subscribers. */
  pushFills(user: string, fills: readonly WireFill[]): void {
    this.addFills(user, fills);
    const u = user.toLowerCase();
    this.#broadcast((sub) => sub.type === "userFills" && sub.user === u, {
      channel: "userFills",
      data: { user: u, fills },
    });
  }

  addTrades(coin: string, trades: readonly WireTrade[]): void {
    const history = this.#trades.get(coin) ?? [];
    history.push(...trades);
    this.#trades.set(coin, history.slice(-1000));
  }

  pushTrades(coin: string, trades: readonly WireTrade[]): void {
    this.addTrades(coin, trades);
    this.#broadcast((sub) => sub.type === "trades" && sub.coin === coin, { channel: "trades", data: trades });
  }

  pushOrderUpdates(user: string, orders: readonly WireOrder[]): void {
    const u = user.toLowerCase();
    this.trackOrders(u, orders);
    // The frame carries no user: only the connections that subscribed for this user get it.
    this.#broadcast((sub) => sub.type === "orderUpdates" && sub.user === u, {
      channel: "orderUpdates",
      data: orders,
    });
  }

  /** Keeps the open-orders view (for `frontendOpenOrders` and `orderStatus`) up to date. */
  trackOrders(user: string, orders: readonly WireOrder[]): void {
    const u = user.toLowerCase();
    const kept = (this.#openOrders.get(u) ?? []).filter(
      (o) => !orders.some((n) => n.order.oid === o.order.oid),
    );
    kept.push(...orders);
    this.#openOrders.set(u, kept);
  }

  setClearinghouseState(user: string, state: WireClearinghouseState, options: { push?: boolean } = {}): void {
    const u = user.toLowerCase();
    this.#states.set(u, state);
    if (options.push) {
      this.#broadcast((sub) => sub.type === "clearinghouseState" && sub.user === u, {
        channel: "clearinghouseState",
        data: { dex: "", user: u, clearinghouseState: state },
      });
    }
  }

  /** Sends a raw text frame to every connection (malformed or unknown frames for fault tests). */
  sendRaw(text: string): void {
    for (const client of this.#clients) this.#send(client, text);
  }

  hasSubscriber(match: (sub: StandInSubscription) => boolean): boolean {
    return [...this.#clients].some((client) => [...client.subscriptions.values()].some(match));
  }

  /** Sends a raw frame to the connections holding a matching subscription; returns how many got it. */
  sendTo(match: (sub: StandInSubscription) => boolean, text: string): number {
    let sent = 0;
    for (const client of this.#clients) {
      if ([...client.subscriptions.values()].some(match)) {
        this.#send(client, text);
        sent += 1;
      }
    }
    return sent;
  }

  dropConnections(): void {
    for (const client of this.#clients) client.socket.terminate();
  }

  /** Half-dead sockets: they stay open, but nothing is sent and no ping is answered. */
  setSilent(silent: boolean): void {
    this.#silent = silent;
  }

  rejectConnections(count: number): void {
    this.#rejectConnections = count;
  }

  failNextRestRequests(count: number): void {
    this.#failRest = count;
  }

  get connectionCount(): number {
    return this.#clients.size;
  }

  subscriptions(): StandInSubscription[][] {
    return [...this.#clients].map((client) => [...client.subscriptions.values()]);
  }

  fillsOf(user: string): WireFill[] {
    return [...(this.#fills.get(user.toLowerCase()) ?? [])];
  }

  // --- WebSocket -------------------------------------------------------------------------------------

  #accept(socket: WebSocket): void {
    const client: Client = { socket, subscriptions: new Map(), lastSentAt: Date.now() };
    this.#clients.add(client);
    this.connectionsAccepted += 1;
    socket.on("close", () => this.#clients.delete(client));
    socket.on("error", () => this.#clients.delete(client));
    socket.on("message", (raw) => this.#onMessage(client, String(raw)));
  }

  #onMessage(client: Client, text: string): void {
    if (this.#silent) return;
    let request: { method?: unknown; subscription?: unknown };
    try {
      request = JSON.parse(text);
    } catch {
      this.#send(client, {
        channel: "error",
        data: `Error parsing JSON into valid websocket request: ${text}`,
      });
      return;
    }
    if (request.method === "ping") {
      this.pingsReceived += 1;
      this.#send(client, { channel: "pong" });
      return;
    }
    const sub = normalise(request.subscription);
    if ((request.method !== "subscribe" && request.method !== "unsubscribe") || !sub) {
      this.#send(client, {
        channel: "error",
        data: `Error parsing JSON into valid websocket request: ${text}`,
      });
      return;
    }
    const key = JSON.stringify(sub);
    if (request.method === "unsubscribe") {
      if (!client.subscriptions.delete(key))
        this.#send(client, { channel: "error", data: `Already unsubscribed: ${text}` });
      else
        this.#send(client, {
          channel: "subscriptionResponse",
          data: { method: "unsubscribe", subscription: sub },
        });
      return;
    }
    if (client.subscriptions.has(key)) {
      this.#send(client, { channel: "error", data: `Already subscribed: ${text}` });
      return;
    }
    client.subscriptions.set(key, sub);
    this.#send(client, { channel: "subscriptionResponse", data: { method: "subscribe", subscription: sub } });
    this.#sendSnapshot(client, sub);
    this.onSubscribe?.(sub);
  }

  #sendSnapshot(client: Client, sub: StandInSubscription): void {
    const user = typeof sub.user === "string" ? sub.user : "";
    if (sub.type === "userFills") {
      const fills = this.#visibleFills(user).slice(-this.#options.snapshotSize).reverse();
      this.#send(client, { channel: "userFills", data: { isSnapshot: true, user, fills } });
    } else if (sub.type === "clearinghouseState") {
      const state = this.#states.get(user);
      if (state)
        this.#send(client, {
          channel: "clearinghouseState",
          data: { dex: "", user, clearinghouseState: state },
        });
    } else if (sub.type === "trades") {
      const trades = (this.#trades.get(String(sub.coin)) ?? []).slice(-this.#options.tradeReplay);
      if (trades.length > 0) this.#send(client, { channel: "trades", data: trades });
    }
  }

  #broadcast(match: (sub: StandInSubscription) => boolean, frame: unknown): void {
    this.sendTo(match, JSON.stringify(frame));
  }

  #send(client: Client, frame: unknown): void {
    if (this.#silent || client.socket.readyState !== client.socket.OPEN) return;
    client.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
    client.lastSentAt = Date.now();
  }

  #closeIdle(): void {
    const now = Date.now();
    for (const client of this.#clients) {
      if (now - client.lastSentAt > this.#options.idleTimeoutMs) client.socket.close(1000, "idle");
    }
  }

  // --- REST ------------------------------------------------------------------------------------------

  #visibleFills(user: string): WireFill[] {
    const now = this.#options.now();
    return (this.#fills.get(user) ?? []).filter((fill) => fill.time <= now);
  }

  async #serveInfo(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method !== "POST" || request.url !== "/info") return reply(response, 404, "Not Found");
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return reply(response, 422, "Failed to deserialize the JSON body into the target type");
    }
    this.requests.push(body);
    if (this.#failRest > 0) {
      this.#failRest -= 1;
      return reply(response, 500, "Internal Server Error");
    }
    const user = typeof body.user === "string" ? body.user.toLowerCase() : "";
    let result: unknown;
    let weight = 20;
    let items = 0;
    switch (body.type) {
      case "userFillsByTime": {
        const start = Number(body.startTime ?? 0);
        const end = body.endTime === undefined ? Number.POSITIVE_INFINITY : Number(body.endTime);
        const reachable = this.#visibleFills(user).slice(-REACHABLE_FILLS);
        const page = reachable
          .filter((f) => f.time >= start && f.time <= end)
          .slice(0, MAX_FILLS_PER_RESPONSE);
        result = page;
        items = page.length;
        break;
      }
      case "userFills": {
        const page = this.#visibleFills(user).slice(-MAX_FILLS_PER_RESPONSE).reverse();
        result = page;
        items = page.length;
        break;
      }
      case "clearinghouseState":
        weight = 2;
        result = this.#states.get(user) ?? emptyState();
        break;
      case "openOrders":
      case "frontendOpenOrders":
        result = (this.#openOrders.get(user) ?? []).filter((o) => o.status === "open").map((o) => o.order);
        break;
      case "orderStatus": {
        weight = 2;
        const found = (this.#openOrders.get(user) ?? []).find((o) => o.order.oid === body.oid);
        result = found ? { status: "order", order: found } : { status: "unknownOid" };
        break;
      }
      case "recentTrades": {
        const trades = (this.#trades.get(String(body.coin)) ?? []).slice(-this.#options.tradeReplay);
        result = trades;
        items = trades.length;
        break;
      }
      default:
        return reply(response, 422, "Failed to deserialize the JSON body into the target type");
    }
    if (!this.#chargeWeight(weight + Math.floor(items / 20)))
      return reply(response, 429, '{"error":"rate limited"}');
    reply(response, 200, JSON.stringify(result), "application/json");
  }

  #chargeWeight(weight: number): boolean {
    const now = Date.now();
    while (this.#weightLog.length > 0 && now - this.#weightLog[0]!.at > this.#options.weightWindowMs) {
      this.#weightLog.shift();
    }
    const used = this.#weightLog.reduce((sum, entry) => sum + entry.weight, 0);
    if (used + weight > this.#options.weightPerMinute) return false;
    this.#weightLog.push({ at: now, weight });
    this.weightUsed += weight;
    return true;
  }
}

/** The server's normalised echo: user lower-cased, userFills gains `aggregateByTime:false`. */
function normalise(value: unknown): StandInSubscription | null {
  if (typeof value !== "object" || value === null) return null;
  const sub = { ...(value as Record<string, unknown>) };
  if (typeof sub.type !== "string" || !KNOWN_TYPES.has(sub.type)) return null;
  if (typeof sub.user === "string") sub.user = sub.user.toLowerCase();
  if (sub.type === "userFills") sub.aggregateByTime = sub.aggregateByTime ?? false;
  return sub as StandInSubscription;
}

function emptyState(): WireClearinghouseState {
  const zero = { accountValue: "0.0", totalNtlPos: "0.0", totalRawUsd: "0.0", totalMarginUsed: "0.0" };
  return {
    marginSummary: zero,
    crossMarginSummary: zero,
    crossMaintenanceMarginUsed: "0.0",
    withdrawable: "0.0",
    assetPositions: [],
    time: Date.now(),
  };
}

function reply(response: ServerResponse, status: number, body: string, type = "text/plain"): void {
  response.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  response.end(body);
}
