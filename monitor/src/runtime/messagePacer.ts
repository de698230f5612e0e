/**
 * Paces the messages this process sends to Hyperliquid under its per-IP limit (DOCS
 * rate-limits-and-user-limits, PROTOCOL.md §6: at most 2000 messages sent per minute across all
 * connections). Subscribes go through here: following every coin sends a few hundred at once, and every
 * reopened socket sends its subscriptions again, so a run of reconnects could otherwise exceed the limit.
 *
 * The window is a sliding one (the server's is not documented): a send is allowed when fewer than
 * `maxPerWindow` sends happened within the last `windowMs`; the rest wait, first come first served.
 * The default keeps 10 % of the limit for what does not pass here (pings: 2 per connection per minute),
 * and a send leaves the window `slackMs` after the server could forget it: messages reach the server
 * later than we send them, and not all equally late.
 */

export interface MessagePacerLimits {
  maxPerWindow: number;
  windowMs: number;
  slackMs: number;
}

export const HYPERLIQUID_MESSAGE_LIMITS: MessagePacerLimits = {
  maxPerWindow: 1800,
  windowMs: 60_000,
  slackMs: 2_000,
};

export class MessagePacer {
  readonly limits: MessagePacerLimits;
  /** Times of the sends within the window, oldest first (at most `maxPerWindow`). */
  #sent: number[] = [];
  /** Waiting sends; each returns whether it sent (a send that found its socket closed costs nothing). */
  readonly #queue: (() => boolean)[] = [];
  #timer: NodeJS.Timeout | null = null;
  /** Most sends within one window so far, and sends made: for tests and logs. */
  peakPerWindow = 0;
  sends = 0;

  constructor(limits: Partial<MessagePacerLimits> = {}) {
    this.limits = { ...HYPERLIQUID_MESSAGE_LIMITS, ...limits };
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /** Runs `send` now if the window has room, else once it has (in order). */
  run(send: () => boolean): void {
    this.#queue.push(send);
    this.#drain();
  }

  #drain(): void {
    if (this.#timer) return;
    while (this.#queue.length > 0) {
      const now = Date.now();
      const span = this.limits.windowMs + this.limits.slackMs;
      const windowStart = now - span;
      let expired = 0;
      while (expired < this.#sent.length && this.#sent[expired]! <= windowStart) expired += 1;
      if (expired > 0) this.#sent = this.#sent.slice(expired);
      if (this.#sent.length >= this.limits.maxPerWindow) {
        const waitMs = Math.max(1, this.#sent[0]! + span - now + 1);
        this.#timer = setTimeout(() => {
          this.#timer = null;
          this.#drain();
        }, waitMs);
        this.#timer.unref();
        return;
      }
      const send = this.#queue.shift()!;
      if (send()) {
        this.#sent.push(now);
        this.sends += 1;
        this.peakPerWindow = Math.max(this.peakPerWindow, this.#sent.length);
      }
    }
  }
}

/** The pacer every connection of this process shares by default: the limit is per IP. */
export const processMessagePacer = new MessagePacer();
