/**
 * Account abstraction modes end to end: the monitor reads each account's mode (REST `userAbstraction`,
 * answered by the stand-in) and judges the margin ratio only for standard-margin accounts; for unified and
 * portfolio-margin accounts it says in the log that the health figures are standard-mode figures. An
 * account whose cross value fell to zero or below raises the critical margin alert.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { AlertEvent } from "../../lambda-alerts/src/alertEvent.ts";
import type { WireClearinghouseState } from "../../monitor/src/domain/wire.ts";
import { capturingLogger } from "../support/capturingLogger.ts";
import { realState } from "../support/fixtures.ts";
import { ACCOUNT, eventually, type Harness, startHarness } from "../support/harness.ts";

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

/** The real account state with no value left and maintenance margin in use. */
function wipedOut(): WireClearinghouseState {
  const state = structuredClone(realState());
  state.marginSummary.accountValue = "-2.5";
  state.crossMarginSummary.accountValue = "-2.5";
  state.crossMaintenanceMarginUsed = "0.13352";
  return state;
}

async function run(mode: string | null) {
  harness = await startHarness();
  const h = harness;
  if (mode !== null) h.standIn.setAccountMode(ACCOUNT, mode);
  h.standIn.setClearinghouseState(ACCOUNT, wipedOut());
  const alerts: AlertEvent[] = [];
  const { logger, lines } = capturingLogger("warn");
  const { monitor } = await h.startMonitor({
    monitorOptions: {
      logger,
      alertTickMs: 50,
      alertPublishers: [{ name: "test", publish: async (event) => void alerts.push(event) }],
    },
  });
  await eventually("account state received", () => monitor.watcher(ACCOUNT)!.latestState !== null);
  await eventually("account mode read", () =>
    h.standIn.requests.some((body) => body.type === "userAbstraction"),
  );
  return { alerts, lines, h };
}

describe("account abstraction modes", () => {
  it("raises the critical margin alert for a standard account whose value fell below zero", async () => {
    const { alerts } = await run(null);
    await eventually("margin alert", () => alerts.some((alert) => alert.kind === "margin_risk"));
    expect(alerts.find((alert) => alert.kind === "margin_risk")!.severity).toBe("critical");
  });

  it("says the figures are standard-mode figures for a unified account, and judges no margin ratio", async () => {
    const { alerts, lines, h } = await run("unifiedAccount");
    await eventually("mode logged", () => lines.some((line) => line.mode === "unifiedAccount"));
    expect(lines.find((line) => line.mode === "unifiedAccount")!.msg).toContain("standard-mode figures");
    // The state is re-pushed (as the real service does every few seconds): still no margin alert.
    h.standIn.setClearinghouseState(ACCOUNT, wipedOut(), { push: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(alerts.filter((alert) => alert.kind === "margin_risk")).toEqual([]);
  });
});
