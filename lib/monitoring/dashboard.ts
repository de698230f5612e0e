/**
 * The CloudWatch dashboard: what a trader reads at a glance first (account value and realised PnL tiles, each
 * account's figures, the open positions, the latest closed positions and fills: Logs Insights over the
 * monitor's log lines, no extra metrics), then the account's history (value, PnL, margin and health), then
 * the monitor's own health (frames, reconnects, backfill, storage, alerts, CPU and memory) and the
 * alarms. Figures the monitor keeps as log fields rather than billed metrics (see
 * monitor/src/telemetry/metrics.ts) are charted with Logs Insights over its EMF lines.
 */
import { Duration } from "aws-cdk-lib";
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  GraphWidgetView,
  LogQueryVisualizationType,
  LogQueryWidget,
  SingleValueWidget,
  TextWidget,
} from "aws-cdk-lib/aws-cloudwatch";
import type { FargateService } from "aws-cdk-lib/aws-ecs";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { LogGroup } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { CLOSED_LINE, FILL_LINE, SNAPSHOT_LINE } from "../../monitor/src/telemetry/traderLog.ts";
import type { Naming } from "../naming.ts";
import type { MetricFactory } from "./metricFactory.ts";

export interface MonitorDashboardProps {
  naming: Naming;
  metrics: MetricFactory;
  services: readonly FargateService[];
  logGroup: LogGroup;
  alarms: readonly Alarm[];
  /** The chat commands Lambda: its invocations and errors get a graph (no alarm: the free tier's ten are spoken for). */
  commandsFunction?: IFunction;
}

const WIDTH = 24;

/**
 * The monitor's metric lines (one a minute). Not `ispresent(Heartbeat)`: the monitor leaves the heartbeat out
 * while a feed is down (monitor/src/telemetry/metrics.ts), and those are the minutes whose reconnects matter.
 */
const METRIC_LINES = "filter ispresent(FramesReceived)";

/**
 * The fields of the monitor's trader lines (monitor/src/telemetry/traderLog.ts) that the queries below read;
 * a test runs the monitor and checks each is in the line it is read from.
 */
export const TRADER_QUERY_FIELDS = {
  snapshot: ["account", "accountValue", "unrealizedPnl", "positions"],
  position: ["coin", "side", "size", "entryPx", "unrealizedPnl", "liquidationDistance"],
  fill: ["account", "coin", "side", "dir", "sz", "px", "closedPnl", "fee", "fillTime"],
  closed: ["account", "coin", "side", "closedSize", "entryPx", "exitPx", "realizedPnl", "fees", "liquidated"],
} as const;

const F = TRADER_QUERY_FIELDS;
const of = (line: string) => `filter msg = "${line}"`;

/** The Logs Insights queries of the trader's widgets, by widget. */
export const TRADER_QUERIES = {
  accounts: [
    of(SNAPSHOT_LINE),
    `stats latest(${F.snapshot[1]}) as accountValueUsd, latest(${F.snapshot[2]}) as unrealisedPnlUsd, max(@timestamp) as asOf by ${F.snapshot[0]}`,
  ],
  realisedPerDay: [
    of(CLOSED_LINE),
    "fields datefloor(@timestamp, 1d) as dayUtc",
    `stats sum(${F.closed[6]}) as realisedPnlUsd, sum(${F.closed[7]}) as feesUsd, count(*) as closed by dayUtc, ${F.closed[0]}`,
    "sort dayUtc desc",
  ],
  // The latest snapshot of each account (dedup keeps the first line per account after the sort), one
  // row per position (unnest: DOCS CWL_QuerySyntax-Unnest).
  openPositions: [
    "fields jsonParse(@message) as line",
    of(SNAPSHOT_LINE),
    "sort @timestamp desc",
    `dedup ${F.snapshot[0]}`,
    `unnest line.${F.snapshot[3]} into position`,
    `fields ${F.position.map((field) => `position.${field} as ${field}`).join(", ")}`,
    `display @timestamp, ${F.snapshot[0]}, ${F.position.join(", ")}`,
  ],
  closedPositions: [
    of(CLOSED_LINE),
    "sort @timestamp desc",
    `display @timestamp, ${F.closed.join(", ")}`,
    "limit 20",
  ],
  fills: [of(FILL_LINE), "sort @timestamp desc", `display @timestamp, ${F.fill.join(", ")}`, "limit 30"],
} as const;

export class MonitorDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitorDashboardProps) {
    super(scope, id);
    const { metrics: m, naming } = props;
    const hourly = Duration.hours(1);

