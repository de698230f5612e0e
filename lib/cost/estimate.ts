/**
 * The monthly cost of a deployment, item by item, from the unit prices in prices.ts and a model of
 * what the monitor does (writes per fill, snapshots and CVD buckets per minute, log bytes). Pure: the
 * `npm run cost` command prints it, the stack tests check its counts against the synthesized stack.
 */
import { QUIET_PERIOD_MS } from "../../lambda-alerts/src/capacity/capacityDecision.ts";
import { ESSENTIAL_METRICS } from "../../monitor/src/telemetry/metrics.ts";
import { ALERT_LAMBDA_MEMORY_MB } from "../alerting.ts";
import { COMMANDS_MEMORY_MB } from "../commands.ts";
import type { DbMode } from "../deploymentSettings.ts";
import { alarmCount } from "../monitoring/alarms.ts";
import { TASK_CPU, TASK_MEMORY_MIB } from "../monitorService.ts";
import { SECRET_KEYS } from "../secrets.ts";
import { DAYS_PER_MONTH, HOURS_PER_MONTH, PRICES } from "./prices.ts";

export const ACTIVITY_LEVELS = {
  quiet: { fillsPerDay: 20, alertsPerDay: 2, commandsPerDay: 20 },
  moderate: { fillsPerDay: 200, alertsPerDay: 10, commandsPerDay: 100 },
  busy: { fillsPerDay: 2_000, alertsPerDay: 60, commandsPerDay: 300 },
} as const;
export type ActivityLevel = keyof typeof ACTIVITY_LEVELS;

export interface CostInput {
  mode: DbMode;
  accounts: number;
  fillsPerDay: number;
  alertsPerDay: number;
  /** Telegram and Discord commands answered by the commands Lambda (none when left out). */
  commandsPerDay?: number;
  shards: number;
  spot: boolean;
  /** Coins whose CVD is recorded (default: BTC, ETH and about one more with an open position). */
  cvdCoins: number;
  /**
   * Share of those coins' minutes with at least one trade: a minute without trades writes nothing
   * (default 1: the default coins trade every minute). CVD_COINS=all: CVD_ALL_TRADED_SHARE.
   */
  cvdTradedShare?: number;
  /** Hours a month each task runs on on-demand FARGATE after a Spot shortage (default FALLBACK_HOURS_PER_MONTH). */
  fallbackHours?: number;
}

/**
 * The Spot capacity fallback (lib/capacityFallback.ts): expected hours a month on on-demand FARGATE.
 * AWS publishes no interruption or shortage rate for Fargate Spot; the Spot Instance Advisor's lowest EC2
 * band is "under 5 %" of instances interrupted a month. An interruption alone needs no fallback (the
 * replacement finds Spot capacity in one of three zones, normally within two minutes); a shortage does.
 * Assumed: two shortages a month, each held on on-demand for the six-hour quiet period: 12 h, 1.6 % of
 * the month. `npm run cost -- --fallback-hours N` prices another figure (730: a whole month on-demand).
 */
export const FALLBACK_SHORTAGES_PER_MONTH = 2;
export const FALLBACK_HOURS_PER_MONTH = FALLBACK_SHORTAGES_PER_MONTH * (QUIET_PERIOD_MS / 3_600_000);
/**
 * The fallback's invocations: ECS's periodic steady-state reports (assumed about four a day per service:
 * the interval is not documented) and the switches' own events; far inside Lambda's free tier.
 */
const CAPACITY_INVOCATIONS_PER_SERVICE_MONTH = 4 * 31 + 10;

/**
 * CVD_COINS=all, from the real mainnet market of June 2025 (test/fixtures/hyperliquid/ws-webData2-frames-1.json,
 * `meta` and `assetCtxs`; test/cdk/cost.test.ts derives both figures from it again): 171 listed perps
 * (199 less 28 delisted), $7.03 B traded a day. A coin's trades a minute = its day volume / 1440 / the
 * mean trade notional, taken as $458 (the mean of the 500 real fills in info-userFills-1.json, for want
 * of a published figure); a minute has a trade with probability 1 − e^(−rate) (trades as a Poisson
 * stream). Summed: ~96 of the 171 coins trade in a given minute. Real trades come in bursts, so fewer
 * minutes have one: an upper estimate of the writes.
 */
export const CVD_ALL_LISTED_COINS = 171;
export const CVD_ALL_TRADED_SHARE = 0.56;

