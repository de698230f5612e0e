/**
 * One WebSocket to Hyperliquid, kept open forever.
 *
 * The socket is the reconnecting WebSocket the Hyperliquid SDK itself is built on (@nktkas/rews):
 * reconnect with jittered backoff and no retry limit, listeners kept across sockets. On it, the
 * connection does the rest itself: one path parses, validates, counts and records every frame, the same
 * in live, recorded and replayed runs, and tells the keep-alive watchdog (keepAlive.ts) of pongs.
 *
 * The SDK's WebSocketTransport is not used: it parses every frame a second time for its own event
 * dispatch (as much CPU as our whole trade path, and as much garbage), and its subscription manager
 * drops a subscription that is refused or not acknowledged within its timeout for good (and forgets a
 * first subscribe that fails): the account would then get fills only from the backfill at the next
 * socket replacement. So the subscriptions' lifecycle is ours, and says exactly what happens:
 * - every subscription is sent on every open, and re-sent on the same socket until acknowledged: after
 *   `ackTimeoutMs` (doubling) when the server says nothing, after a backoff when it refuses;
 * - an ack is matched with `subscriptionKey` (the server normalises its echo), and so is the server's
 *   `Already subscribed: {…}` error: the server holds the subscription, which is what an ack says;
 * - other error frames name no subscription except in their text: `Error parsing JSON into valid
 *   websocket request: <request>` names it; `Cannot track more than 10 total users.` concerns the user
 *   subscriptions awaiting an answer; any other text concerns every subscription awaiting one.
 *
 * Readiness is per connection: open, every subscription acknowledged since the last open, and a data
 * frame (not a pong, ack or error) received within the caller's maximum age.
 */
import { ReconnectingWebSocket } from "@nktkas/rews";
import { classifyFrame, type Frame } from "../hyperliquid/frames.ts";
import type { Logger } from "../telemetry/logger.ts";
import { connectFailureCause, describeEndpoint, watchConnectFailures } from "./connectFailures.ts";
import { type ConnectionGate, type ConnectionSlot, processConnectionGate } from "./connectionGate.ts";
import { KeepAlive } from "./keepAlive.ts";
import { type MessagePacer, processMessagePacer } from "./messagePacer.ts";

/** A subscription as sent to the server (`{type, user?, coin?, ...}`). */
export type SubscriptionPayload = { type: string } & Record<string, unknown>;

/** A connection attempt that never opened. */
export interface ConnectFailure {
  /** `host:port/path`, never credentials or a query string. */
  endpoint: string;
  /** ECONNREFUSED, ENOTFOUND, a TLS error code, `HTTP 503`, or `unknown`. */
  error: string;
  /** Attempts failed in a row so far. */
  attempts: number;
}

/** What `/ready` shows for one connection. */
export interface ConnectionReadiness {
  label: string;
  ready: boolean;
  open: boolean;
  acknowledged: boolean;
  /** Age of the newest data frame received on the current socket (null: none yet). */
  lastDataAgeMs: number | null;
  /** Age of the newest frame of any kind, pongs included. */
  lastFrameAgeMs: number | null;
  /** Subscriptions not acknowledged, with the server's last answer. */
  unacknowledged: { subscription: string; answer: string | null }[];
}

/** A subscription not acknowledged on an open socket since `since`, as the alerts see it. */
export interface SubscriptionHealth {
  key: string;
  /** `orderUpdates`, `trades BTC`: what an operator recognises. */
  name: string;
  /** Since when it has been awaiting an ack on an open socket; null while acknowledged. */
  pendingSince: number | null;
  answer: string | null;
}

