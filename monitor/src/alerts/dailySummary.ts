/**
 * The optional daily summary of an account: realised PnL of the positions closed, fills, volume, fees and
 * funding over one UTC day. Pure: the caller loads the day's records.
 */
import { ALERT_SCHEMA, type AlertEvent, MAX_CHART_POINTS } from "../../../lambda-alerts/src/alertEvent.ts";
import { dec, str } from "../domain/decimal.ts";
import { cumulativePnlSeries } from "../domain/pnlSeries.ts";
import type { ClosedPosition, Fill } from "../domain/types.ts";
import { exact, signed, signedRounded } from "./format.ts";
import type { AlertLinks } from "./links.ts";

export interface DailyActivity {
  account: string;
  /** Start of the UTC day, ms. */
  dayStart: number;
  fills: readonly Fill[];
  closed: readonly ClosedPosition[];
  /** Funding payments of the day (USDC, positive = received), or null when they could not be fetched. */
  funding: readonly string[] | null;
  accountValue: string | null;
  /**
   * Positions closed over the chart's period (the 30 days up to the end of the day; more is ignored):
   * the summary carries their cumulative realised PnL as chart points and the delivery side draws it.
   * Omitted: no chart.
   */
  chartClosed?: readonly ClosedPosition[];
}

export const SUMMARY_CHART_DAYS = 30;

export function dailySummaryAlert(day: DailyActivity, links: AlertLinks): AlertEvent {
  const date = new Date(day.dayStart).toISOString().slice(0, 10);
  const realised = day.closed.reduce((sum, position) => sum.plus(position.realizedPnl), dec(0));
  const fees = day.fills.reduce((sum, fill) => sum.plus(fill.fee), dec(0));
  const volume = day.fills.reduce((sum, fill) => sum.plus(dec(fill.px).times(fill.sz)), dec(0));
  const wins = day.closed.filter((position) => dec(position.realizedPnl).isPositive()).length;
  const funding = day.funding === null ? null : day.funding.reduce((sum, usdc) => sum.plus(usdc), dec(0));
  const fields: AlertEvent["fields"] = [
    { label: "Realised PnL (net of fees)", value: `${signed(realised)} USDC` },
    { label: "Positions closed", value: `${day.closed.length} (${wins} in profit)` },
    { label: "Fills", value: String(day.fills.length) },
    { label: "Volume", value: `${str(volume)} USDC` },
    { label: "Fees", value: `${exact(fees)} USDC` },
    { label: "Funding", value: funding === null ? "unavailable" : `${signed(funding)} USDC` },
  ];
  if (day.accountValue !== null)
    fields.push({ label: "Account value", value: `${exact(day.accountValue)} USDC` });
  const dayEnd = day.dayStart + 86_400_000 - 1;
  const chart =
    day.chartClosed === undefined
      ? {}
      : {
          chart: {
            title: `Realised PnL, last ${SUMMARY_CHART_DAYS} days to ${date} (UTC)`,
            cumulativePnl: cumulativePnlSeries(
              day.chartClosed,
              { from: dayEnd + 1 - SUMMARY_CHART_DAYS * 86_400_000, to: dayEnd },
              MAX_CHART_POINTS,
            ),
          },
        };
  return {
    schema: ALERT_SCHEMA,
    key: `daily_summary:${day.account}:${date}`,
    kind: "daily_summary",
    severity: "info",
    title: `Daily summary ${date}: ${signedRounded(realised)} USDC`,
    summary: `Trading on ${date} (UTC).`,
    account: day.account,
    coin: null,
    time: day.dayStart + 86_400_000,
    fields,
    links: links.account(day.account),
    ...chart,
  };
}
