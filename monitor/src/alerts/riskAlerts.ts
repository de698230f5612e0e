/**
 * Liquidation proximity and margin alerts from account snapshots (built from every clearinghouseState
 * frame and every periodic snapshot). Pure: the snapshot carries the time.
 *
 * Per position: distance to the liquidation price (|mark − liq| / mark) at a warning and a critical
 * level. Per account: the cross margin ratio (maintenance margin / account value; 1 means liquidation) at
 * a warning and a critical level. Each level is a ThresholdWatch (hysteresis, cooldown). The margin ratio
 * is the standard-mode figure: it is not judged for unified-account and portfolio-margin accounts
 * (domain/accountMode.ts), nor while the runtime is still reading an account's mode.
 */
import { ALERT_SCHEMA, type AlertEvent, type AlertKind } from "../../../lambda-alerts/src/alertEvent.ts";
import { marginRatioUnsupported } from "../domain/accountMode.ts";
import { dec } from "../domain/decimal.ts";
import { DEFAULT_DEX, dexOfCoin } from "../domain/perpDexes.ts";
import type { AccountSnapshot, PositionHealth } from "../domain/types.ts";
import { exact, percent } from "./format.ts";
import type { AlertLinks } from "./links.ts";
import { type ThresholdTransition, ThresholdWatch } from "./thresholdWatch.ts";

export interface RiskThresholds {
  liquidationDistanceWarning: string;
  liquidationDistanceCritical: string;
  marginRatioWarning: string;
  marginRatioCritical: string;
  hysteresis: string;
  cooldownMs: number;
}

type Level = "warning" | "critical";

interface LevelWatches {
  warning: ThresholdWatch;
  critical: ThresholdWatch;
}

export class RiskAlerts {
  readonly #thresholds: RiskThresholds;
  readonly #enabled: ReadonlySet<AlertKind>;
  readonly #links: AlertLinks;
  /** By `account|coin` for positions and `account|margin` for the account's margin ratio. */
  readonly #watches = new Map<string, LevelWatches>();
  /**
   * Accounts whose margin ratio is not judged: their mode is not known yet (`accountModePending`), or it
   * makes the standard ratio meaningless (unified account, portfolio margin: domain/accountMode.ts).
   */
  readonly #marginUnjudged = new Map<string, "pending" | "unsupported">();

  constructor(thresholds: RiskThresholds, enabled: ReadonlySet<AlertKind>, links: AlertLinks) {
    this.#thresholds = thresholds;
    this.#enabled = enabled;
    this.#links = links;
  }