export interface FeedConnectionOptions {
  /** Names the connection in logs and recordings; for account connections, the account address. */
  label: string;
  url: string;
  logger: Logger;
  /** Ping interval and pong timeout. Hyperliquid closes a socket it has not written to for 60 s. */
  keepAlive?: { intervalMs: number; timeoutMs: number };
  /** Backoff bounds for reconnecting (full jitter between 0 and the exponential bound). */
  reconnect?: { baseDelayMs: number; maxDelayMs: number };
  /** A subscribe the server has not answered this long is sent again; the wait doubles per attempt. */
  ackTimeoutMs?: number;
  /** Backoff bounds for re-sending a refused subscribe (equal jitter); also caps the doubled ack wait. */
  resubscribe?: { baseDelayMs: number; maxDelayMs: number };
  /** Where every (re)connect waits for a slot under the per-IP limits; default: the process-wide gate. */
  gate?: ConnectionGate;
  /** Where every (un)subscribe waits under the per-IP message limit; default: the process-wide pacer. */
  pacer?: MessagePacer;
  /** How to match an ack to a subscription; the server normalises the echo, so not by bytes. */
  subscriptionKey: (subscription: Record<string, unknown>) => string;
  /** Every frame, with its classification (control frames have been acted on already). */
  onFrame: (text: string, receivedAt: number, frame: Frame) => void;
  onOpen: (reconnect: boolean) => void;
  onClose: () => void;
  /** An attempt that never opened (refused, DNS, TLS, timeout); it is a reconnect attempt too. */
  onConnectFailed?: (failure: ConnectFailure) => void;
}

interface SubscriptionState {
  key: string;
  payload: SubscriptionPayload;
  acknowledged: boolean;
  /** Sent on this socket and neither acknowledged nor refused yet. */
  awaitingAnswer: boolean;
  /** Waiting in the pacer for its turn to be sent. */
  queued: boolean;
  /** Sends on the current socket since its open. */
  attempts: number;
  timer: NodeJS.Timeout | null;
  pendingSince: number | null;
  answer: string | null;
}

/** Failed attempts in a row are logged once, then once a minute or every 100th, with the count. */
const FAILURE_LOG_INTERVAL_MS = 60_000;
const FAILURE_LOG_EVERY = 100;
const DATA_FRAMES = new Set<Frame["kind"]>(["userFills", "trades", "orderUpdates", "clearinghouseState"]);
const ALREADY_SUBSCRIBED = "Already subscribed: ";
const UNPARSEABLE_REQUEST = "Error parsing JSON into valid websocket request: ";

export class FeedConnection {
  readonly label: string;
  readonly #options: FeedConnectionOptions;
  readonly #socket: ReconnectingWebSocket;
  readonly #keepAlive: KeepAlive;
  readonly #endpoint: string;
  readonly #subscriptions = new Map<string, SubscriptionState>();
  readonly #ackTimeoutMs: number;
  readonly #resubscribe: { baseDelayMs: number; maxDelayMs: number };
  readonly #pacer: MessagePacer;
  #opens = 0;
  #open = false;
  #closed = false;
  #failedAttempts = 0;
  #failuresLoggedAt: number | null = null;
  #lastError: Event | null = null;
  /** The gate slot of the current socket attempt, held until its close has completed. */
  #slot: ConnectionSlot | null = null;
  readonly #closing = new AbortController();
  lastFrameAt: number | null = null;
  /** The newest data frame on the current socket (pongs, acks and errors are not data). */
  lastDataAt: number | null = null;

