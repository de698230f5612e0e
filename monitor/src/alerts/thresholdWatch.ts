/**
 * A threshold with hysteresis and a cooldown, for one monitored quantity (a position's distance to
 * liquidation, an account's margin ratio, its drawdown). Pure state machine: the caller passes the time.
 *
 * - Enters the alert state when the value crosses the threshold (distance ≤ 10 %, ratio ≥ 0.5, …).
 * - Leaves it only once the value is back beyond the threshold by the hysteresis margin (distance > 12 %
 *   for a 20 % hysteresis), so a value hovering at the threshold does not flap.
 * - An entry alerts only if the last alert for this watch is older than the cooldown, so a value that
 *   leaves and comes back within the cooldown stays quiet; a "cleared" alert follows only an entry that
 *   alerted.
 * - The key of an entry is the cooldown window it falls in: two tasks watching the same account, or a
 *   restarted task whose memory is gone, derive the same key within a window, and the alert claim in
 *   storage lets one of them through. At most one alert per watch, level and cooldown window.
 */
import { type Dec, dec } from "../domain/decimal.ts";

export type Direction = "above" | "below";

export interface ThresholdSpec {
  /** The value alerts when it is `above` (≥) or `below` (≤) the threshold. */
  direction: Direction;
  threshold: string;
  /** Relative margin to clear: 0.2 clears a `below 0.10` watch above 0.12, an `above 0.5` one below 0.4. */
  hysteresis: string;
  cooldownMs: number;
}

export type ThresholdTransition =
  | { kind: "entered"; window: number; suppressed: boolean }
  | { kind: "cleared"; alerted: boolean }
  | null;

export class ThresholdWatch {
  readonly spec: ThresholdSpec;
  readonly #threshold: Dec;
  readonly #clearAt: Dec;
  #active = false;
  #lastAlertAt: number | null = null;
  #alertedThisEpisode = false;

  constructor(spec: ThresholdSpec) {
    this.spec = spec;
    this.#threshold = dec(spec.threshold);
    const margin = dec(1).plus(spec.hysteresis);
    this.#clearAt = spec.direction === "below" ? this.#threshold.times(margin) : this.#threshold.div(margin);
  }

  get active(): boolean {
    return this.#active;
  }

  /** Feeds one observation; returns what changed, if anything. */
  observe(value: string, now: number): ThresholdTransition {
    const v = dec(value);
    const crossed = this.spec.direction === "below" ? v.lte(this.#threshold) : v.gte(this.#threshold);
    const clear = this.spec.direction === "below" ? v.gt(this.#clearAt) : v.lt(this.#clearAt);
    if (!this.#active && crossed) {
      this.#active = true;
      const quiet = this.#lastAlertAt !== null && now - this.#lastAlertAt < this.spec.cooldownMs;
      this.#alertedThisEpisode = !quiet;
      if (!quiet) this.#lastAlertAt = now;
      return { kind: "entered", window: Math.floor(now / this.spec.cooldownMs), suppressed: quiet };
    }
    if (this.#active && clear) {
      this.#active = false;
      const alerted = this.#alertedThisEpisode;
      this.#alertedThisEpisode = false;
      return { kind: "cleared", alerted };
    }
    return null;
  }

  /** The watched thing is gone (position closed): forget the episode without a "cleared" alert. */
  reset(): void {
    this.#active = false;
    this.#alertedThisEpisode = false;
  }
}