export interface CostItem {
  item: string;
  quantity: string;
  unitPrice: string;
  monthlyUsd: number;
}

/**
 * DynamoDB writes per fill, from the store's design (monitor/src/storage/dynamodb/tables.ts): the fill
 * item and its `byTime` index entry (an LSI write is a write), the position's current state, about two
 * order updates (placed, filled), and a share of cursor updates and closed-position items.
 */
export const WRITES_PER_FILL = 1 + 1 + 1 + 2 + 0.2 + 0.1;
/** Log bytes: a metrics line a minute (~1.3 KB), ~1 KB of log per fill, ~3 KB per alert (monitor + Lambda). */
const LOG_BYTES_PER_MINUTE = 1_300;
const LOG_BYTES_PER_FILL = 1_000;
const LOG_BYTES_PER_ALERT = 3_000;
/** The commands Lambda: its START/END/REPORT lines and a line or two of its own per request. */
const LOG_BYTES_PER_COMMAND = 1_500;
/**
 * Read units per command (eventually consistent: half a unit per 4 KB): `/pnl` queries 24 account-value
 * points and the period's closed positions per account, the others a query or two.
 */
const READ_UNITS_PER_COMMAND = 15;
/** The commands Lambda's memory (lib/commands.ts) and a typical request's duration, store reads included. */
const COMMANDS_MEMORY_GB = COMMANDS_MEMORY_MB / 1024;
const COMMAND_SECONDS = 0.5;
/** Rejected-connection flow log records against one public IP: a few hundred kilobytes a day. */
const FLOW_LOG_BYTES_PER_DAY_PER_TASK = 500_000;
const GB = 1e9;

/**
 * Metrics with data every hour. The Lambda's AlertChannelFailures is not among them: it is emitted only in
 * the minutes a channel refuses an alert, and CloudWatch bills a custom metric by the hours it has data
 * ($0.30 / 730 h, about $0.0004 for each such hour) — nothing while every channel works.
 */
export function customMetricCount(shards: number): number {
  // The monitor's essential metrics, the Lambda's AlertsDelivered, and one heartbeat per shard when sharded.
  return ESSENTIAL_METRICS.length + 1 + (shards > 1 ? shards : 0);
}

export function secretCount(mode: DbMode): number {
  return Object.keys(SECRET_KEYS).filter((purpose) => mode === "supabase" || purpose !== "supabase").length;
}

/** A unit price as AWS writes it: up to six significant digits, no trailing zeros. */
const usd = (value: number) => `$${Number(value.toPrecision(6))}`;
const count = (value: number) => Math.round(value).toLocaleString("en-US");

