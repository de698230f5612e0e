/**
 * Every name the stack gives a resource, in one place. `prod` keeps the plain names the monitor and the
 * README use (`hl-fills`, `/ecs/hl-monitor`, `HyperliquidMonitor`); any other stage is suffixed or
 * prefixed, so staging and production can live in one account without sharing anything.
 */
import type { TableRole } from "../monitor/src/storage/dynamodb/tables.ts";

export class Naming {
  readonly stage: string;

  constructor(stage: string) {
    this.stage = stage;
  }

  get isProd(): boolean {
    return this.stage === "prod";
  }

  /** `HyperliquidMonitor`, or `HyperliquidMonitor-staging`. */
  get stackName(): string {
    return this.#suffixed("HyperliquidMonitor");
  }

  get dashboardName(): string {
    return this.#suffixed("HyperliquidMonitor");
  }

  get logGroupName(): string {
    return `/ecs/${this.#suffixed("hl-monitor")}`;
  }

  get flowLogGroupName(): string {
    return `/vpc/${this.#suffixed("hl-monitor")}/rejected`;
  }

  get alertLogGroupName(): string {
    return `/aws/lambda/${this.#suffixed("hl-monitor-alerts")}`;
  }

  get alertFunctionName(): string {
    return this.#suffixed("hl-monitor-alerts");
  }

  /** Metric namespace; the monitor and the alert Lambda are told it (METRIC_NAMESPACE). */
  get metricNamespace(): string {
    return this.isProd ? "HyperliquidMonitor" : `HyperliquidMonitor/${this.stage}`;
  }

  /** The monitor's TABLE_PREFIX: `hl-` gives `hl-fills`; staging gets `hl-staging-fills`. */
  get tablePrefix(): string {
    return this.isProd ? "hl-" : `hl-${this.stage}-`;
  }

  tableName(role: TableRole): string {
    return `${this.tablePrefix}${role}`;
  }

  get deliveryTableName(): string {
    return `${this.tablePrefix}alert-deliveries`;
  }

  secretName(purpose: "credentials" | "supabase" | "alerts"): string {
    return `hl-monitor/${this.stage}/${purpose}`;
  }

  alarmName(what: string): string {
    return `${this.#suffixed("hl-monitor")}: ${what}`;
  }

  #suffixed(name: string): string {
    return this.isProd ? name : `${name}-${this.stage}`;
  }
}
