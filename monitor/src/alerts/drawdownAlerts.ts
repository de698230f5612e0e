/**
 * Large account drawdown: the account value fell by at least the threshold from its peak within the
 * window (default 10 % within an hour). Pure; samples come from account snapshots.
 *
 * Deposits and withdrawals move the account value too: a withdrawal of 10 % looks like a 10 % drawdown.
 * The alert says "account value fell", which stays true either way.
 */
import { ALERT_SCHEMA, type AlertEvent } from "../../../lambda-alerts/src/alertEvent.ts";
import { dec, quotient } from "../domain/decimal.ts";
import type { AccountSnapshot } from "../domain/types.ts";
import { duration, exact, percent } from "./format.ts";
import type { AlertLinks } from "./links.ts";
import { ThresholdWatch } from "./thresholdWatch.ts";

export interface DrawdownSettings {
  threshold: string;
  windowMs: number;
  hysteresis: string;
  cooldownMs: number;
}

/** Samples closer together than this are thinned: a 1 h window holds at most 360 per account. */
const MIN_SAMPLE_SPACING_MS = 10_000;

export class DrawdownAlerts {
  readonly #settings: DrawdownSettings;
  readonly #links: AlertLinks;
  readonly #samples = new Map<string, { time: number; value: string }[]>();
  readonly #watches = new Map<string, ThresholdWatch>();

  constructor(settings: DrawdownSettings, links: AlertLinks) {
    this.#settings = settings;
    this.#links = links;
  }

  observe(snapshot: AccountSnapshot): AlertEvent[] {
    const { account, time, accountValue } = snapshot;
    const samples = this.#samples.get(account) ?? [];
    this.#samples.set(account, samples);
    const last = samples.at(-1);
    if (last && time < last.time) return [];
    if (!last || time - last.time >= MIN_SAMPLE_SPACING_MS) samples.push({ time, value: accountValue });
    while (samples.length > 0 && samples[0]!.time < time - this.#settings.windowMs) samples.shift();

    let peak = samples[0] ?? { time, value: accountValue };
    for (const sample of samples) if (dec(sample.value).gt(peak.value)) peak = sample;
    if (!dec(peak.value).isPositive()) return [];
    const drawdown = quotient(dec(peak.value).minus(accountValue), dec(peak.value));

    let watch = this.#watches.get(account);
    if (!watch) {
      watch = new ThresholdWatch({
        direction: "above",
        threshold: this.#settings.threshold,
        hysteresis: this.#settings.hysteresis,
        cooldownMs: this.#settings.cooldownMs,
      });
      this.#watches.set(account, watch);
    }
    const transition = watch.observe(drawdown, time);
    if (transition?.kind !== "entered" || transition.suppressed) return [];
    return [
      {
        schema: ALERT_SCHEMA,
        key: `drawdown:${account}:${transition.window}`,
        kind: "drawdown",
        severity: "warning",
        title: `Account value down ${percent(drawdown)} in ${duration(time - peak.time)}`,
        summary: `Account value fell from ${exact(peak.value)} to ${exact(accountValue)} USDC within ${duration(this.#settings.windowMs)} (alert at ${percent(this.#settings.threshold)}). Withdrawals count as well.`,
        account,
        coin: null,
        time,
        fields: [
          { label: "Drawdown", value: percent(drawdown) },
          { label: "Peak", value: `${exact(peak.value)} USDC` },
          { label: "Now", value: `${exact(accountValue)} USDC` },
          { label: "Unrealised PnL", value: exact(snapshot.totalUnrealizedPnl) },
        ],
        links: this.#links.account(account),
      },
    ];
  }
}
