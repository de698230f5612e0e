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
  #opens = 0;
  #open = false;
  #closed = false;
  lastFrameAt: number | null = null;

  constructor(options: FeedConnectionOptions) {
    this.label = options.label;
    this.#options = options;
    const keepAlive = options.keepAlive ?? { intervalMs: 30_000, timeoutMs: 10_000 };
    const backoff = options.reconnect ?? { baseDelayMs: 500, maxDelayMs: 30_000 };
    this.#transport = new WebSocketTransport({
      url: options.url,
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
      this.#open = true;
      this.#acknowledged.clear();
      this.#opens += 1;
      options.logger.info({ connection: this.label, opens: this.#opens }, "socket open");
      this.#options.onOpen(this.#opens > 1);
    });
    socket.addEventListener("close", () => {
      if (!this.#open) return;
      this.#open = false;
      this.#acknowledged.clear();
      if (!this.#closed) options.logger.warn({ connection: this.label }, "socket closed; reconnecting");
      this.#options.onClose();
    });
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Subscribes (once per key). The SDK re-sends it after every reconnect. */
  subscribe(subscription: SubscriptionPayload): void {
    const key = this.#options.subscriptionKey(subscription);
    if (this.#subscriptions.has(key)) return;
    this.#subscriptions.set(key, subscription);
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
        this.#options.logger.warn(
          { connection: this.label, subscription: key, err: String(error) },
          "subscribe not acknowledged yet; retried on the next reconnect",
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
    this.#transport.close();
  }
}
