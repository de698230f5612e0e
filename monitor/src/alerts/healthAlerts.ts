/**
 * The monitor's own health as alerts: "degraded" once a condition (a socket down, storage failing) has
 * lasted longer than the configured time, "recovered" when a condition that was announced ends, and
 * "fills recovered" when a backfill found fills the socket had missed. Pure: the caller passes the time.
 *
 * A condition shorter than the threshold (a routine reconnect) says nothing. Keys carry the condition's
 * start, so each episode is announced once.
 */
import { ALERT_SCHEMA, type AlertEvent, type AlertKind } from "../../../lambda-alerts/src/alertEvent.ts";
import { cutAt } from "../../../lambda-alerts/src/render/truncate.ts";
import { dec, str } from "../domain/decimal.ts";
import type { Fill } from "../domain/types.ts";
import { duration, shortAddress } from "./format.ts";
import type { AlertLinks } from "./links.ts";

interface Condition {
  id: string;
  account: string | null;
  description: string;
  since: number;
  announced: boolean;
  endedAt: number | null;
}

export class HealthAlerts {
  readonly #degradedAfterMs: number;
  readonly #enabled: ReadonlySet<AlertKind>;
  readonly #links: AlertLinks;
  readonly #conditions = new Map<string, Condition>();

  constructor(options: { degradedAfterMs: number; enabled: ReadonlySet<AlertKind>; links: AlertLinks }) {
    this.#degradedAfterMs = options.degradedAfterMs;
    this.#enabled = options.enabled;
    this.#links = options.links;
  }

  /** A condition began (idempotent while it lasts; the description follows the caller until announced). */
  begin(id: string, description: string, since: number, account: string | null = null): void {
    const current = this.#conditions.get(id);
    if (current && current.endedAt === null) {
      if (!current.announced) current.description = description;
      return;
    }
    this.#conditions.set(id, { id, account, description, since, announced: false, endedAt: null });
  }

  end(id: string, now: number): void {
    const current = this.#conditions.get(id);
    if (!current || current.endedAt !== null) return;
    if (current.announced) current.endedAt = now;
    else this.#conditions.delete(id);
  }

