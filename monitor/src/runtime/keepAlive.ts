/**
 * A connection's keep-alive watchdog. Hyperliquid closes a connection that has sent nothing for 60 s,
 * and a half-open TCP connection never says it is gone (PROTOCOL.md, timeouts and heartbeats): so while
 * the socket is open it sends `{"method":"ping"}` every `intervalMs`, and when a ping stays unanswered
 * by a pong (`{"channel":"pong"}`) for `timeoutMs`, it asks the socket to reconnect.
 *
 * The connection tells it what happens (open, close, pong), so it reads no frame itself: every frame is
 * parsed once, by the connection.
 */
export interface KeepAliveSocket {
  send(text: string): void;
  /** Replaces the current socket (the reconnecting socket's own `reconnect()`). */
  reconnect(): void;
}

export interface KeepAliveOptions {
  intervalMs: number;
  timeoutMs: number;
}

const PING = '{"method":"ping"}';

export class KeepAlive {
  readonly #socket: KeepAliveSocket;
  readonly #options: KeepAliveOptions;
  #pinging: NodeJS.Timeout | null = null;
  #awaitingPong: NodeJS.Timeout | null = null;

  constructor(socket: KeepAliveSocket, options: KeepAliveOptions) {
    this.#socket = socket;
    this.#options = options;
  }

  /** The socket opened: ping from now on. */
  opened(): void {
    if (this.#pinging) return;
    this.#pinging = setInterval(() => {
      this.#socket.send(PING);
      // Armed by the first unanswered ping only: a later ping does not push the deadline back.
      this.#awaitingPong ??= setTimeout(() => {
        this.#awaitingPong = null;
        this.#socket.reconnect();
      }, this.#options.timeoutMs);
    }, this.#options.intervalMs);
  }

  /** A pong arrived: the connection is alive. */
  pong(): void {
    if (this.#awaitingPong) clearTimeout(this.#awaitingPong);
    this.#awaitingPong = null;
  }

  /** The socket closed (or the connection is shutting down): no pings until the next open. */
  closed(): void {
    if (this.#pinging) clearInterval(this.#pinging);
    this.#pinging = null;
    this.pong();
  }
}
