/**
 * `npm run cost`: the itemised estimate, its counts checked against the synthesized stack's resources.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { customMetricCount, estimateMonthlyCost, secretCount } from "../../lib/cost/estimate.ts";
import { alarmCount } from "../../lib/monitoring/alarms.ts";
import { resourcesOfType, synthesize } from "../support/cdkApp.ts";

function cost(args: string[]) {
  const result = spawnSync(process.execPath, ["bin/cost.ts", ...args], { encoding: "utf8", timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("npm run cost", () => {
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
