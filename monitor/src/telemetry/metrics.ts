/**
 * Metrics as CloudWatch Embedded Metric Format (EMF): one JSON line per flush on stdout, which CloudWatch
 * Logs turns into metrics in the `HyperliquidMonitor` namespace without any API call or agent.
 *
 * Every distinct (name, dimensions) pair is a billed custom metric, so the monitor emits no dimensions at
 * all: account figures are aggregated over the monitored accounts (value and PnL summed, margin ratio
 * the worst, health the lowest). Per-account detail lives in the database.
 */

import { writeSync } from "node:fs";

export const METRIC_NAMESPACE = "HyperliquidMonitor";

/** Counters accumulate between flushes and are emitted as the count for that interval. */
export const COUNTERS = {
  FramesReceived: "Count",
  FramesMalformed: "Count",
  FramesUnknown: "Count",
  Reconnects: "Count",
  FillsStored: "Count",
  BackfilledFills: "Count",
  PositionsClosed: "Count",
  OrderUpdates: "Count",
  TradesCounted: "Count",
  TradesDuplicate: "Count",
  StorageErrors: "Count",
  WritesDropped: "Count",
  RestRequests: "Count",
  RestRateLimited: "Count",
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
} as const;

export type CounterName = keyof typeof COUNTERS;
export type GaugeName = keyof typeof GAUGES;

export class Metrics {
  readonly #counters = new Map<CounterName, number>();
  readonly #gauges = new Map<GaugeName, number>();
  /** Totals since start, for the demo summary and tests (never reset by a flush). */
  readonly #totals = new Map<CounterName, number>();
  readonly #write: (line: string) => void;

  /** Writes synchronously by default, so the final flush before an exit reaches CloudWatch. */
  constructor(write: (line: string) => void = (line) => writeSync(1, `${line}\n`)) {
    this.#write = write;
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

  /** Emits one EMF document with every counter of the interval (zeros included), the gauges and a heartbeat. */
  flush(now = Date.now()): void {
    const values: Record<string, number> = { Heartbeat: 1 };
    const definitions: { Name: string; Unit: string }[] = [{ Name: "Heartbeat", Unit: "Count" }];
    for (const [name, unit] of Object.entries(COUNTERS) as [CounterName, string][]) {
      values[name] = this.#counters.get(name) ?? 0;
      definitions.push({ Name: name, Unit: unit });
    }
    for (const [name, unit] of Object.entries(GAUGES) as [GaugeName, string][]) {
      const value = this.#gauges.get(name);
      if (value === undefined) continue;
      values[name] = value;
      definitions.push({ Name: name, Unit: unit });
    }
    this.#counters.clear();
    this.#write(
      JSON.stringify({
        _aws: {
          Timestamp: now,
          CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[]], Metrics: definitions }],
        },
        ...values,
      }),
    );
  }
}
