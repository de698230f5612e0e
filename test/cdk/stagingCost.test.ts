/**
 * `npm run cost -- --stages prod,staging`: staging as the pipeline deploys it (stopped, run only for its
 * smoke check) adds its secrets and a few task-hours, not a second always-on monitor.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { estimateMonthlyCost, secretCount } from "../../lib/cost/estimate.ts";
import { PRICES } from "../../lib/cost/prices.ts";
import {
  estimateStoppedStageCost,
  STAGING_CHECK_MINUTES,
  STAGING_RELEASES_PER_MONTH,
} from "../../lib/cost/stoppedStage.ts";

function cost(args: string[]) {
  const result = spawnSync(process.execPath, ["bin/cost.ts", ...args], { encoding: "utf8", timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("a stopped stage's cost", () => {
  it("is its secrets when no release is checked, and grows only with the checks' task-hours", () => {
    const idle = estimateStoppedStageCost({
      mode: "dynamodb",
      shards: 1,
      spot: true,
      releasesPerMonth: 0,
      checkMinutes: 15,
    });
    expect(idle.taskHours).toBe(0);
    expect(idle.totalUsd).toBeCloseTo(secretCount("dynamodb") * PRICES.secretMonth, 6);
    const checked = estimateStoppedStageCost({
      mode: "dynamodb",
      shards: 1,
      spot: true,
      releasesPerMonth: STAGING_RELEASES_PER_MONTH,
      checkMinutes: STAGING_CHECK_MINUTES,
    });
    expect(checked.taskHours).toBe(5);
    expect(checked.items.find((i) => i.item === "CloudWatch alarms")!.monthlyUsd).toBe(0);
    expect(checked.totalUsd).toBeGreaterThan(idle.totalUsd);
    expect(checked.totalUsd).toBeLessThan(idle.totalUsd + 0.2);
    // Far below the always-on stage it replaces.
    const alwaysOn = estimateMonthlyCost({
      mode: "dynamodb",
      accounts: 1,
      fillsPerDay: 200,
      alertsPerDay: 10,
      shards: 1,
      spot: true,
      cvdCoins: 3,
    });
    expect(checked.totalUsd).toBeLessThan(alwaysOn.totalUsd / 5);
  });
});

describe("npm run cost -- --stages prod,staging", () => {
  it("JSON: both stages' items, the assumption, and the real total", () => {
    const prodOnly = JSON.parse(cost(["--json"]).stdout);
    const { status, stdout } = cost(["--stages", "prod,staging", "--json"]);
    expect(status).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.items).toEqual(prodOnly.items);
    expect(report.staging.assumption).toEqual({
      releasesPerMonth: STAGING_RELEASES_PER_MONTH,
      checkMinutes: STAGING_CHECK_MINUTES,
      taskHours: 5,
    });
    expect(report.staging.totalUsd).toBeGreaterThan(0.8);
    expect(report.staging.totalUsd).toBeLessThan(1);
    expect(report.prodTotalUsd).toBe(prodOnly.totalUsd);
    expect(report.totalUsd).toBeCloseTo(report.prodTotalUsd + report.staging.totalUsd, 2);
  });

  it("the table says the assumption and prints the total of both stages", () => {
    const { status, stdout } = cost([
      "--stages",
      "prod,staging",
      "--releases-per-month",
      "40",
      "--check-minutes",
      "30",
    ]);
    expect(status).toBe(0);
    expect(stdout).toContain(
      "staging, deployed stopped: runs only during its smoke check, 40 releases a month × 30 min = 20 task-hours",
    );
    expect(stdout).toMatch(/^total prod\s+\$\d+\.\d\d$/m);
    expect(stdout).toMatch(/^total staging\s+\$\d+\.\d\d$/m);
    expect(stdout).toMatch(/^total prod \+ staging\s+\$\d+\.\d\d$/m);
  });

  it("rejects another stage list in one line", () => {
    const bad = cost(["--stages", "prod,dev"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("cost: --stages=prod,dev is not allowed: use prod or prod,staging\n");
    const alone = cost(["--check-minutes", "20"]);
    expect(alone.status).toBe(2);
    expect(alone.stderr).toBe(
      "cost: --releases-per-month and --check-minutes describe staging: add --stages prod,staging\n",
    );
  });
});
