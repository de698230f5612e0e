/**
 * `npm run cost -- [--mode dynamodb|supabase] [--activity quiet|moderate|busy] [--fills-per-day N]
 *                  [--accounts N] [--shards N] [--spot true|false] [--fallback-hours N] [--json]
 *                  [--stages prod|prod,staging] [--releases-per-month N] [--check-minutes N]
 *                  [--cvd-coins all|N]`
 * prints the itemised monthly estimate of a deployment, with the unit prices it assumed and their date;
 * with `--stages prod,staging`, also the staging stage as the deploy pipeline runs it (deployed stopped,
 * a task only during each release's smoke check) and the total of both.
 */

import {
  ACTIVITY_LEVELS,
  type ActivityLevel,
  CVD_ALL_LISTED_COINS,
  CVD_ALL_TRADED_SHARE,
  estimateMonthlyCost,
  FALLBACK_HOURS_PER_MONTH,
} from "../lib/cost/estimate.ts";
import { HOURS_PER_MONTH, PRICES_AS_OF, PRICES_REGION } from "../lib/cost/prices.ts";
import {
  estimateStoppedStageCost,
  STAGING_CHECK_MINUTES,
  STAGING_RELEASES_PER_MONTH,
} from "../lib/cost/stoppedStage.ts";
import { ACCOUNTS_PER_SHARD, MAX_SHARDS } from "../lib/deploymentSettings.ts";
import { parseCommandLine } from "../monitor/src/commandLine.ts";

function fail(message: string): never {
  process.stderr.write(`cost: ${message}\n`);
  process.exit(2);
}

function wholeNumber(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    fail(`--${name}=${raw} is not allowed: use a whole number from 1 to ${max}`);
  }
  return Number(raw);
}

const values = parseCommandLine({
  name: "cost",
  command: "npm run cost --",
  summary:
    "Prints the itemised monthly estimate of a deployment, with the unit prices it assumed and their date.",
  describe: {
    mode: "storage back end: dynamodb or supabase",
    activity: "trading activity: quiet, moderate or busy",
    "fills-per-day": "fills per day per account (overrides --activity's)",
    accounts: "accounts watched (default 1)",
    shards: "monitor tasks (default: the fewest that fit the accounts)",
    spot: "run on Fargate Spot: true or false",
    "fallback-hours": `hours a month on on-demand Fargate after Spot shortages, 0 to ${HOURS_PER_MONTH} (default ${FALLBACK_HOURS_PER_MONTH})`,
    json: "print one JSON object instead of the table",
    stages: "prod, or prod,staging to add staging as the deploy pipeline runs it (stopped between checks)",
    "releases-per-month": `releases whose smoke check runs staging (default ${STAGING_RELEASES_PER_MONTH})`,
    "check-minutes": `minutes staging's task runs per smoke check (default ${STAGING_CHECK_MINUTES})`,
    "cvd-coins": `coins with CVD: N, or all (CVD_COINS=all: ${CVD_ALL_LISTED_COINS} listed perps, ${CVD_ALL_TRADED_SHARE * 100} % of their minutes with a trade); default 3`,
  },
  options: {
    mode: { type: "string", default: "dynamodb" },
    activity: { type: "string", default: "moderate" },
    "fills-per-day": { type: "string" },
    accounts: { type: "string" },
    shards: { type: "string" },
    spot: { type: "string", default: "true" },
    "fallback-hours": { type: "string" },
    json: { type: "boolean", default: false },
    stages: { type: "string", default: "prod" },
    "releases-per-month": { type: "string" },
    "check-minutes": { type: "string" },
    "cvd-coins": { type: "string" },
  },
});

if (values.mode !== "dynamodb" && values.mode !== "supabase") {
  fail(`--mode=${values.mode} is not allowed: use dynamodb or supabase`);
}
if (!(values.activity in ACTIVITY_LEVELS)) {
  fail(`--activity=${values.activity} is not allowed: use ${Object.keys(ACTIVITY_LEVELS).join(", ")}`);
}
if (values.spot !== "true" && values.spot !== "false")
  fail(`--spot=${values.spot} is not allowed: use true or false`);
const fallbackHours = values["fallback-hours"];
if (fallbackHours !== undefined) {
  if (values.spot !== "true") fail("--fallback-hours describes the Spot fallback: it needs --spot true");
  if (!/^\d+$/.test(fallbackHours) || Number(fallbackHours) > HOURS_PER_MONTH) {
    fail(`--fallback-hours=${fallbackHours} is not allowed: use a whole number from 0 to ${HOURS_PER_MONTH}`);
  }
}
if (values.stages !== "prod" && values.stages !== "prod,staging") {
  fail(`--stages=${values.stages} is not allowed: use prod or prod,staging`);
}
if (values.stages === "prod" && (values["releases-per-month"] ?? values["check-minutes"]) !== undefined) {
  fail("--releases-per-month and --check-minutes describe staging: add --stages prod,staging");
}
const activity = ACTIVITY_LEVELS[values.activity as ActivityLevel];
// CVD_COINS=all writes one bucket per coin-minute with a trade (see CVD_ALL_TRADED_SHARE); named coins
// are counted as trading every minute (an upper bound).
const cvd =
  values["cvd-coins"] === "all"
    ? { cvdCoins: CVD_ALL_LISTED_COINS, cvdTradedShare: CVD_ALL_TRADED_SHARE }
    : { cvdCoins: wholeNumber("cvd-coins", values["cvd-coins"], 3, 1000) };