export function estimateMonthlyCost(input: CostInput): { items: CostItem[]; totalUsd: number } {
  const p = PRICES;
  const tasks = input.shards;
  const commandsPerDay = input.commandsPerDay ?? 0;
  const vcpu = TASK_CPU / 1024;
  const memoryGb = TASK_MEMORY_MIB / 1024;
  const discount = input.spot ? 1 - p.fargateSpotDiscount : 1;
  const vcpuHour = p.fargateArmVcpuHour * discount;
  const gbHour = p.fargateArmGbHour * discount;
  const items: CostItem[] = [];
  const add = (item: string, quantity: string, unitPrice: string, monthlyUsd: number) =>
    items.push({ item, quantity, unitPrice, monthlyUsd });

  // On Spot, the fallback's hours run on on-demand instead: the month's hours are split between the two.
  const fallbackHours = input.spot
    ? Math.min(input.fallbackHours ?? FALLBACK_HOURS_PER_MONTH, HOURS_PER_MONTH)
    : 0;
  const mainHours = HOURS_PER_MONTH - fallbackHours;
  add(
    `Fargate ${input.spot ? "Spot " : ""}ARM64 compute`,
    `${tasks} × ${vcpu} vCPU × ${mainHours} h + ${tasks} × ${memoryGb} GB × ${mainHours} h`,
    `${usd(vcpuHour)}/vCPU-h, ${usd(gbHour)}/GB-h${input.spot ? ` (on-demand −${p.fargateSpotDiscount * 100} %)` : ""}`,
    tasks * mainHours * (vcpu * vcpuHour + memoryGb * gbHour),
  );
  if (input.spot) {
    add(
      "Fargate on-demand ARM64 (Spot fallback)",
      `${tasks} × ${fallbackHours} h ${input.fallbackHours === undefined ? `expected (${FALLBACK_SHORTAGES_PER_MONTH} Spot shortages × ${QUIET_PERIOD_MS / 3_600_000} h)` : "(--fallback-hours)"}`,
      `${usd(p.fargateArmVcpuHour)}/vCPU-h, ${usd(p.fargateArmGbHour)}/GB-h`,
      tasks * fallbackHours * (vcpu * p.fargateArmVcpuHour + memoryGb * p.fargateArmGbHour),
    );
    const invocations = tasks * CAPACITY_INVOCATIONS_PER_SERVICE_MONTH;
    add(
      "Spot fallback: EventBridge rules, capacity Lambda",
      `2 rules on AWS events (free), ~${count(invocations)} invocations (free tier 1 M)`,
      `${usd(p.lambdaRequestMillion)}/million`,
      (Math.max(0, invocations - p.freeLambdaRequests) / 1e6) * p.lambdaRequestMillion,
    );
  }
  add(
    "Public IPv4 address",
    `${tasks} × ${HOURS_PER_MONTH} h`,
    `${usd(p.publicIpv4Hour)}/h`,
    tasks * HOURS_PER_MONTH * p.publicIpv4Hour,
  );

  const metrics = customMetricCount(input.shards);
  add(
    "CloudWatch custom metrics",
    `${metrics} (free tier ${p.freeCustomMetrics}), + AlertChannelFailures only in hours a channel breaks`,
    `${usd(p.customMetricMonth)}/metric`,
    Math.max(0, metrics - p.freeCustomMetrics) * p.customMetricMonth,
  );
  const alarms = alarmCount(input.shards);
  add(
    "CloudWatch alarms",
    `${alarms} (free tier ${p.freeAlarms})`,
    `${usd(p.alarmMonth)}/alarm`,
    Math.max(0, alarms - p.freeAlarms) * p.alarmMonth,
  );
  add("CloudWatch dashboard", `1 (free tier ${p.freeDashboards})`, `${usd(p.dashboardMonth)}/dashboard`, 0);

  const logBytesPerDay =
    tasks * (LOG_BYTES_PER_MINUTE * 1440 + FLOW_LOG_BYTES_PER_DAY_PER_TASK) +
    input.fillsPerDay * LOG_BYTES_PER_FILL +
    input.alertsPerDay * LOG_BYTES_PER_ALERT +
    commandsPerDay * LOG_BYTES_PER_COMMAND;
  const logGbMonth = (logBytesPerDay * DAYS_PER_MONTH) / GB;
  add(
    "CloudWatch Logs ingestion",
    `${logGbMonth.toFixed(3)} GB (free tier ${p.freeLogsIngestGb} GB)`,
    `${usd(p.logsIngestGb)}/GB`,
    Math.max(0, logGbMonth - p.freeLogsIngestGb) * p.logsIngestGb,
  );
  // Two weeks' retention: about half a month's logs stored at any time.
  add(
    "CloudWatch Logs storage",
    `${(logGbMonth / 2).toFixed(3)} GB`,
    `${usd(p.logsStoreGbMonth)}/GB-month`,
    (logGbMonth / 2) * p.logsStoreGbMonth,
  );

  const secrets = secretCount(input.mode);
  // Reads: every task start (a few a month with Spot), the alert Lambda's every five minutes while busy,
  // and the commands Lambda's once an hour while used (it reads the alerts and credentials secrets; a
  // refused request rereads them at most every five minutes, which a working setup does not see).
  const commandSecrets = 2;
  const secretCalls =
    tasks * 30 +
    Math.min(input.alertsPerDay, 288) * DAYS_PER_MONTH +
    Math.min(commandsPerDay, 24) * commandSecrets * DAYS_PER_MONTH;
  add(
    "Secrets Manager",
    `${secrets} secrets, ~${count(secretCalls)} reads`,
    `${usd(p.secretMonth)}/secret, ${usd(p.secretApiCalls10k)}/10k reads`,
    secrets * p.secretMonth + (secretCalls / 10_000) * p.secretApiCalls10k,
  );

  const cvdCoinMinutesPerDay = input.cvdCoins * (input.cvdTradedShare ?? 1) * 1440;
  if (input.mode === "dynamodb") {
    const writesPerDay =
      input.fillsPerDay * WRITES_PER_FILL +
      input.accounts * 1440 + // one account snapshot a minute
      cvdCoinMinutesPerDay + // one CVD bucket per coin-minute with a trade
      input.alertsPerDay * 2; // claim and mark sent
    const writesMonth = writesPerDay * DAYS_PER_MONTH;
    add(
      "DynamoDB writes (on-demand)",
      `${count(writesMonth)} WRU (${count(writesPerDay)}/day)`,
      `${usd(p.dynamoWriteMillion)}/million`,
      (writesMonth / 1e6) * p.dynamoWriteMillion,
    );
    // Reads: backfill and restore queries at each start, alert claims; small next to the writes.
    const readsMonth =
      tasks * 30 * 2_000 +
      input.alertsPerDay * DAYS_PER_MONTH * 2 +
      commandsPerDay * DAYS_PER_MONTH * READ_UNITS_PER_COMMAND;
    add(
      "DynamoDB reads (on-demand)",
      `${count(readsMonth)} RRU`,
      `${usd(p.dynamoReadMillion)}/million`,
      (readsMonth / 1e6) * p.dynamoReadMillion,
    );
    // A year of fills (~700 B with the index entry) plus 30 days of snapshots and CVD buckets.
    const storedGb =
      (input.fillsPerDay * 365 * 700 + (input.accounts * 1440 + cvdCoinMinutesPerDay) * 30 * 450) / GB;
    add(
      "DynamoDB storage + point-in-time recovery",
      `${storedGb.toFixed(3)} GB (storage free tier ${p.freeDynamoStoreGb} GB)`,
      `${usd(p.dynamoStoreGbMonth)} + ${usd(p.dynamoPitrGbMonth)}/GB-month`,
      Math.max(0, storedGb - p.freeDynamoStoreGb) * p.dynamoStoreGbMonth + storedGb * p.dynamoPitrGbMonth,
    );
  }

  const invocations = (input.alertsPerDay + 1) * DAYS_PER_MONTH; // + alarm notifications
  const gbSeconds = invocations * (ALERT_LAMBDA_MEMORY_MB / 1024) * 1;
  add(
    "Lambda (alert delivery, ARM)",
    `${count(invocations)} invocations, ${count(gbSeconds)} GB-s (free tier 1 M / 400k GB-s)`,
    `${usd(p.lambdaRequestMillion)}/million + ${usd(p.lambdaArmGbSecond)}/GB-s`,
    (Math.max(0, invocations - p.freeLambdaRequests) / 1e6) * p.lambdaRequestMillion +
      Math.max(0, gbSeconds - p.freeLambdaGbSeconds) * p.lambdaArmGbSecond,
  );
  // The free tier's million requests and 400,000 GB-s are shared by both functions.
  const commandInvocations = commandsPerDay * DAYS_PER_MONTH;
  const commandGbSeconds = commandInvocations * COMMANDS_MEMORY_GB * COMMAND_SECONDS;
  add(
    "Lambda (chat commands, ARM, Function URL)",
    `${count(commandInvocations)} invocations, ${count(commandGbSeconds)} GB-s (Function URLs cost nothing extra)`,
    `${usd(p.lambdaRequestMillion)}/million + ${usd(p.lambdaArmGbSecond)}/GB-s`,
    (Math.max(0, invocations + commandInvocations - p.freeLambdaRequests) / 1e6) * p.lambdaRequestMillion +
      Math.max(0, gbSeconds + commandGbSeconds - p.freeLambdaGbSeconds) * p.lambdaArmGbSecond -
      ((Math.max(0, invocations - p.freeLambdaRequests) / 1e6) * p.lambdaRequestMillion +
        Math.max(0, gbSeconds - p.freeLambdaGbSeconds) * p.lambdaArmGbSecond),
  );
  add(
    "SNS (publishes, e-mail, Lambda deliveries)",
    `${count(invocations)} publishes (free tier 1 M), ≤ ${count(invocations)} e-mails (free tier 1,000)`,
    `${usd(p.snsPublishMillion)}/million, ${usd(p.snsEmail100k)}/100k e-mails`,
    (Math.max(0, invocations - p.freeSnsPublishes) / 1e6) * p.snsPublishMillion +
      (Math.max(0, invocations - p.freeSnsEmails) / 100_000) * p.snsEmail100k,
  );
  add(
    "ECR image storage",
    "~0.1 GB (about two image versions)",
    `${usd(p.ecrStoreGbMonth)}/GB-month`,
    0.1 * p.ecrStoreGbMonth,
  );

  const totalUsd = items.reduce((sum, item) => sum + item.monthlyUsd, 0);
  return { items, totalUsd };
}
