/**
 * One WebSocket to Hyperliquid, kept open forever.
 *
 * The SDK's WebSocketTransport does the connection work (reconnect with jittered backoff and no retry
 * limit, ping keep-alive with a pong watchdog, re-subscribing after every reconnect, matching acks). We
 * take the raw frames from its socket ourselves: one path parses, validates, counts and records every
 * frame, the same in live, recorded and replayed runs.
 *
 * Readiness is tracked per connection from the acks we see: after every (re)open each subscription must
 * be acknowledged again.
 */
import { WebSocketTransport } from "@nktkas/hyperliquid";
import type { Logger } from "../telemetry/logger.ts";
import { type ConnectionGate, type ConnectionSlot, processConnectionGate } from "./connectionGate.ts";

/** A subscription as sent to the server (`{type, user?, coin?, ...}`). */
export type SubscriptionPayload = { type: string } & Record<string, unknown>;

export interface FeedConnectionOptions {
  /** Names the connection in logs and recordings; for account connections, the account address. */
  label: string;
  url: string;
  logger: Logger;
  /** Ping interval and pong timeout. Hyperliquid closes a socket it has not written to for 60 s. */
  keepAlive?: { intervalMs: number; timeoutMs: number };
  /** Backoff bounds for reconnecting (full jitter between 0 and the exponential bound). */
  reconnect?: { baseDelayMs: number; maxDelayMs: number };
  /**
   * A socket whose subscriptions are not all acknowledged this long after opening is replaced: a server
   * that swallowed a subscribe would otherwise leave us connected but deaf.
   */
  ackTimeoutMs?: number;
  /** Where every (re)connect waits for a slot under the per-IP limits; default: the process-wide gate. */
  gate?: ConnectionGate;
  /** How to match an ack to a subscription; the server normalises the echo, so not by bytes. */
  subscriptionKey: (subscription: Record<string, unknown>) => string;
  onFrame: (text: string, receivedAt: number) => void;
  onOpen: (reconnect: boolean) => void;
  onClose: () => void;
}

export class FeedConnection {
  readonly label: string;
  readonly #options: FeedConnectionOptions;
  readonly #transport: WebSocketTransport;
  readonly #subscriptions = new Map<string, SubscriptionPayload>();
  readonly #acknowledged = new Set<string>();
  readonly #unsent = new Set<string>();
  #opens = 0;
  #ackTimer: NodeJS.Timeout | null = null;
  #open = false;
  #closed = false;
  /** The gate slot of the current socket attempt, held until its close has completed. */
  #slot: ConnectionSlot | null = null;
  readonly #closing = new AbortController();
  lastFrameAt: number | null = null;

  constructor(options: FeedConnectionOptions) {
    this.label = options.label;
    this.#options = options;
    const keepAlive = options.keepAlive ?? { intervalMs: 30_000, timeoutMs: 10_000 };
    const backoff = options.reconnect ?? { baseDelayMs: 500, maxDelayMs: 30_000 };
    const gate = options.gate ?? processConnectionGate;
    // The SDK's socket asks for its URL before every attempt, the first one and those that skip the
    // reconnect delay (`reconnect()` after a pong or ack timeout) alike: the one place every attempt passes,
    // so it waits there for a gate slot. The SDK types `url` as a string; its socket (@nktkas/rews) takes
    // this provider form too.
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
    this.#transport = new WebSocketTransport({
      url: urlWhenSlotFree as unknown as string,
      timeout: 15_000,
      keepAlive: { interval: keepAlive.intervalMs, timeout: keepAlive.timeoutMs },
      resubscribe: true,
      reconnect: {
        maxRetries: Number.POSITIVE_INFINITY,
        connectionTimeout: 10_000,
        // Full jitter: a fleet of monitors restarted together does not reconnect in lockstep.
        reconnectionDelay: (attempt) =>
          Math.random() * Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** Math.min(attempt, 16)),
      },
    });
    const socket = this.#transport.socket;
    socket.addEventListener("message", (event) => {
      const receivedAt = Date.now();
      this.lastFrameAt = receivedAt;
      const data = (event as MessageEvent).data;
      this.#options.onFrame(typeof data === "string" ? data : String(data), receivedAt);
    });
    socket.addEventListener("open", () => {
      this.#slot?.settled();
      this.#open = true;
      this.#acknowledged.clear();
      this.#opens += 1;
      options.logger.info({ connection: this.label, opens: this.#opens }, "socket open");
      this.#armAckWatchdog();
      for (const key of [...this.#unsent]) {
        this.#unsent.delete(key);
        const subscription = this.#subscriptions.get(key);
        if (subscription) this.#send(key, subscription);
      }
      this.#options.onOpen(this.#opens > 1);
    });
    socket.addEventListener("close", () => {
      // The SDK's socket reports a close once the attempt's socket has finished closing (or failed to
      // connect): only then may the next attempt take the slot.
      this.#slot?.release();
      this.#slot = null;
      if (!this.#open) return;
      this.#open = false;
      this.#acknowledged.clear();
      if (!this.#closed) options.logger.warn({ connection: this.label }, "socket closed; reconnecting");
      this.#options.onClose();
    });
  }

  #armAckWatchdog(): void {
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = null;
      if (this.#closed || !this.#open || this.allAcknowledged || this.#subscriptions.size === 0) return;
      this.#options.logger.warn(
        {
          connection: this.label,
          acknowledged: this.#acknowledged.size,
          subscriptions: this.#subscriptions.size,
        },
        "subscriptions not acknowledged in time; replacing the socket",
      );
      this.#transport.socket.reconnect();
    }, this.#options.ackTimeoutMs ?? 20_000);
    this.#ackTimer.unref();
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Subscribes (once per key). The SDK re-sends it after every reconnect. */
  subscribe(subscription: SubscriptionPayload): void {
    const key = this.#options.subscriptionKey(subscription);
    if (this.#subscriptions.has(key)) return;
    this.#subscriptions.set(key, subscription);
    this.#send(key, subscription);
  }

  #send(key: string, subscription: SubscriptionPayload): void {
    const channel = subscription.type;
    // Frames are consumed from the raw socket; the SDK needs a listener to hold the subscription.
    const holdSubscription = () => {};
    this.#transport
      .subscribe(channel, subscription, holdSubscription, {
        onError: (error) => {
          if (this.#closed) return;
          this.#options.logger.warn(
            { connection: this.label, subscription: key, err: String(error) },
            "re-subscription failed; retried on the next reconnect",
          );
        },
      })
      .catch((error: unknown) => {
        if (this.#closed) return;
        // The SDK forgets a first subscribe that failed (e.g. the socket dropped before the ack): we
        // send it again on the next open.
        this.#unsent.add(key);
        this.#options.logger.warn(
          { connection: this.label, subscription: key, err: String(error) },
          "subscribe not acknowledged; sent again on the next open",
        );
      });
  }

  /** Records a server ack; returns false when it matches none of our subscriptions. */
  acknowledge(subscription: Record<string, unknown>): boolean {
    const key = this.#options.subscriptionKey(subscription);
    if (!this.#subscriptions.has(key)) return false;
    this.#acknowledged.add(key);
    return true;
  }

  get subscriptionCount(): number {
    return this.#subscriptions.size;
  }

  get allAcknowledged(): boolean {
    return this.#open && this.#subscriptions.size > 0 && this.#acknowledged.size === this.#subscriptions.size;
  }

  close(): void {
    this.#closed = true;
    this.#closing.abort(new Error("connection closed"));
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#transport.close();
  }
}