const accounts = wholeNumber("accounts", values.accounts, 1, ACCOUNTS_PER_SHARD.cvdOff * MAX_SHARDS);
const input = {
  mode: values.mode,
  accounts,
  fillsPerDay: wholeNumber("fills-per-day", values["fills-per-day"], activity.fillsPerDay, 10_000_000),
  alertsPerDay: activity.alertsPerDay,
  commandsPerDay: activity.commandsPerDay,
  // The estimate counts CVD coins, so CVD is on: 9 accounts per task.
  shards: wholeNumber("shards", values.shards, Math.ceil(accounts / ACCOUNTS_PER_SHARD.cvdOn), MAX_SHARDS),
  spot: values.spot === "true",
  ...cvd,
  ...(fallbackHours === undefined ? {} : { fallbackHours: Number(fallbackHours) }),
} as const;
const { items, totalUsd } = estimateMonthlyCost(input);
const staging =
  values.stages === "prod,staging"
    ? (() => {
        const assumption = {
          releasesPerMonth: wholeNumber(
            "releases-per-month",
            values["releases-per-month"],
            STAGING_RELEASES_PER_MONTH,
            1_000,
          ),
          checkMinutes: wholeNumber("check-minutes", values["check-minutes"], STAGING_CHECK_MINUTES, 60),
        };
        const estimate = estimateStoppedStageCost({
          mode: input.mode,
          shards: input.shards,
          spot: input.spot,
          ...assumption,
        });
        return { assumption: { ...assumption, taskHours: estimate.taskHours }, ...estimate };
      })()
    : null;
const cents = (value: number) => Number(value.toFixed(2));
/** Both stages' total as the sum of the two totals shown, so the printed figures add up. */
const bothStages = (prod: number, staging: number) => cents(cents(prod) + cents(staging));

if (values.json) {
  const report = { input, pricesAsOf: PRICES_AS_OF, region: PRICES_REGION, items, totalUsd: cents(totalUsd) };
  process.stdout.write(
    `${JSON.stringify(
      staging
        ? {
            ...report,
            prodTotalUsd: cents(totalUsd),
            staging: {
              assumption: staging.assumption,
              items: staging.items,
              totalUsd: cents(staging.totalUsd),
            },
            totalUsd: bothStages(totalUsd, staging.totalUsd),
          }
        : report,
    )}\n`,
  );
} else {
  const money = (value: number) => `$${value.toFixed(2)}`;
  const header = ["item", "quantity a month", "unit price", "a month"];
  const table = (rows: string[][], total: string, totalUsd: number) => {
    const widths = header.map((h, i) =>
      Math.max(h.length, i === 0 ? total.length : 0, ...rows.map((row) => row[i]!.length)),
    );
    const line = (cells: string[]) =>
      cells.map((cell, i) => (i === 3 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ");
    return [
      line(header),
      line(widths.map((w) => "-".repeat(w))),
      ...rows.map(line),
      line(widths.map((w) => "-".repeat(w))),
      line([total, "", "", money(totalUsd)]),
    ];
  };
  const rowsOf = (list: typeof items) =>
    list.map((item) => [item.item, item.quantity, item.unitPrice, money(item.monthlyUsd)]);
  const out = [
    `hl-monitor monthly estimate: db_mode=${input.mode}, ${input.accounts} account(s), ${input.fillsPerDay} fills/day, ${input.shards} task(s) on ${input.spot ? "Fargate Spot" : "Fargate"}, CVD of ${values["cvd-coins"] === "all" ? `all ${input.cvdCoins} listed coins` : `${input.cvdCoins} coins`}`,
    `unit prices: AWS ${PRICES_REGION}, as of ${PRICES_AS_OF} (lib/cost/prices.ts)`,
    "",
    ...table(rowsOf(items), staging ? "total prod" : "total", totalUsd),
  ];
  if (staging) {
    const { releasesPerMonth, checkMinutes, taskHours } = staging.assumption;
    out.push(
      "",
      `staging, deployed stopped: runs only during its smoke check, ${releasesPerMonth} releases a month × ${checkMinutes} min = ${Number(taskHours.toFixed(2))} task-hours (--releases-per-month, --check-minutes)`,
      "",
      ...table(rowsOf(staging.items), "total staging", staging.totalUsd),
      "",
      `total prod + staging  ${money(bothStages(totalUsd, staging.totalUsd))}`,
    );
  }
  if (input.mode === "supabase")
    out.push("", "Supabase bills its own plan separately (the free plan has a 500 MB database).");
  process.stdout.write(`${out.join("\n")}\n`);
}
