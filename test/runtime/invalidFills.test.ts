/**
 * One invalid fill must not stall an account: over REST (a userFillsByTime page) and over the socket, the
 * valid fills around it are stored, the sync completes and the cursor moves past it, and the invalid one
 * is counted (FillsInvalid), logged with its raw text, and reported by one monitor_degraded alert per
 * account per UTC day. Before per-item validation the whole page was refused and the sync retried forever.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { AlertEvent } from "../../lambda-alerts/src/alertEvent.ts";
import type { WireFill } from "../../monitor/src/domain/wire.ts";
import { capturingLogger } from "../support/capturingLogger.ts";
import { generatedFills, ownLiquidationFill } from "../support/fixtures.ts";
import { ACCOUNT, eventually, type Harness, startHarness } from "../support/harness.ts";

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

const T0 = 1_789_407_000_000;
const BAD_PX = "78751,5"; // a decimal comma: not a decimal string

/**
 * A real-shaped fill the schema refuses. The stand-in serves what it is given (it neither validates nor
 * re-serialises fills field by field), so an invalid item goes into a user's history as is.
 */
function invalidFill(time: number, tid: number): WireFill {
  return { ...generatedFills(1, time, tid)[0]!, px: BAD_PX };
}

async function startWatching(h: Harness) {
  const alerts: AlertEvent[] = [];
  const { logger, lines } = capturingLogger("warn");
  const running = await h.startMonitor({
    monitorOptions: {
      logger,
      alertTickMs: 50,
      stallRetryMs: 100,
      alertPublishers: [{ name: "test", publish: async (event) => void alerts.push(event) }],
    },
  });
  return { ...running, alerts, lines };
}

const skippedAlerts = (alerts: AlertEvent[]) =>
  alerts.filter((alert) => alert.key.startsWith(`monitor_degraded:fills_skipped:${ACCOUNT}:`));

describe("invalid fills are skipped, never stall the account", () => {
  it("REST page and socket frame with an invalid item: valid fills stored, cursor moved, counted, logged, one alert", async () => {
    // The subscribe snapshot holds the newest 2 fills only, so the invalid one comes from the REST page.
    harness = await startHarness({ standIn: { snapshotSize: 2 } });
    const h = harness;
    const before = generatedFills(10, T0);
    const after = generatedFills(10, T0 + 100, 2_000_000).map((fill) => ({
      ...fill,
      startPosition: String(Number(fill.startPosition) + 0.0001),
    }));
    // The docs type liquidation.markPx as a number: one fill of the page sends it so.
    const own = ownLiquidationFill(ACCOUNT);
    const numericMark = {
      ...after[9]!,
      time: T0 + 150,
      tid: 3_000_000,
      liquidation: { ...own.liquidation!, markPx: 0.1 as unknown as string },
    };
    h.standIn.addFills(ACCOUNT, [...before, invalidFill(T0 + 50, 1_500_000), ...after, numericMark]);

    const { monitor, metrics, alerts, lines } = await startWatching(h);
    const watcher = monitor.watcher(ACCOUNT)!;
    await eventually("sync complete", () => watcher.fills.phase === "live");
    const stored = await h.reader.listFills(ACCOUNT);
    expect(stored).toHaveLength(21);
    expect(stored.find((fill) => fill.tid === 3_000_000)!.liquidation!.markPx).toBe("0.1");
    // The cursor is past the skipped fill: at the newest valid one.
    expect((await h.reader.getFillCursor(ACCOUNT))?.time).toBe(T0 + 150);
    expect(metrics.total("FillsInvalid")).toBe(1);
    const logged = lines.filter((line) => line.msg === "invalid fill skipped");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ account: ACCOUNT, source: "rest", time: T0 + 50 });
    expect(logged[0]!.raw).toContain(`"px":"${BAD_PX}"`);
    await eventually("skipped-fills alert", () => skippedAlerts(alerts).length === 1);
    const alert = skippedAlerts(alerts)[0]!;
    expect(alert).toMatchObject({ kind: "monitor_degraded", severity: "warning", account: ACCOUNT });
    expect(alert.key).toBe(
      `monitor_degraded:fills_skipped:${ACCOUNT}:${new Date().toISOString().slice(0, 10)}`,
    );
    expect(alert.fields.map((field) => field.value).join("\n")).toContain(BAD_PX);

    // The socket: one live frame with a valid fill and an invalid one.
    const live = generatedFills(1, T0 + 1_000, 4_000_000)[0]!;
    h.standIn.pushFills(ACCOUNT, [live, invalidFill(T0 + 1_000, 4_000_001)]);
    await eventually("live fill stored", async () => (await h.reader.listFills(ACCOUNT)).length === 22);
    await eventually("socket item counted", () => metrics.total("FillsInvalid") === 2);
    expect(lines.filter((line) => line.msg === "invalid fill skipped").at(-1)).toMatchObject({
      source: "socket",
    });
    await eventually("cursor at the live fill", async () => {
      return (await h.reader.getFillCursor(ACCOUNT))?.time === T0 + 1_000;
    });
    // Still one alert for the account today.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(skippedAlerts(alerts)).toHaveLength(1);
    expect(watcher.fills.phase).toBe("live");
  });

  it("a full 2000-item page with one invalid item still pages on to the fills after it", async () => {
    harness = await startHarness({ standIn: { snapshotSize: 1 } });
    const h = harness;
    const fills = generatedFills(2_500, T0);
    fills[700] = invalidFill(fills[700]!.time, fills[700]!.tid!);
    h.standIn.addFills(ACCOUNT, fills);
    const { monitor, metrics } = await startWatching(h);
    await eventually("sync complete", () => monitor.watcher(ACCOUNT)!.fills.phase === "live", 20_000);
    expect(await h.reader.listFills(ACCOUNT)).toHaveLength(2_499);
    expect((await h.reader.getFillCursor(ACCOUNT))?.time).toBe(fills.at(-1)!.time);
    expect(metrics.total("FillsInvalid")).toBe(1);
  }, 30_000);
});
