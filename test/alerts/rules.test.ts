/**
 * The alert rules, pure: thresholds with hysteresis and cooldown, drawdown, monitor health, position
 * alerts from real fills, the daily summary. Snapshots are built from the real clearinghouseState sample
 * (mark 118,685 = positionValue / size) with the liquidation price and margins moved.
 */
import { describe, expect, it } from "vitest";
import type { AlertKind } from "../../lambda-alerts/src/alertEvent.ts";
import { dailySummaryAlert } from "../../monitor/src/alerts/dailySummary.ts";
import { DrawdownAlerts } from "../../monitor/src/alerts/drawdownAlerts.ts";
import {
  fillsRecoveredAlert,
  fillsSkippedAlert,
  HealthAlerts,
} from "../../monitor/src/alerts/healthAlerts.ts";
import { alertLinks } from "../../monitor/src/alerts/links.ts";
import { positionAlerts } from "../../monitor/src/alerts/positionAlerts.ts";
import { RiskAlerts, type RiskThresholds } from "../../monitor/src/alerts/riskAlerts.ts";
import { MONITOR_ALERT_KINDS } from "../../monitor/src/config/alertConfig.ts";
import { normalizeFill } from "../../monitor/src/domain/fill.ts";
import { accountSnapshotFrom } from "../../monitor/src/domain/health.ts";
import { applyFill } from "../../monitor/src/domain/positions.ts";
import type { AccountSnapshot } from "../../monitor/src/domain/types.ts";
import { currentFills, liquidationFill, ownLiquidationFill, realState } from "../support/fixtures.ts";

const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const MARK = 118_685; // 10.68165 / 0.00009
const MIN = 60_000;
const T = 1_800_000 * 1_000_000; // the start of a cooldown window
const links = alertLinks("mainnet", null);
const all = new Set<AlertKind>(MONITOR_ALERT_KINDS);

const thresholds: RiskThresholds = {
  liquidationDistanceWarning: "0.1",
  liquidationDistanceCritical: "0.05",
  marginRatioWarning: "0.5",
  marginRatioCritical: "0.8",
  hysteresis: "0.2",
  cooldownMs: 30 * MIN,
};

/** A snapshot whose BTC position is `distance` from liquidation, and whose margin ratio is `ratio`. */
function snapshot(
  time: number,
  options: { distance?: number | null; ratio?: string; value?: string } = {},
): AccountSnapshot {
  const state = structuredClone(realState());
  const value = options.value ?? "30.937022";
  state.marginSummary.accountValue = value;
  state.crossMarginSummary.accountValue = value;
  state.crossMaintenanceMarginUsed = options.ratio
    ? String(Number(options.ratio) * Number(value))
    : "0.13352";
  if (options.distance === null) state.assetPositions = [];
  else if (options.distance !== undefined) {
    state.assetPositions[0]!.position.liquidationPx = String(MARK * (1 - options.distance));
  }
  return accountSnapshotFrom(ACCOUNT, state, time);
}