  /** Alerts due now: conditions that lasted long enough, and announced ones that ended. */
  tick(now: number): AlertEvent[] {
    const alerts: AlertEvent[] = [];
    for (const condition of this.#conditions.values()) {
      if (condition.endedAt !== null) {
        this.#conditions.delete(condition.id);
        if (this.#enabled.has("monitor_recovered"))
          alerts.push(this.#recovered(condition, condition.endedAt));
      } else if (!condition.announced && now - condition.since >= this.#degradedAfterMs) {
        condition.announced = true;
        if (this.#enabled.has("monitor_degraded")) alerts.push(this.#degraded(condition, now));
      }
    }
    return alerts;
  }

  #degraded(condition: Condition, now: number): AlertEvent {
    const subject = condition.account ? ` (${shortAddress(condition.account)})` : "";
    return {
      schema: ALERT_SCHEMA,
      key: `monitor_degraded:${condition.id}:${condition.since}`,
      kind: "monitor_degraded",
      severity: "warning",
      title: `Monitor degraded: ${condition.description}${subject}`,
      summary: `${capitalise(condition.description)} for ${duration(now - condition.since)}. Fills missed meanwhile are backfilled once this recovers.`,
      account: condition.account,
      coin: null,
      time: now,
      fields: [
        { label: "Since", value: new Date(condition.since).toISOString() },
        { label: "For", value: duration(now - condition.since) },
      ],
      links: condition.account ? this.#links.account(condition.account) : this.#links.monitor(),
    };
  }

  #recovered(condition: Condition, endedAt: number): AlertEvent {
    return {
      schema: ALERT_SCHEMA,
      key: `monitor_recovered:${condition.id}:${condition.since}`,
      kind: "monitor_recovered",
      severity: "success",
      title: `Monitor recovered after ${duration(endedAt - condition.since)}: ${condition.description}`,
      summary: `${capitalise(condition.description)} from ${new Date(condition.since).toISOString()} for ${duration(endedAt - condition.since)}; resolved now.`,
      account: condition.account,
      coin: null,
      time: endedAt,
      fields: [{ label: "Lasted", value: duration(endedAt - condition.since) }],
      links: condition.account ? this.#links.account(condition.account) : this.#links.monitor(),
    };
  }
}

/** A backfill found fills the socket had not delivered (a gap closed over REST). */
export function fillsRecoveredAlert(
  account: string,
  fills: readonly Fill[],
  links: AlertLinks,
): AlertEvent | null {
  const first = fills[0];
  if (!first) return null;
  const times = fills.map((fill) => fill.time);
  const from = Math.min(...times);
  const to = Math.max(...times);
  const coins = [...new Set(fills.map((fill) => fill.coin))].sort();
  const volume = fills.reduce((sum, fill) => sum.plus(dec(fill.px).times(fill.sz)), dec(0));
  return {
    schema: ALERT_SCHEMA,
    key: `fills_recovered:${account}:${first.fillId}`,
    kind: "fills_recovered",
    severity: "info",
    title: `${fills.length} missed fill${fills.length === 1 ? "" : "s"} recovered`,
    summary: `The backfill over REST stored ${fills.length} fill${fills.length === 1 ? "" : "s"} that the socket had not delivered, from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}.`,
    account,
    coin: coins.length === 1 ? coins[0]! : null,
    time: to,
    fields: [
      { label: "Fills", value: String(fills.length) },
      { label: "Coins", value: cutAt(coins.join(", "), 500) },
      { label: "Volume", value: `${str(volume)} USDC` },
    ],
    links: links.account(account),
  };
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Items named (reason and raw text) in a skipped-fills alert; the rest are counted. */
const SKIPPED_ITEMS_NAMED = 3;

/**
 * Fills from Hyperliquid that failed validation were skipped (the valid ones around them were stored and
 * the sync went on). A `monitor_degraded` alert, once per account per UTC day: the key carries the date,
 * so later skips that day (a snapshot repeating the same item, other odd items) are only counted and
 * logged, and two tasks or a restart claim the same key.
 */
export function fillsSkippedAlert(
  account: string,
  items: readonly { reason: string; time: number | null; raw: string }[],
  now: number,
  links: AlertLinks,
  source: "rest" | "socket",
): AlertEvent | null {
  if (items.length === 0) return null;
  const day = new Date(now).toISOString().slice(0, 10);
  const plural = items.length === 1 ? "" : "s";
  const named = items.slice(0, SKIPPED_ITEMS_NAMED);
  return {
    schema: ALERT_SCHEMA,
    key: `monitor_degraded:fills_skipped:${account}:${day}`,
    kind: "monitor_degraded",
    severity: "warning",
    title: `Monitor skipped ${items.length} invalid fill${plural} (${shortAddress(account)})`,
    summary: [
      `${items.length} fill${plural} from Hyperliquid (${source === "rest" ? "REST backfill" : "socket"}) failed validation and ${items.length === 1 ? "was" : "were"} skipped; the valid fills around ${items.length === 1 ? "it" : "them"} were stored and the sync went on.`,
      "Positions and PnL miss what a skipped fill did. Further skips today are counted (metric FillsInvalid) and logged with their raw text, not alerted again.",
    ].join("\n"),
    account,
    coin: null,
    time: now,
    fields: [
      { label: "Skipped", value: String(items.length) },
      ...named.map((item, i) => ({
        label: `Fill ${i + 1}${item.time === null ? "" : ` at ${new Date(item.time).toISOString()}`}`,
        // Cut by code point: the raw text comes from outside and a split emoji would make the alert undeliverable.
        value: cutAt(`${item.reason}\n${item.raw}`, 1_000),
      })),
    ],
    links: links.account(account),
  };
}