    this.dashboard = new Dashboard(this, "Dashboard", {
      dashboardName: naming.dashboardName,
      defaultInterval: Duration.days(1),
    });

    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Hyperliquid monitor (${naming.stage})\nThe tiles and graphs sum the monitored accounts (margin ratio: the worst; health: the lowest); the tables show each account, from the monitor's log lines. Full per-account history is in the database.`,
        width: WIDTH,
        height: 2,
      }),
    );
    const table = (title: string, queryLines: readonly string[], width: number, height = 6) =>
      new LogQueryWidget({
        title,
        logGroupNames: [props.logGroup.logGroupName],
        queryLines: [...queryLines],
        view: LogQueryVisualizationType.TABLE,
        width,
        height,
      });
    // At a glance: the figures, then the positions, then what happened.
    this.dashboard.addWidgets(
      new SingleValueWidget({
        title: "Account value (USD, all accounts)",
        metrics: [m.monitor("AccountValue", "Average", Duration.minutes(5), "account value")],
        width: 6,
        height: 4,
      }),
      new SingleValueWidget({
        title: "Realised PnL, net of fees (USD, over the time range)",
        metrics: [m.monitor("RealizedPnl", "Sum", Duration.minutes(5), "realised PnL")],
        setPeriodToTimeRange: true,
        width: 6,
        height: 4,
      }),
      table("Each account: value and unrealised PnL (latest snapshot)", TRADER_QUERIES.accounts, 12, 4),
    );
    this.dashboard.addWidgets(
      table(
        "Open positions (each account's latest snapshot; liquidationDistance = |mark − liq| / mark)",
        TRADER_QUERIES.openPositions,
        16,
      ),
      table("Realised PnL per UTC day and account (today first)", TRADER_QUERIES.realisedPerDay, 8),
    );
    this.dashboard.addWidgets(
      table("Latest closed positions", TRADER_QUERIES.closedPositions, 12),
      table("Latest fills", TRADER_QUERIES.fills, 12),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: "Account value and unrealised PnL (USD)",
        left: [m.monitor("AccountValue", "Average", Duration.minutes(5), "account value")],
        right: [m.monitor("UnrealizedPnl", "Average", Duration.minutes(5), "unrealised PnL")],
        width: 12,
      }),
      new GraphWidget({
        title: "Realised PnL per hour, net of fees (USD)",
        left: [m.monitor("RealizedPnl", "Sum", hourly, "realised PnL")],
        view: GraphWidgetView.BAR,
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: "Margin ratio (worst) and health score (lowest)",
        left: [m.monitor("MarginRatio", "Maximum", Duration.minutes(5), "margin ratio")],
        right: [m.monitor("HealthScore", "Minimum", Duration.minutes(5), "health score")],
        width: 12,
      }),
      new GraphWidget({
        title: "Open positions and fills stored",
        left: [m.monitor("OpenPositions", "Maximum", Duration.minutes(5), "open positions")],
        right: [m.monitor("FillsStored", "Sum", hourly, "fills per hour")],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new LogQueryWidget({
        title: "Frames, reconnects and backfilled fills (from the monitor's metric log lines)",
        logGroupNames: [props.logGroup.logGroupName],
        queryLines: [
          METRIC_LINES,
          "stats sum(FramesReceived) as frames, sum(Reconnects) as reconnects, sum(BackfilledFills) as backfilled, sum(FramesMalformed) as malformed by bin(15m)",
        ],
        view: LogQueryVisualizationType.LINE,
        width: 12,
      }),
      new GraphWidget({
        title: "Storage errors and alerts",
        left: [m.monitor("StorageErrors", "Sum", Duration.minutes(5), "storage errors")],
        right: [m.alertsDelivered(), m.alertChannelFailures().with({ label: "alerts a channel refused" })],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new LogQueryWidget({
        title: "Alerts published and writes pending or dropped",
        logGroupNames: [props.logGroup.logGroupName],
        queryLines: [
          METRIC_LINES,
          "stats sum(AlertsPublished) as alerts, sum(AlertPublishFailures) as publishFailures, max(PendingWrites) as pendingWrites, sum(WritesDropped) as dropped by bin(15m)",
        ],
        view: LogQueryVisualizationType.LINE,
        width: 12,
      }),
      new GraphWidget({
        title: "Task CPU and memory (% of 0.25 vCPU / 512 MiB)",
        left: props.services.flatMap((service) => [m.serviceCpu(service), m.serviceMemory(service)]),
        leftYAxis: { min: 0, max: 100 },
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        // The heartbeat is emitted once a minute only while every feed is live (open, acknowledged, data
        // within a minute): a bar below 5 is minutes the accounts were not fully watched.
        title:
          "Minutes with every feed live, per 5 minutes (the Heartbeat; 'monitor silent' after 5 without)",
        // With shards, each shard's own heartbeat (the plain one counts every shard's).
        left:
          props.services.length > 1
            ? props.services.map((_, shard) =>
                m.shardHeartbeat(shard).with({ period: Duration.minutes(5), label: `shard ${shard}` }),
              )
            : [
                m.monitor(
                  "Heartbeat",
                  "SampleCount",
                  Duration.minutes(5),
                  "minutes with every feed live (of 5)",
                ),
              ],
        leftYAxis: { min: 0, max: 6 },
        leftAnnotations: [{ value: 5, label: "all 5 minutes live" }],
        width: WIDTH,
        height: 4,
      }),
    );
    if (props.commandsFunction) {
      const fn = props.commandsFunction;
      this.dashboard.addWidgets(
        new GraphWidget({
          title: "Chat commands: requests, errors and throttles per 5 minutes (Telegram and Discord)",
          left: [
            fn.metricInvocations({ period: Duration.minutes(5), label: "requests" }),
            fn.metricErrors({ period: Duration.minutes(5), label: "errors" }),
            fn.metricThrottles({ period: Duration.minutes(5), label: "throttled (over 2 at once)" }),
          ],
          width: WIDTH,
          height: 5,
        }),
      );
    }
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: "Alarms", alarms: [...props.alarms], width: WIDTH, height: 4 }),
    );
  }
}
