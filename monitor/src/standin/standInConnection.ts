/**
 * One client WebSocket as the stand-in holds it: its subscriptions and the server-side idle timeout
 * (the real server closes a connection it has not sent anything to for 60 s: the clock runs on
 * server→client traffic only, so a client that only pings into a silent server is still closed).
 */
import type { WebSocket } from "ws";
import type { StandInSubscription } from "./clientRequests.ts";

/** A read-only picture of a connection, for assertions and for routing replayed frames. */
export interface ConnectionView {
  id: number;
  remoteAddress: string;
  openedAt: number;
  subscriptions: StandInSubscription[];
}

export interface StandInConnectionOptions {
  id: number;
  remoteAddress: string;
  idleTimeoutMs: number;
  /** While true nothing is sent, and the idle timeout does not close the socket: a half-dead socket. */
  isSilent: () => boolean;
}

export class StandInConnection {
  readonly id: number;
  readonly remoteAddress: string;
  readonly openedAt = Date.now();
  /** By subscription identity (see subscriptionIdentity). */
  readonly subscriptions = new Map<string, StandInSubscription>();
  readonly #socket: WebSocket;
  readonly #isSilent: () => boolean;
  readonly #idleTimer: NodeJS.Timeout;

  constructor(socket: WebSocket, options: StandInConnectionOptions) {
    this.#socket = socket;
    this.id = options.id;
    this.remoteAddress = options.remoteAddress;
    this.#isSilent = options.isSilent;
    this.#idleTimer = setTimeout(() => {
      if (this.#isSilent()) this.#idleTimer.refresh();
      else this.close(1000, "idle timeout");
    }, options.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  get isOpen(): boolean {
    return this.#socket.readyState === this.#socket.OPEN;
  }

  /** Sends one text frame unless silenced or closed; true if it went out. Restarts the idle clock. */
  send(text: string): boolean {
    if (this.#isSilent() || !this.isOpen) return false;
    this.#socket.send(text);
    this.#idleTimer.refresh();
    return true;
  }

  /** Users this connection tracks (the real server limits distinct users per IP). */
  users(): Set<string> {
    const users = new Set<string>();
    for (const subscription of this.subscriptions.values()) {
      if (typeof subscription.user === "string") users.add(subscription.user);
    }
    return users;
  }

  hasSubscription(match: (subscription: StandInSubscription) => boolean): boolean {
    for (const subscription of this.subscriptions.values()) if (match(subscription)) return true;
    return false;
  }

  view(): ConnectionView {
    return {
      id: this.id,
      remoteAddress: this.remoteAddress,
      openedAt: this.openedAt,
      subscriptions: [...this.subscriptions.values()].map((subscription) => ({ ...subscription })),
    };
  }

  close(code: number, reason: string): void {
    this.dispose();
    this.#socket.close(code, reason);
  }

  /** Abrupt end without a close frame, like a network drop. */
  terminate(): void {
    this.dispose();
    this.#socket.terminate();
  }

  dispose(): void {
    clearTimeout(this.#idleTimer);
  }
}
