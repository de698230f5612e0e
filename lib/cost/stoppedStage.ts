/**
 * The monthly cost of a stage deployed stopped (`--context desired_count=0`), as the deploy pipeline
 * deploys staging: it runs its task(s) only while bin/smoke-check.ts --scale-from-zero checks a release,
 * and between releases costs what a stack with no task costs. Pure, like estimate.ts.
 */
import type { DbMode } from "../deploymentSettings.ts";
import { TASK_CPU, TASK_MEMORY_MIB } from "../monitorService.ts";
import { type CostItem, customMetricCount, secretCount } from "./estimate.ts";
import { HOURS_PER_MONTH, PRICES } from "./prices.ts";

/**
 * Assumed unless told: a release on about every working day, and a quarter of an hour of task per check
 * (the image pulled and started, the services stable, the first whole minute of heartbeat, the scale
 * back to zero; the smoke check gives up after 12 + 10 minutes at most).
 */
export const STAGING_RELEASES_PER_MONTH = 20;
export const STAGING_CHECK_MINUTES = 15;

export interface StoppedStageInput {
  mode: DbMode;
  shards: number;
  spot: boolean;
  releasesPerMonth: number;
  checkMinutes: number;
}

/** A metrics line a minute per task, as in estimate.ts, and its flow-log share. */
const LOG_BYTES_PER_TASK_MINUTE = 1_300 + 500_000 / 1440;
const GB = 1e9;

const usd = (value: number) => `$${Number(value.toPrecision(6))}`;

export function estimateStoppedStageCost(input: StoppedStageInput): {
  taskHours: number;
  items: CostItem[];
  totalUsd: number;
} {
  const p = PRICES;
  const tasks = input.shards;
  const hours = (input.releasesPerMonth * input.checkMinutes) / 60;
  const vcpu = TASK_CPU / 1024;
  const memoryGb = TASK_MEMORY_MIB / 1024;
  const discount = input.spot ? 1 - p.fargateSpotDiscount : 1;
  const items: CostItem[] = [];
  const add = (item: string, quantity: string, unitPrice: string, monthlyUsd: number) =>
    items.push({ item, quantity, unitPrice, monthlyUsd });
  const running = `${tasks} × ${Number(hours.toFixed(2))} h`;

  add(
    `Fargate ${input.spot ? "Spot " : ""}ARM64 compute (only during checks)`,
    `${running} × (${vcpu} vCPU + ${memoryGb} GB)`,
    `${usd(p.fargateArmVcpuHour * discount)}/vCPU-h, ${usd(p.fargateArmGbHour * discount)}/GB-h`,
    tasks * hours * (vcpu * p.fargateArmVcpuHour + memoryGb * p.fargateArmGbHour) * discount,
  );
  // The address belongs to the task: none while the service has no task.
  add(
    "Public IPv4 address (only during checks)",
    running,
    `${usd(p.publicIpv4Hour)}/h`,
    tasks * hours * p.publicIpv4Hour,
  );
  const metrics = customMetricCount(input.shards);
  // Billed by the hours a metric has data; prod's metrics already use the free tier's ten.
  add(
    "CloudWatch custom metrics (hours with data)",
    `${metrics} × ${Number(hours.toFixed(2))} h of ${HOURS_PER_MONTH}`,
    `${usd(p.customMetricMonth)}/metric-month`,
    metrics * (hours / HOURS_PER_MONTH) * p.customMetricMonth,
  );
  add("CloudWatch alarms", "none: a stopped stage has no alarms", "", 0);
  add(
    "CloudWatch dashboard",
    `1 (free tier ${p.freeDashboards}, prod's included)`,
    `${usd(p.dashboardMonth)}/dashboard`,
    0,
  );
  const logGb = (tasks * hours * 60 * LOG_BYTES_PER_TASK_MINUTE) / GB;
  add(
    "CloudWatch Logs ingestion",
    `${logGb.toFixed(4)} GB`,
    `${usd(p.logsIngestGb)}/GB`,
    logGb * p.logsIngestGb,
  );
  const secrets = secretCount(input.mode);
  add(
    "Secrets Manager",
    `${secrets} secrets (billed whether a task runs or not)`,
    `${usd(p.secretMonth)}/secret`,
    secrets * p.secretMonth + ((tasks * input.releasesPerMonth) / 10_000) * p.secretApiCalls10k,
  );
  if (input.mode === "dynamodb") {
    add("DynamoDB (on-demand, idle between checks)", "a few thousand writes, ~0 GB", "", 0);
  }

  const totalUsd = items.reduce((sum, item) => sum + item.monthlyUsd, 0);
  return { taskHours: hours, items, totalUsd };
}
