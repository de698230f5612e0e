/**
 * One gate in front of every WebSocket this process opens, so that no burst of reconnects (all sockets
 * dropped at once, again and again) exceeds Hyperliquid's per-IP limits (DOCS rate-limits-and-user-limits,
 * PROTOCOL.md §6): at most 10 connections, at most 30 new connections per minute.
 *
 * A socket takes a slot before it connects and gives it back only once its close has completed: a
 * replaced socket and its successor never both count, so a task with 10 connections stays at 10 however
 * its reconnects race. Every attempt, whether it opens or fails, counts against the per-minute limit from
 * the moment it ends (it started earlier, so the server, which sees it in between, forgets it no later than
 * we do). Waiters are served first come, first served.
 *
 * What is not in our hands: a socket whose network died is still counted by the server until the server
 * notices (its idle close, 60 s). A connection refused meanwhile (however the server refuses it) is just a
 * failed attempt: it is retried through this gate with backoff, and nothing else depends on how it failed.
 */

export interface ConnectionGateLimits {
  /** Sockets open or opening at once (Hyperliquid: 10 per IP). */
  maxOpen: number;
  /** New connection attempts within `windowMs` (Hyperliquid: 30 per minute per IP). */
  maxNewPerWindow: number;
  windowMs: number;
}

/** Hyperliquid's documented per-IP WebSocket limits. */
export const HYPERLIQUID_CONNECTION_LIMITS: ConnectionGateLimits = {
  maxOpen: 10,
  maxNewPerWindow: 30,
  windowMs: 60_000,
};

/** A slot held by one socket attempt, from before it connects until its close has completed. */
export interface ConnectionSlot {
  /** The attempt ended (opened, or failed to): its per-window count runs from now. */
  settled(): void;
  /** The socket's close has completed: the slot is free for the next one. Idempotent. */
  release(): void;
}

interface Waiter {
  grant: (slot: ConnectionSlot) => void;
  fail: (error: unknown) => void;
}

export class ConnectionGate {
  readonly limits: ConnectionGateLimits;
  #open = 0;
  /** End times of the attempts within the window; null while an attempt is still connecting. */
  #attempts: { at: number | null }[] = [];
  readonly #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | null = null;
  /** Most sockets ever held at once, and attempts granted: for tests and logs. */
  peakOpen = 0;
  attemptsGranted = 0;

  constructor(limits: Partial<ConnectionGateLimits> = {}) {
    this.limits = { ...HYPERLIQUID_CONNECTION_LIMITS, ...limits };
  }

  /** Sockets open or opening now. */
  get open(): number {
    return this.#open;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Waits for a slot; rejects with the signal's reason if it aborts first (the waiter leaves the queue). */
  acquire(signal?: AbortSignal): Promise<ConnectionSlot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<ConnectionSlot>((resolve, reject) => {
      const waiter: Waiter = {
        grant: (slot) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(slot);
        },
        fail: reject,
      };
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#serve();
    });
  }

  #serve(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    while (this.#waiters.length > 0) {
      if (this.#open >= this.limits.maxOpen) return; // a release serves the next waiter
      const now = Date.now();
      const windowStart = now - this.limits.windowMs;
      this.#attempts = this.#attempts.filter((attempt) => attempt.at === null || attempt.at > windowStart);
      if (this.#attempts.length >= this.limits.maxNewPerWindow) {
        // Attempts still connecting count as "now": they can only end later (and serve again when they do).
        const oldest = Math.min(...this.#attempts.map((attempt) => attempt.at ?? now));
        const waitMs = Math.max(1, oldest + this.limits.windowMs - now + 1);
        this.#timer = setTimeout(() => this.#serve(), waitMs);
        this.#timer.unref();
        return;
      }
      this.#waiters.shift()!.grant(this.#grant());
    }
  }

  #grant(): ConnectionSlot {
    const attempt: { at: number | null } = { at: null };
    this.#attempts.push(attempt);
    this.#open += 1;
    this.peakOpen = Math.max(this.peakOpen, this.#open);
    this.attemptsGranted += 1;
    let pending = true;
    let held = true;
    const settle = () => {
      if (!pending) return;
      pending = false;
      attempt.at = Date.now();
      this.#serve();
    };
    return {
      settled: settle,
      release: () => {
        if (!held) return;
        held = false;
        settle();
        this.#open -= 1;
        this.#serve();
      },
    };
  }
}

/**
 * The gate every connection of this process shares by default: the limits are per IP, and a process is
 * one task with one IP.
 */
export const processConnectionGate = new ConnectionGate();