  /** The account's mode is being read: hold its margin-ratio rule until `accountMode` says what it is. */
  accountModePending(account: string): void {
    if (!this.#marginUnjudged.has(account)) this.#marginUnjudged.set(account, "pending");
  }

  /** The account's mode as `userAbstraction` answered it, or null when it could not be read (standard). */
  accountMode(account: string, mode: string | null): void {
    if (marginRatioUnsupported(mode)) {
      this.#marginUnjudged.set(account, "unsupported");
      const watches = this.#watches.get(`${account}|margin`);
      watches?.warning.reset();
      watches?.critical.reset();
    } else {
      this.#marginUnjudged.delete(account);
    }
  }

  observe(snapshot: AccountSnapshot): AlertEvent[] {
    const alerts: AlertEvent[] = [];
    const seen = new Set<string>();
    if (this.#enabled.has("liquidation_risk")) {
      for (const position of snapshot.positions) {
        if (position.liquidationDistance === null) continue;
        const id = `${snapshot.account}|${position.coin}`;
        seen.add(id);
        const watches = this.#watchesFor(id, "below", [
          this.#thresholds.liquidationDistanceWarning,
          this.#thresholds.liquidationDistanceCritical,
        ]);
        alerts.push(...this.#levels(watches, position.liquidationDistance, snapshot, position));
      }
      // Positions that closed (or lost their liquidation price): their episode ends without a "cleared".
      for (const [id, watches] of this.#watches) {
        if (id.startsWith(`${snapshot.account}|`) && !id.endsWith("|margin") && !seen.has(id)) {
          watches.warning.reset();
          watches.critical.reset();
        }
      }
    }
    if (
      this.#enabled.has("margin_risk") &&
      snapshot.crossMarginRatio !== null &&
      !this.#marginUnjudged.has(snapshot.account)
    ) {
      const watches = this.#watchesFor(`${snapshot.account}|margin`, "above", [
        this.#thresholds.marginRatioWarning,
        this.#thresholds.marginRatioCritical,
      ]);
      alerts.push(...this.#levels(watches, snapshot.crossMarginRatio, snapshot, null));
    }
    return alerts;
  }

  #watchesFor(id: string, direction: "above" | "below", [warning, critical]: [string, string]): LevelWatches {
    let watches = this.#watches.get(id);
    if (!watches) {
      const spec = {
        direction,
        hysteresis: this.#thresholds.hysteresis,
        cooldownMs: this.#thresholds.cooldownMs,
      };
      watches = {
        warning: new ThresholdWatch({ ...spec, threshold: warning }),
        critical: new ThresholdWatch({ ...spec, threshold: critical }),
      };
      this.#watches.set(id, watches);
    }
    return watches;
  }

  #levels(
    watches: LevelWatches,
    value: string,
    snapshot: AccountSnapshot,
    position: PositionHealth | null,
  ): AlertEvent[] {
    const alerts: AlertEvent[] = [];
    const critical = watches.critical.observe(value, snapshot.time);
    const warning = watches.warning.observe(value, snapshot.time);
    // Critical first: when both levels are crossed at once, the critical alert is the one that matters,
    // and the warning entry is then not announced separately.
    const criticalAlert = this.#alertFor("critical", critical, value, snapshot, position);
    if (criticalAlert) alerts.push(criticalAlert);
    const warningSkipped = critical?.kind === "entered" && warning?.kind === "entered";
    if (!warningSkipped) {
      const warningAlert = this.#alertFor("warning", warning, value, snapshot, position);
      if (warningAlert) alerts.push(warningAlert);
    }
    return alerts;
  }

  #alertFor(
    level: Level,
    transition: ThresholdTransition,
    value: string,
    snapshot: AccountSnapshot,
    position: PositionHealth | null,
  ): AlertEvent | null {
    if (!transition) return null;
    if (transition.kind === "entered" && transition.suppressed) return null;
    if (transition.kind === "cleared" && (!transition.alerted || level === "critical")) return null;
    const t = this.#thresholds;
    const subject = position ? `${snapshot.account}:${position.coin}` : `${snapshot.account}:margin`;
    const entered = transition.kind === "entered";
    const kind: AlertKind = position
      ? entered
        ? "liquidation_risk"
        : "liquidation_risk_cleared"
      : entered
        ? "margin_risk"
        : "margin_risk_cleared";
    // Keyed by cooldown window, so tasks observing the same crossing at slightly different times agree.
    const window = entered ? transition.window : Math.floor(snapshot.time / t.cooldownMs);
    const key = entered ? `${kind}:${subject}:${level}:${window}` : `${kind}:${subject}:${window}`;
    const links = this.#links.account(snapshot.account);
    const fields: AlertEvent["fields"] = [];
    let title: string;
    let summary: string;
    if (position) {
      const threshold = level === "critical" ? t.liquidationDistanceCritical : t.liquidationDistanceWarning;
      const side = position.size.startsWith("-") ? "short" : "long";
      // A builder-deployed (HIP-3) dex is a separate clearinghouse with its own collateral: say which.
      const dex = dexOfCoin(position.coin);
      const onDex = dex === DEFAULT_DEX ? "" : ` on dex ${dex}`;
      title = entered
        ? `${position.coin} ${side} ${percent(value)} from liquidation${onDex}`
        : `${position.coin} ${side} back to ${percent(value)} from liquidation${onDex}`;
      summary = entered
        ? `Mark ${exact(position.markPx ?? "0")} is within ${percent(value)} of the liquidation price ${exact(position.liquidationPx ?? "0")} (alert at ${percent(threshold)}).`
        : `The distance to liquidation is back above ${percent(threshold)}.`;
      fields.push(
        { label: "Distance", value: percent(value) },
        { label: "Mark", value: exact(position.markPx ?? "0") },
        { label: "Liquidation price", value: exact(position.liquidationPx ?? "0") },
        { label: "Size", value: exact(position.size) },
        { label: "Unrealised PnL", value: exact(position.unrealizedPnl) },
        { label: "Leverage", value: `${position.leverage}x ${position.leverageType}` },
      );
      if (dex !== DEFAULT_DEX)
        fields.push({ label: "Dex", value: `${dex} (builder-deployed, isolated margin)` });
    } else {
      const threshold = level === "critical" ? t.marginRatioCritical : t.marginRatioWarning;
      title = entered
        ? `Cross margin ratio ${percent(value)}`
        : `Cross margin ratio back to ${percent(value)}`;
      // At or below zero value the ratio is reported as 1 (domain/health.ts): say what it stands for.
      const noValueLeft = dec(snapshot.accountValue).lte(0);
      summary = !entered
        ? `The cross margin ratio is back below ${percent(threshold)}.`
        : noValueLeft
          ? `Account value is ${exact(snapshot.accountValue)}, at or below zero, with maintenance margin in use: the account is at or beyond liquidation.`
          : `Maintenance margin is ${percent(value)} of account value (alert at ${percent(threshold)}; at 100% the account is liquidated).`;
      fields.push(
        { label: "Margin ratio", value: percent(value) },
        { label: "Account value", value: exact(snapshot.accountValue) },
        { label: "Health", value: exact(snapshot.healthScore) },
      );
    }
    return {
      schema: ALERT_SCHEMA,
      key,
      kind,
      severity: entered ? level : "success",
      title,
      summary,
      account: snapshot.account,
      coin: position?.coin ?? null,
      time: snapshot.time,
      fields,
      links,
    };
  }
}
