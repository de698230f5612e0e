/**
 * Metrics as CloudWatch Embedded Metric Format (EMF): one JSON line per flush on stdout, which CloudWatch
 * Logs turns into metrics in the `HyperliquidMonitor` namespace without any API call or agent.
 *
 * Every distinct (name, dimensions) pair is a billed custom metric ($0.30 a month each beyond the ten the
 * CloudWatch free tier covers), so the monitor emits no dimensions: account figures are aggregated over
 * the monitored accounts (value and PnL summed, margin ratio the worst, health the lowest), and by default
 * only the nine ESSENTIAL_METRICS are declared as metrics (the alert Lambda's `AlertsDelivered` is the
 * tenth). Every other figure is still in the same JSON line as a plain log field, which Logs Insights (and
 * the dashboard's log widgets) can chart at no metric cost; `METRICS=all` declares them all.
 * Per-account detail lives in the database.
 */

import { writeSync } from "node:fs";

/** The default namespace; a deployment's stage other than prod gets its own (METRIC_NAMESPACE). */
export const METRIC_NAMESPACE = "HyperliquidMonitor";

/** Counters accumulate between flushes and are emitted as the count for that interval. */
export const COUNTERS = {
  FramesReceived: "Count",
  FramesMalformed: "Count",
  FramesUnknown: "Count",
  /** Re-opened sockets plus connection attempts that never opened (refused, DNS, TLS, timeout). */
  Reconnects: "Count",
  FillsStored: "Count",
  BackfilledFills: "Count",
  /** Fills (REST or socket) that failed validation and were skipped. */
  FillsInvalid: "Count",
  PositionsClosed: "Count",
  OrderUpdates: "Count",
  TradesCounted: "Count",
  TradesDuplicate: "Count",
  StorageErrors: "Count",
  WritesDropped: "Count",
  RestRequests: "Count",
  RestRateLimited: "Count",
  /** Builder-deployed perp dexes (HIP-3) an account started following (a position or order found there). */
  PerpDexesFollowed: "Count",
  /** Alerts handed to SNS (or straight to the chat channels), and publish attempts that failed. */
  AlertsPublished: "Count",
  AlertPublishFailures: "Count",
  /** Σ realised PnL of the positions closed in the interval (a display figure; stored values stay exact). */
  RealizedPnl: "None",
} as const;

/** Gauges hold their last value. */
export const GAUGES = {
  AccountValue: "None",
  UnrealizedPnl: "None",
  MarginRatio: "None",
  HealthScore: "None",
  Leverage: "None",
  OpenPositions: "Count",
  MinLiquidationDistance: "None",
  PendingWrites: "Count",
  /** WebSocket subscriptions held over all connections (Hyperliquid allows 1000 per IP). */
  WsSubscriptions: "Count",
} as const;

export type CounterName = keyof typeof COUNTERS;
export type GaugeName = keyof typeof GAUGES;
export type MetricName = "Heartbeat" | CounterName | GaugeName;

/** What the dashboard and alarms need; within the free tier together with the Lambda's one metric. */
export const ESSENTIAL_METRICS: readonly MetricName[] = [
  "Heartbeat",
  "AccountValue",
  "UnrealizedPnl",
  "RealizedPnl",
  "MarginRatio",
  "HealthScore",
  "OpenPositions",
  "FillsStored",
  "StorageErrors",
];

/** With several shards, each also says it is alive under its own `Shard` dimension (one metric per shard). */
export const SHARD_HEARTBEAT = "ShardHeartbeat";
export const SHARD_DIMENSION = "Shard";

export type MetricsDetail = "essential" | "all";

export interface MetricsOptions {
  /** Which figures are declared as CloudWatch metrics; the rest stay log fields. Default `essential`. */
  detail?: MetricsDetail;
  /** This task's shard when the deployment has more than one. */
  shard?: { index: number; count: number } | null;
  namespace?: string;
}

export class Metrics {
  readonly #counters = new Map<CounterName, number>();
  readonly #gauges = new Map<GaugeName, number>();
  /** Totals since start, for the demo summary and tests (never reset by a flush). */
  readonly #totals = new Map<CounterName, number>();
  readonly #write: (line: string) => void;
  readonly #declared: (name: MetricName) => boolean;
  readonly #shard: { index: number; count: number } | null;
  readonly #namespace: string;

  /** Writes synchronously by default, so the final flush before an exit reaches CloudWatch. */
  constructor(
    write: (line: string) => void = (line) => writeSync(1, `${line}\n`),
    options: MetricsOptions = {},
  ) {
    this.#write = write;
    const essential = new Set(ESSENTIAL_METRICS);
    this.#declared = options.detail === "all" ? () => true : (name) => essential.has(name);
    this.#shard = options.shard && options.shard.count > 1 ? options.shard : null;
    this.#namespace = options.namespace ?? METRIC_NAMESPACE;
  }

  count(name: CounterName, by = 1): void {
    if (by === 0) return;
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + by);
    this.#totals.set(name, (this.#totals.get(name) ?? 0) + by);
  }

  gauge(name: GaugeName, value: number | null): void {
    if (value === null || !Number.isFinite(value)) this.#gauges.delete(name);
    else this.#gauges.set(name, value);
  }

  total(name: CounterName): number {
    return this.#totals.get(name) ?? 0;
  }

  /**
   * Emits one EMF document with every counter of the interval (zeros included), the gauges and, when
   * `heartbeat` (the monitor passes "every feed is live"), a heartbeat; only the declared ones become
   * metrics. With shards, a second small document carries the shard's own heartbeat, under the same rule.
   * No heartbeat is what the "monitor silent" alarm waits for: a process that runs but watches nothing.
   */
  flush(now = Date.now(), { heartbeat = true }: { heartbeat?: boolean } = {}): void {
    const values: Record<string, number> = heartbeat ? { Heartbeat: 1 } : {};
    const definitions: { Name: string; Unit: string }[] = heartbeat
      ? [{ Name: "Heartbeat", Unit: "Count" }]
      : [];
    const add = (name: CounterName | GaugeName, unit: string, value: number) => {
      values[name] = value;
      if (this.#declared(name)) definitions.push({ Name: name, Unit: unit });
    };
    for (const [name, unit] of Object.entries(COUNTERS) as [CounterName, string][]) {
      add(name, unit, this.#counters.get(name) ?? 0);
    }
    for (const [name, unit] of Object.entries(GAUGES) as [GaugeName, string][]) {
      const value = this.#gauges.get(name);
      if (value !== undefined) add(name, unit, value);
    }
    this.#counters.clear();
    this.#write(
      JSON.stringify({
        _aws: {
          Timestamp: now,
          CloudWatchMetrics: [{ Namespace: this.#namespace, Dimensions: [[]], Metrics: definitions }],
        },
        ...values,
      }),
    );
    if (this.#shard && heartbeat) {
      this.#write(
        JSON.stringify({
          _aws: {
            Timestamp: now,
            CloudWatchMetrics: [
              {
                Namespace: this.#namespace,
                Dimensions: [[SHARD_DIMENSION]],
                Metrics: [{ Name: SHARD_HEARTBEAT, Unit: "Count" }],
              },
            ],
          },
          [SHARD_DIMENSION]: String(this.#shard.index),
          [SHARD_HEARTBEAT]: 1,
        }),
      );
    }
  }
}
