/**
 * The CloudWatch dashboard: the account first (value, PnL, margin and health, positions, fills), then
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
  TextWidget,
} from "aws-cdk-lib/aws-cloudwatch";
import type { FargateService } from "aws-cdk-lib/aws-ecs";
import type { LogGroup } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { Naming } from "../naming.ts";
import type { MetricFactory } from "./metricFactory.ts";

export interface MonitorDashboardProps {
  naming: Naming;
  metrics: MetricFactory;
  services: readonly FargateService[];
  logGroup: LogGroup;
  alarms: readonly Alarm[];
}

const WIDTH = 24;

/**
 * The monitor's metric lines (one a minute). Not `ispresent(Heartbeat)`: the monitor leaves the heartbeat out
 * while a feed is down (monitor/src/telemetry/metrics.ts), and those are the minutes whose reconnects matter.
 */
const METRIC_LINES = "filter ispresent(FramesReceived)";

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
        markdown: `# Hyperliquid monitor (${naming.stage})\nAccount figures are summed over the monitored accounts (margin ratio: the worst; health: the lowest). Per-account history is in the database.`,
        width: WIDTH,
        height: 2,
      }),
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
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: "Alarms", alarms: [...props.alarms], width: WIDTH, height: 4 }),
    );
  }
}