describe("liquidation proximity", () => {
  it("alerts on crossing, holds through the hysteresis band, escalates, clears once, and keeps the cooldown", () => {
    const rules = new RiskAlerts(thresholds, all, links);
    const kinds = (time: number, distance: number | null) =>
      rules.observe(snapshot(time, { distance })).map((alert) => `${alert.kind}/${alert.severity}`);
    expect(kinds(T, 0.15)).toEqual([]);
    expect(kinds(T + MIN, 0.09)).toEqual(["liquidation_risk/warning"]);
    expect(kinds(T + 2 * MIN, 0.105)).toEqual([]); // above 10 % but not above 12 %: still at risk
    expect(kinds(T + 3 * MIN, 0.095)).toEqual([]);
    expect(kinds(T + 4 * MIN, 0.04)).toEqual(["liquidation_risk/critical"]);
    expect(kinds(T + 5 * MIN, 0.06)).toEqual([]);
    expect(kinds(T + 6 * MIN, 0.13)).toEqual(["liquidation_risk_cleared/success"]);
    // Back within the cooldown of the last warning: quiet, and so is its clearing.
    expect(kinds(T + 7 * MIN, 0.09)).toEqual([]);
    expect(kinds(T + 8 * MIN, 0.2)).toEqual([]);
    // After the cooldown: alerts again.
    expect(kinds(T + 32 * MIN, 0.09)).toEqual(["liquidation_risk/warning"]);
    // The position closes: the episode ends silently.
    expect(kinds(T + 33 * MIN, null)).toEqual([]);
  });

  it("a value hovering at the threshold raises one alert, not one per crossing", () => {
    const rules = new RiskAlerts(thresholds, all, links);
    let count = 0;
    for (let i = 0; i < 200; i++) {
      const distance = i % 2 === 0 ? 0.0999 : 0.1001;
      count += rules.observe(snapshot(T + i * 5_000, { distance })).length;
    }
    expect(count).toBe(1);
  });

  it("jumping past both levels at once raises the critical alert only", () => {
    const rules = new RiskAlerts(thresholds, all, links);
    const [alert, ...rest] = rules.observe(snapshot(T + MIN, { distance: 0.03 }));
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({
      kind: "liquidation_risk",
      severity: "critical",
      coin: "BTC",
      title: "BTC long 3% from liquidation",
    });
    expect(alert!.fields).toContainEqual({ label: "Mark", value: "118685" });
  });

  it("gives two tasks (or a restarted one) the same key within a cooldown window", () => {
    const a = new RiskAlerts(thresholds, all, links).observe(snapshot(T + MIN, { distance: 0.09 }));
    const b = new RiskAlerts(thresholds, all, links).observe(snapshot(T + 9 * MIN, { distance: 0.08 }));
    expect(a[0]!.key).toBe(b[0]!.key);
    expect(a[0]!.key).toBe(`liquidation_risk:${ACCOUNT}:BTC:warning:${T / (30 * MIN)}`);
  });

  it("watches the cross margin ratio the same way", () => {
    const rules = new RiskAlerts(thresholds, all, links);
    const kinds = (time: number, ratio: string) =>
      rules.observe(snapshot(time, { ratio })).map((alert) => `${alert.kind}/${alert.severity}`);
    expect(kinds(T, "0.3")).toEqual([]);
    expect(kinds(T + MIN, "0.55")).toEqual(["margin_risk/warning"]);
    expect(kinds(T + 2 * MIN, "0.45")).toEqual([]); // not yet below 0.5 / 1.2
    expect(kinds(T + 3 * MIN, "0.85")).toEqual(["margin_risk/critical"]);
    expect(kinds(T + 4 * MIN, "0.4")).toEqual(["margin_risk_cleared/success"]);
  });

  it("raises the critical margin alert for an account whose value fell to zero or below", () => {
    const rules = new RiskAlerts(thresholds, all, links);
    const state = structuredClone(realState());
    state.marginSummary.accountValue = "-3.25";
    state.crossMarginSummary.accountValue = "-3.25";
    state.crossMaintenanceMarginUsed = "0.13352";
    const alerts = rules.observe(accountSnapshotFrom(ACCOUNT, state, T));
    expect(alerts.map((alert) => `${alert.kind}/${alert.severity}`)).toEqual(["margin_risk/critical"]);
    expect(alerts[0]!.summary).toContain("at or below zero");
    expect(alerts[0]!.fields).toContainEqual({ label: "Health", value: "0" });
  });

  it("holds the margin ratio while the account's mode is read, and skips it for unified and portfolio margin", () => {
    const rules = new RiskAlerts(thresholds, all, links);
    const kinds = (time: number, ratio: string) =>
      rules.observe(snapshot(time, { ratio })).map((alert) => `${alert.kind}/${alert.severity}`);
    rules.accountModePending(ACCOUNT);
    expect(kinds(T, "0.9")).toEqual([]);
    rules.accountMode(ACCOUNT, "unifiedAccount");
    expect(kinds(T + MIN, "0.9")).toEqual([]);
    rules.accountMode(ACCOUNT, "portfolioMargin");
    expect(kinds(T + 2 * MIN, "0.95")).toEqual([]);
    // Standard modes (and a mode that could not be read) are judged.
    rules.accountMode(ACCOUNT, "disabled");
    expect(kinds(T + 3 * MIN, "0.9")).toEqual(["margin_risk/critical"]);
    const unread = new RiskAlerts(thresholds, all, links);
    unread.accountModePending(ACCOUNT);
    unread.accountMode(ACCOUNT, null);
    expect(unread.observe(snapshot(T, { ratio: "0.9" })).map((alert) => alert.kind)).toEqual(["margin_risk"]);
  });

  it("stays silent for kinds that are off", () => {
    const rules = new RiskAlerts(thresholds, new Set<AlertKind>(["position_closed"]), links);
    expect(rules.observe(snapshot(T, { distance: 0.01, ratio: "0.99" }))).toEqual([]);
  });
});

