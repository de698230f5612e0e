/**
 * `npm run cost`: the itemised estimate, its counts checked against the synthesized stack's resources.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  CVD_ALL_LISTED_COINS,
  CVD_ALL_TRADED_SHARE,
  customMetricCount,
  estimateMonthlyCost,
  FALLBACK_HOURS_PER_MONTH,
  FALLBACK_SHORTAGES_PER_MONTH,
  secretCount,
} from "../../lib/cost/estimate.ts";
import { PRICES } from "../../lib/cost/prices.ts";
import { alarmCount } from "../../lib/monitoring/alarms.ts";
import { resourcesOfType, synthesize } from "../support/cdkApp.ts";
import { legacyFills, mainnetMarket } from "../support/fixtures.ts";

function cost(args: string[]) {
  const result = spawnSync(process.execPath, ["bin/cost.ts", ...args], { encoding: "utf8", timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("npm run cost", () => {
  it("--cvd-coins all prices one write per coin-minute with a trade, the share derived from the real market", () => {
    // The listed coins and the share of their minutes with a trade, from the recorded samples again.
    const listed = mainnetMarket().filter((asset) => !asset.isDelisted);
    expect(listed).toHaveLength(CVD_ALL_LISTED_COINS);
    const fills = legacyFills();
    const meanNotional = fills.reduce((sum, f) => sum + Number(f.px) * Number(f.sz), 0) / fills.length;
    expect(Math.round(meanNotional)).toBe(458);
    const tradedCoinsPerMinute = listed.reduce(
      (sum, asset) => sum + 1 - Math.exp(-Number(asset.dayNtlVlm) / meanNotional / 1440),
      0,
    );
    expect(tradedCoinsPerMinute / listed.length).toBeCloseTo(CVD_ALL_TRADED_SHARE, 2);

    const three = JSON.parse(cost(["--json"]).stdout);
    const all = cost(["--cvd-coins", "all", "--json"]);
    expect(all.status).toBe(0);
    const report = JSON.parse(all.stdout);
    expect(report.input).toMatchObject({ cvdCoins: 171, cvdTradedShare: 0.56 });
    const writes = (r: { items: { item: string; quantity: string }[] }) =>
      Number(
        /\(([\d,]+)\/day\)/
          .exec(r.items.find((i) => i.item.startsWith("DynamoDB writes"))!.quantity)![1]!
          .replaceAll(",", ""),
      );
    // 171 × 0.56 × 1440 coin-minutes a day in place of 3 × 1440.
    expect(writes(report) - writes(three)).toBe(Math.round(171 * 0.56 * 1440) - 3 * 1440);
    expect(report.totalUsd).toBeLessThan(11);
    expect(cost(["--cvd-coins", "x"]).stderr).toBe(
      "cost: --cvd-coins=x is not allowed: use a whole number from 1 to 1000\n",
    );
  });

  it("one account at moderate activity (200 fills a day), dynamodb mode: itemised, under $10", () => {
    const { status, stdout } = cost(["--mode", "dynamodb", "--activity", "moderate", "--json"]);
    expect(status).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.input).toMatchObject({
      mode: "dynamodb",
      accounts: 1,
      fillsPerDay: 200,
      shards: 1,
      spot: true,
    });
    expect(report.pricesAsOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const names = report.items.map((item: { item: string }) => item.item);
    for (const expected of [
      "Fargate Spot ARM64 compute",
      "Fargate on-demand ARM64 (Spot fallback)",
      "Spot fallback: EventBridge rules, capacity Lambda",
      "Public IPv4 address",
      "CloudWatch custom metrics",
      "CloudWatch alarms",
      "CloudWatch dashboard",
      "CloudWatch Logs ingestion",
      "Secrets Manager",
      "DynamoDB writes (on-demand)",
      "Lambda (alert delivery, ARM)",
      "SNS (publishes, e-mail, Lambda deliveries)",
    ]) {
      expect(names).toContain(expected);
    }
    expect(report.totalUsd).toBeLessThan(10);
    expect(report.totalUsd).toBeGreaterThan(5); // compute and the public IP alone are more than $5
  });

  it("one dynamodb account stays within $7.60 with the Spot fallback's expected on-demand hours", () => {
    const report = JSON.parse(cost(["--json"]).stdout);
    const item = (name: string) =>
      report.items.find((candidate: { item: string }) => candidate.item === name);
    const fallback = item("Fargate on-demand ARM64 (Spot fallback)");
    expect(fallback.quantity).toBe(
      `1 × ${FALLBACK_HOURS_PER_MONTH} h expected (${FALLBACK_SHORTAGES_PER_MONTH} Spot shortages × 6 h)`,
    );
    expect(FALLBACK_HOURS_PER_MONTH).toBe(12);
    // On-demand ARM64: 0.25 vCPU and 0.5 GB for 12 hours, which Spot no longer runs.
    const onDemandHour = 0.25 * PRICES.fargateArmVcpuHour + 0.5 * PRICES.fargateArmGbHour;
    expect(fallback.monthlyUsd).toBeCloseTo(12 * onDemandHour, 10);
    expect(item("Fargate Spot ARM64 compute").quantity).toBe("1 × 0.25 vCPU × 718 h + 1 × 0.5 GB × 718 h");
    expect(item("Spot fallback: EventBridge rules, capacity Lambda").monthlyUsd).toBe(0);
    expect(report.totalUsd).toBeLessThanOrEqual(7.6);
    expect(report.totalUsd).toBe(7.59);

    const table = cost([]).stdout;
    expect(table).toMatch(/^Fargate on-demand ARM64 \(Spot fallback\)\s+1 × 12 h expected .+\$0\.12$/m);
    expect(table).toMatch(/^total\s+\$7\.59$/m);
    // Without the fallback's hours, 7 cents less; a whole month on on-demand costs its difference.
    expect(JSON.parse(cost(["--fallback-hours", "0", "--json"]).stdout).totalUsd).toBe(7.52);
    const month = JSON.parse(cost(["--fallback-hours", "730", "--json"]).stdout);
    expect(month.totalUsd).toBe(JSON.parse(cost(["--spot", "false", "--json"]).stdout).totalUsd);
    // On on-demand there is nothing to fall back from.
    const onDemand = JSON.parse(cost(["--spot", "false", "--json"]).stdout);
    expect(onDemand.items.map((i: { item: string }) => i.item)).not.toContain(
      "Fargate on-demand ARM64 (Spot fallback)",
    );
    expect(cost(["--spot", "false", "--fallback-hours", "3"]).stderr).toBe(
      "cost: --fallback-hours describes the Spot fallback: it needs --spot true\n",
    );
    expect(cost(["--fallback-hours", "731"]).stderr).toBe(
      "cost: --fallback-hours=731 is not allowed: use a whole number from 0 to 730\n",
    );
  });

  it("prints a table with a total, and rejects bad arguments in one line", () => {
    const table = cost([]);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^total\s+\$\d+\.\d\d$/m);
    expect(table.stdout).toContain("as of");
    const bad = cost(["--mode", "postgres"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("cost: --mode=postgres is not allowed: use dynamodb or supabase\n");
  });

  it("counts the metrics, alarms and secrets the stack really creates; stays in the CloudWatch free tier", () => {
    for (const [context, shards] of [
      [{}, 1],
      [{ shards: "3", db_mode: "supabase" }, 3],
    ] as const) {
      const synth = synthesize(context);
      expect(resourcesOfType(synth, "AWS::CloudWatch::Alarm")).toHaveLength(alarmCount(shards));
      expect(resourcesOfType(synth, "AWS::SecretsManager::Secret")).toHaveLength(
        secretCount(context.db_mode === "supabase" ? "supabase" : "dynamodb"),
      );
    }
    expect(customMetricCount(1)).toBe(10);
    const { items } = estimateMonthlyCost({
      mode: "dynamodb",
      accounts: 1,
      fillsPerDay: 200,
      alertsPerDay: 10,
      shards: 1,
      spot: true,
      cvdCoins: 3,
    });
    for (const name of [
      "CloudWatch custom metrics",
      "CloudWatch alarms",
      "CloudWatch dashboard",
      "CloudWatch Logs ingestion",
    ]) {
      expect(items.find((item) => item.item === name)!.monthlyUsd, name).toBe(0);
    }
  }, 60_000);
});

describe("the commands Lambda in the estimate", () => {
  it("moves the moderate total by less than $0.05 in either mode (100 commands a day)", () => {
    for (const mode of ["dynamodb", "supabase"] as const) {
      const base = {
        mode,
        accounts: 1,
        fillsPerDay: 200,
        alertsPerDay: 10,
        shards: 1,
        spot: true,
        cvdCoins: 3,
      };
      const without = estimateMonthlyCost(base);
      const withCommands = estimateMonthlyCost({ ...base, commandsPerDay: 100 });
      expect(withCommands.items.map((item) => item.item)).toContain(
        "Lambda (chat commands, ARM, Function URL)",
      );
      expect(withCommands.totalUsd - without.totalUsd, mode).toBeGreaterThan(0);
      expect(withCommands.totalUsd - without.totalUsd, mode).toBeLessThan(0.05);
    }
  });
});
