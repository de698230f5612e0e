/**
 * Hyperliquid's REST rate limit (PROTOCOL.md §6): an aggregated weight per client IP over a rolling
 * window (1200 per minute). A request that would take a client over the limit is refused (HTTP 429) and
 * costs nothing.
 */
export interface WeightLimiterOptions {
  limit: number;
  windowMs: number;
  now?: () => number;
}

export class RollingWeightLimiter {
  readonly #options: Required<WeightLimiterOptions>;
  /** Per client: the weights charged within the window, oldest first. */
  readonly #charges = new Map<string, { at: number; weight: number }[]>();
  /** Weight charged since start, over all clients (for assertions). */
  totalCharged = 0;

  constructor(options: WeightLimiterOptions) {
    this.#options = { now: Date.now, ...options };
  }

  /** Charges `weight` to `client` if it fits in the window; false (nothing charged) if it does not. */
  tryCharge(client: string, weight: number): boolean {
    const charges = this.#current(client);
    const used = charges.reduce((sum, charge) => sum + charge.weight, 0);
    if (used + weight > this.#options.limit) return false;
    charges.push({ at: this.#options.now(), weight });
    this.totalCharged += weight;
    return true;
  }

  /** Weight `client` has used within the window now. */
  used(client: string): number {
    return this.#current(client).reduce((sum, charge) => sum + charge.weight, 0);
  }

  #current(client: string): { at: number; weight: number }[] {
    const now = this.#options.now();
    const charges = this.#charges.get(client) ?? [];
    // A charge leaves the window once it is more than windowMs old (the monitor's budget counts alike).
    let expired = 0;
    while (expired < charges.length && now - charges[expired]!.at > this.#options.windowMs) expired += 1;
    const current = expired > 0 ? charges.slice(expired) : charges;
    this.#charges.set(client, current);
    return current;
  }
}