describe("drawdown", () => {
  it("alerts when the account value falls by the threshold within the window, once per cooldown", () => {
    const rules = new DrawdownAlerts(
      { threshold: "0.1", windowMs: 60 * MIN, hysteresis: "0.2", cooldownMs: 30 * MIN },
      links,
    );
    const at = (minutes: number, value: string) => rules.observe(snapshot(T + minutes * MIN, { value }));
    expect(at(0, "1000")).toEqual([]);
    expect(at(5, "950")).toEqual([]);
    const [alert] = at(10, "890");
    expect(alert).toMatchObject({
      kind: "drawdown",
      severity: "warning",
      title: "Account value down 11% in 10m 0s",
    });
    expect(alert!.fields).toContainEqual({ label: "Peak", value: "1000 USDC" });
    expect(at(11, "880")).toEqual([]);
    expect(at(12, "1000")).toEqual([]); // recovered
    expect(at(13, "850")).toEqual([]); // again, within the cooldown
    // The peak leaves the window: a slow decline is not a drawdown.
    const slow = new DrawdownAlerts(
      { threshold: "0.1", windowMs: 60 * MIN, hysteresis: "0.2", cooldownMs: 30 * MIN },
      links,
    );
    for (let hour = 0; hour < 10; hour++)
      expect(slow.observe(snapshot(T + hour * 61 * MIN, { value: String(1000 - hour * 60) }))).toEqual([]);
  });
});