  constructor(options: FeedConnectionOptions) {
    this.label = options.label;
    this.#options = options;
    this.#endpoint = describeEndpoint(options.url);
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.#resubscribe = options.resubscribe ?? { baseDelayMs: 1_000, maxDelayMs: 60_000 };
    this.#pacer = options.pacer ?? processMessagePacer;
    const keepAlive = options.keepAlive ?? { intervalMs: 30_000, timeoutMs: 10_000 };
    const backoff = options.reconnect ?? { baseDelayMs: 500, maxDelayMs: 30_000 };
    watchConnectFailures();
    const gate = options.gate ?? processConnectionGate;
    // The socket asks for its URL before every attempt, the first one and those that skip the reconnect
    // delay (`reconnect()` after a pong or ack timeout) alike: the one place every attempt passes, so it
    // waits there for a gate slot. rews types `url` as a string and takes this provider form too.
    const urlWhenSlotFree = async (): Promise<string> => {
      this.#slot?.release(); // never two slots for one connection
      this.#slot = null;
      const slot = await gate.acquire(this.#closing.signal);
      if (this.#closed) {
        slot.release();
        throw new Error("connection closed");
      }
      this.#slot = slot;
      return options.url;
    };
    const socket = new ReconnectingWebSocket(urlWhenSlotFree as unknown as string, {
      maxRetries: Number.POSITIVE_INFINITY,
      connectionTimeout: 10_000,
      // Full jitter: a fleet of monitors restarted together does not reconnect in lockstep.
      reconnectionDelay: (attempt) =>
        Math.random() * Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** Math.min(attempt, 16)),
    });
    this.#socket = socket;
    this.#keepAlive = new KeepAlive(socket, keepAlive);
    socket.addEventListener("message", (event) => {
      const receivedAt = Date.now();
      this.lastFrameAt = receivedAt;
      const data = (event as MessageEvent).data;
      const text = typeof data === "string" ? data : String(data);
      const frame = classifyFrame(text);
      if (DATA_FRAMES.has(frame.kind)) this.lastDataAt = receivedAt;
      else if (frame.kind === "pong") this.#keepAlive.pong();
      else if (frame.kind === "subscriptionResponse" && frame.method === "subscribe") {
        this.#acknowledge(this.#options.subscriptionKey(frame.subscription));
      } else if (frame.kind === "serverError") this.#serverError(frame.message);
      this.#options.onFrame(text, receivedAt, frame);
    });
    socket.addEventListener("error", (event) => {
      this.#lastError = event;
    });
    socket.addEventListener("open", () => {
      this.#keepAlive.opened();
      this.#onOpen();
    });
    socket.addEventListener("close", () => {
      this.#keepAlive.closed();
      this.#onClose();
    });
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Subscribes (once per key), now if the socket is open, and again on every open until acknowledged. */
  subscribe(subscription: SubscriptionPayload): void {
    const key = this.#options.subscriptionKey(subscription);
    if (this.#subscriptions.has(key)) return;
    const state: SubscriptionState = {
      key,
      payload: subscription,
      acknowledged: false,
      awaitingAnswer: false,
      queued: false,
      attempts: 0,
      timer: null,
      pendingSince: null,
      answer: null,
    };
    this.#subscriptions.set(key, state);
    this.#send(state);
  }

  /** Forgets a subscription and tells the server so (if the socket is open); unknown keys are ignored. */
  unsubscribe(subscription: SubscriptionPayload): void {
    const key = this.#options.subscriptionKey(subscription);
    const state = this.#subscriptions.get(key);
    if (!state) return;
    this.#clearTimer(state);
    this.#subscriptions.delete(key);
    const message = JSON.stringify({ method: "unsubscribe", subscription: state.payload });
    this.#pacer.run(() => {
      if (!this.#open || this.#closed) return false; // a new socket starts without it
      this.#socket.send(message);
      return true;
    });
  }

  get subscriptionCount(): number {
    return this.#subscriptions.size;
  }

  get allAcknowledged(): boolean {
    if (!this.#open || this.#subscriptions.size === 0) return false;
    for (const state of this.#subscriptions.values()) if (!state.acknowledged) return false;
    return true;
  }

  /** Live: open, every subscription acknowledged, and data within `maxDataAgeMs`. */
  readiness(now: number, maxDataAgeMs: number): ConnectionReadiness {
    const acknowledged = this.allAcknowledged;
    const lastDataAgeMs = this.lastDataAt === null ? null : now - this.lastDataAt;
    return {
      label: this.label,
      ready: acknowledged && lastDataAgeMs !== null && lastDataAgeMs <= maxDataAgeMs,
      open: this.#open,
      acknowledged,
      lastDataAgeMs,
      lastFrameAgeMs: this.lastFrameAt === null ? null : now - this.lastFrameAt,
      unacknowledged: [...this.#subscriptions.values()]
        .filter((state) => !state.acknowledged)
        .map((state) => ({ subscription: subscriptionName(state.payload), answer: state.answer })),
    };
  }

  /** Every subscription's ack state, for the "not acknowledged" health alert. */
  subscriptionHealth(): SubscriptionHealth[] {
    return [...this.#subscriptions.values()].map((state) => ({
      key: state.key,
      name: subscriptionName(state.payload),
      pendingSince: state.acknowledged ? null : state.pendingSince,
      answer: state.answer,
    }));
  }

  close(): void {
    this.#closed = true;
    for (const state of this.#subscriptions.values()) this.#clearTimer(state);
    this.#closing.abort(new Error("connection closed"));
    this.#keepAlive.closed();
    // Terminates the socket for good, synchronously (no further reconnect).
    this.#socket.close();
  }

  // --- socket lifecycle -----------------------------------------------------------------------------------

  #onOpen(): void {
    this.#slot?.settled();
    this.#open = true;
    this.#opens += 1;
    this.lastDataAt = null;
    const failedAttempts = this.#failedAttempts;
    this.#failedAttempts = 0;
    this.#failuresLoggedAt = null;
    this.#options.logger.info(
      {
        connection: this.label,
        opens: this.#opens,
        ...(failedAttempts > 0 ? { failedAttempts, endpoint: this.#endpoint } : {}),
      },
      "socket open",
    );
    for (const state of this.#subscriptions.values()) {
      this.#clearTimer(state);
      state.acknowledged = false;
      state.awaitingAnswer = false;
      state.attempts = 0;
      this.#send(state);
    }
    this.#options.onOpen(this.#opens > 1);
  }

  #onClose(): void {
    // The socket reports a close once the attempt's socket has finished closing (or failed to
    // connect): only then may the next attempt take the gate slot.
    this.#slot?.release();
    this.#slot = null;
    const error = this.#lastError;
    this.#lastError = null;
    for (const state of this.#subscriptions.values()) {
      this.#clearTimer(state);
      state.acknowledged = false;
      state.awaitingAnswer = false;
    }
    if (!this.#open) {
      if (!this.#closed) this.#connectFailed(error);
      return;
    }
    this.#open = false;
    // Our own close() (shutdown) still reports the close: recordings and the watcher see it end.
    if (!this.#closed) this.#options.logger.warn({ connection: this.label }, "socket closed; reconnecting");
    this.#options.onClose();
  }

  #connectFailed(error: Event | null): void {
    this.#failedAttempts += 1;
    const cause = connectFailureCause(this.#options.url, error);
    const failure: ConnectFailure = {
      endpoint: this.#endpoint,
      error: cause?.error ?? "unknown",
      attempts: this.#failedAttempts,
    };
    const now = Date.now();
    if (
      this.#failuresLoggedAt === null ||
      now - this.#failuresLoggedAt >= FAILURE_LOG_INTERVAL_MS ||
      this.#failedAttempts % FAILURE_LOG_EVERY === 0
    ) {
      this.#failuresLoggedAt = now;
      this.#options.logger.warn(
        { connection: this.label, ...failure, ...(cause?.detail ? { detail: cause.detail } : {}) },
        "connection attempt failed",
      );
    }
    this.#options.onConnectFailed?.(failure);
  }

  // --- subscriptions ----------------------------------------------------------------------------------

  /** Sends the subscribe when the pacer allows (once per state at a time). */
  #send(state: SubscriptionState): void {
    if (!this.#open || this.#closed || state.acknowledged || state.queued) return;
    state.queued = true;
    this.#pacer.run(() => {
      state.queued = false;
      return this.#sendNow(state);
    });
  }

  #sendNow(state: SubscriptionState): boolean {
    if (!this.#open || this.#closed || state.acknowledged) return false;
    if (this.#subscriptions.get(state.key) !== state) return false; // unsubscribed meanwhile
    this.#clearTimer(state);
    this.#socket.send(JSON.stringify({ method: "subscribe", subscription: state.payload }));
    state.attempts += 1;
    state.awaitingAnswer = true;
    state.pendingSince ??= Date.now();
    const waitMs = Math.min(
      Math.max(this.#resubscribe.maxDelayMs, this.#ackTimeoutMs),
      this.#ackTimeoutMs * 2 ** Math.min(state.attempts - 1, 16),
    );
    this.#schedule(state, waitMs, () => {
      state.awaitingAnswer = false;
      state.answer ??= `no answer within ${waitMs} ms`;
      this.#logUnacknowledged(state);
    });
    return true;
  }

  #acknowledge(key: string): void {
    const state = this.#subscriptions.get(key);
    if (!state) return;
    this.#clearTimer(state);
    if (!state.acknowledged && state.attempts > 1) {
      this.#options.logger.info(
        { connection: this.label, subscription: subscriptionName(state.payload), attempts: state.attempts },
        "subscription acknowledged after re-sending",
      );
    }
    state.acknowledged = this.#open;
    state.awaitingAnswer = false;
    state.pendingSince = null;
    state.answer = null;
  }

  /** Attributes a server error frame to the subscriptions it concerns (see the top of this file). */
  #serverError(message: string): void {
    if (message.startsWith(ALREADY_SUBSCRIBED)) {
      const subscription = parseObject(message.slice(ALREADY_SUBSCRIBED.length));
      if (subscription) this.#acknowledge(this.#options.subscriptionKey(subscription));
      return;
    }
    if (message.startsWith("Already unsubscribed")) return;
    let concerned: SubscriptionState[];
    if (message.startsWith(UNPARSEABLE_REQUEST)) {
      const request = parseObject(message.slice(UNPARSEABLE_REQUEST.length));
      const subscription = request?.subscription;
      const state =
        typeof subscription === "object" && subscription !== null
          ? this.#subscriptions.get(this.#options.subscriptionKey(subscription as Record<string, unknown>))
          : undefined;
      concerned = state ? [state] : [];
    } else {
      const userLimit = /total users/i.test(message);
      concerned = [...this.#subscriptions.values()].filter(
        (state) => state.awaitingAnswer && (!userLimit || typeof state.payload.user === "string"),
      );
    }
    for (const state of concerned) {
      state.answer = message.slice(0, 300);
      state.awaitingAnswer = false;
      this.#logUnacknowledged(state);
      // Equal jitter: never a tight loop, never all subscriptions of a fleet at once.
      const bound = Math.min(
        this.#resubscribe.maxDelayMs,
        this.#resubscribe.baseDelayMs * 2 ** Math.min(state.attempts - 1, 16),
      );
      this.#schedule(state, bound / 2 + (Math.random() * bound) / 2);
    }
  }

  /** Re-sends `state` after `delayMs` unless acknowledged or the socket closed by then. */
  #schedule(state: SubscriptionState, delayMs: number, before?: () => void): void {
    this.#clearTimer(state);
    state.timer = setTimeout(() => {
      state.timer = null;
      if (this.#closed || !this.#open || state.acknowledged) return;
      before?.();
      this.#send(state);
    }, delayMs);
    state.timer.unref();
  }

  #clearTimer(state: SubscriptionState): void {
    if (state.timer) clearTimeout(state.timer);
    state.timer = null;
  }

  /** The first failure on a socket, then every 10th attempt: a refusal that lasts stays visible, briefly. */
  #logUnacknowledged(state: SubscriptionState): void {
    if (state.attempts !== 1 && state.attempts % 10 !== 0) return;
    this.#options.logger.warn(
      {
        connection: this.label,
        subscription: subscriptionName(state.payload),
        attempts: state.attempts,
        answer: state.answer,
      },
      "subscription not acknowledged; sending it again",
    );
  }
}

/** What an operator recognises: the type, and the coin or dex it is for (the user is the connection's). */
export function subscriptionName(subscription: Record<string, unknown>): string {
  const parts = [String(subscription.type ?? "?")];
  if (typeof subscription.coin === "string") parts.push(subscription.coin);
  if (typeof subscription.dex === "string" && subscription.dex !== "") parts.push(`dex ${subscription.dex}`);
  return parts.join(" ");
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
