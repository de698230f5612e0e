/**
 * Every name the stack gives a resource, in one place. `prod` keeps the plain names the monitor, the
 * README and the specification's runbook use (`hl-fills`, `/ecs/hl-monitor`, `HyperliquidMonitor`,
 * `hl-monitor-cluster`, `hl-monitor/supabase`); any other stage is suffixed or prefixed, so staging and
 * production can live in one account without sharing anything.
 *
 * A fixed name is a promise: CloudFormation replaces a resource whose name changes (a new, empty secret;
 * a new cluster and service), so these names change only with a migration note in docs/deploy.md.
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

  /** The Spot capacity fallback's Lambda (lib/capacityFallback.ts) and its log group. */
  get capacityFunctionName(): string {
    return this.#suffixed("hl-monitor-capacity");
  }

  get capacityLogGroupName(): string {
    return `/aws/lambda/${this.capacityFunctionName}`;
  }

  get commandsLogGroupName(): string {
    return `/aws/lambda/${this.#suffixed("hl-monitor-commands")}`;
  }

  /** The chat commands Lambda (Telegram webhook and Discord interactions). */
  get commandsFunctionName(): string {
    return this.#suffixed("hl-monitor-commands");
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

  /** `hl-monitor-cluster` (the runbook's `--cluster hl-monitor-cluster`), or `hl-monitor-cluster-staging`. */
  get clusterName(): string {
    return this.#suffixed("hl-monitor-cluster");
  }

  /**
   * `hl-monitor-service` (`hl-monitor-service-staging`); with more than one shard each service is
   * numbered by its shard: `hl-monitor-service-0`, `hl-monitor-service-staging-2`.
   */
  serviceName(shard: number, shards: number): string {
    const name = this.#suffixed("hl-monitor-service");
    return shards > 1 ? `${name}-${shard}` : name;
  }

  /** The specification's `hl-monitor/credentials` in prod; `hl-monitor/staging/credentials` otherwise. */
  secretName(purpose: "credentials" | "supabase" | "alerts"): string {
    return this.isProd ? `hl-monitor/${purpose}` : `hl-monitor/${this.stage}/${purpose}`;
  }

  alarmName(what: string): string {
    return `${this.#suffixed("hl-monitor")}: ${what}`;
  }

  #suffixed(name: string): string {
    return this.isProd ? name : `${name}-${this.stage}`;
  }
}