describe("monitor health", () => {
  it("says nothing about a short disconnection; announces a long one and its end", () => {
    const health = new HealthAlerts({ degradedAfterMs: 120_000, enabled: all, links });
    health.begin(`socket:${ACCOUNT}`, "Hyperliquid socket down", T, ACCOUNT);
    expect(health.tick(T + 60_000)).toEqual([]);
    health.end(`socket:${ACCOUNT}`, T + 61_000);
    expect(health.tick(T + 200_000)).toEqual([]);

    health.begin("storage", "storage writes failing", T + 300_000);
    health.begin("storage", "storage writes failing", T + 310_000); // still the same episode
    expect(health.tick(T + 400_000)).toEqual([]);
    const [degraded] = health.tick(T + 420_000);
    expect(degraded).toMatchObject({
      kind: "monitor_degraded",
      key: `monitor_degraded:storage:${T + 300_000}`,
      account: null,
    });
    expect(health.tick(T + 500_000)).toEqual([]);
    health.end("storage", T + 510_000);
    const [recovered] = health.tick(T + 515_000);
    expect(recovered).toMatchObject({
      kind: "monitor_recovered",
      severity: "success",
      title: "Monitor recovered after 3m 30s: storage writes failing",
    });
    expect(recovered!.fields).toEqual([{ label: "Lasted", value: "3m 30s" }]);
  });

  it("reports skipped invalid fills once per account per UTC day, naming them", () => {
    const item = { reason: "px: expected a decimal string", time: T, raw: '{"px":"1,5"}' };
    const noon = Date.UTC(2026, 11, 2, 12);
    const alert = fillsSkippedAlert(ACCOUNT, [item], noon, links, "rest")!;
    expect(alert).toMatchObject({
      kind: "monitor_degraded",
      severity: "warning",
      key: `monitor_degraded:fills_skipped:${ACCOUNT}:2026-12-02`,
      title: "Monitor skipped 1 invalid fill (0x7099…79c8)",
    });
    expect(alert.fields[1]!.value).toBe(`${item.reason}\n${item.raw}`);
    // Later the same UTC day: the same key (one alert); the next day: a new one.
    expect(fillsSkippedAlert(ACCOUNT, [item, item], noon + 11 * 3_600_000, links, "socket")!.key).toBe(
      alert.key,
    );
    expect(fillsSkippedAlert(ACCOUNT, [item], noon + 12 * 3_600_000, links, "rest")!.key).toBe(
      `monitor_degraded:fills_skipped:${ACCOUNT}:2026-12-03`,
    );
  });

  it("summarises fills recovered by a backfill under a key of the first fill", () => {
    const fills = currentFills().map((wire) => normalizeFill(ACCOUNT, wire));
    const alert = fillsRecoveredAlert(ACCOUNT, fills, links)!;
    expect(alert.key).toBe(`fills_recovered:${ACCOUNT}:${fills[0]!.fillId}`);
    expect(alert.title).toBe(`${fills.length} missed fills recovered`);
  });
});

describe("position alerts", () => {
  it("turns the account's own liquidation fill into a critical alert with the mark price and method", () => {
    const fill = normalizeFill(ACCOUNT, ownLiquidationFill(ACCOUNT));
    const { events } = applyFill(undefined, fill);
    const alerts = events.flatMap((event) => positionAlerts(event, fill, { enabled: all, links }));
    const liquidation = alerts.find((alert) => alert.kind === "liquidation")!;
    expect(liquidation.severity).toBe("critical");
    expect(liquidation.fields).toContainEqual({ label: "Mark price", value: "66607" }); // "66607.0", trimmed
    expect(liquidation.fields).toContainEqual({ label: "Method", value: fill.liquidation!.method });
    expect(liquidation.links[0]!.url).toBe(`https://app.hyperliquid.xyz/explorer/address/${ACCOUNT}`);
  });

  it("raises nothing critical for a counterparty's fill in someone else's liquidation (the real sample)", () => {
    const fill = normalizeFill(ACCOUNT, liquidationFill());
    const { events } = applyFill(undefined, fill);
    const alerts = events.flatMap((event) => positionAlerts(event, fill, { enabled: all, links }));
    // The position is resynced from the fill's startPosition, so the fill reads as an increase.
    expect(alerts.map((alert) => alert.kind)).toEqual(["position_increased"]);
    expect(alerts.every((alert) => alert.severity !== "critical")).toBe(true);
  });
});

describe("daily summary", () => {
  it("adds up the day exactly: realised PnL, fills, volume, fees and funding", () => {
    const fills = currentFills().map((wire) => normalizeFill(ACCOUNT, wire));
    const alert = dailySummaryAlert(
      {
        account: ACCOUNT,
        dayStart: Date.UTC(2026, 10, 21),
        fills,
        closed: [],
        funding: ["0.145796", "-2.694388", "0.1"],
        accountValue: "30.937022",
      },
      links,
    );
    expect(alert.key).toBe(`daily_summary:${ACCOUNT}:2026-11-21`);
    expect(alert.fields).toContainEqual({ label: "Funding", value: "-2.448592 USDC" });
    expect(alert.fields).toContainEqual({ label: "Fills", value: String(fills.length) });
    const fees = fills.reduce((sum, fill) => sum + Math.round(Number(fill.fee) * 1e6), 0) / 1e6;
    expect(alert.fields.find((field) => field.label === "Fees")!.value).toBe(`${fees} USDC`);
  });
});
