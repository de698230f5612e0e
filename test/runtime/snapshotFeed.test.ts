/**
 * Each stored account snapshot says how the account's feed was when it was taken (live or not, the age
 * of its newest data frame) and which monitor version wrote it: what the chat command /status reads.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ACCOUNT, eventually, type Harness, startHarness } from "../support/harness.ts";

const VERSION = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

describe("account snapshots carry the feed's state", () => {
  it("live while the account's socket delivers, not live once it is dropped and refused", async () => {
    harness = await startHarness();
    const h = harness;
    const { monitor } = await h.startMonitor({ monitorOptions: { readyMaxFrameAgeMs: 60_000 } });
    await eventually("feed live", () => monitor.readiness().ready);
    await monitor.takeSnapshots();
    const live = await h.reader.latestAccountSnapshot(ACCOUNT);
    expect(live!.feed).toEqual({ live: true, lastDataAgeMs: expect.any(Number), monitorVersion: VERSION });
    expect(live!.feed!.lastDataAgeMs).toBeGreaterThanOrEqual(0);

    h.standIn.rejectConnections(1_000);
    h.standIn.dropConnections();
    await eventually("feed down", () => !monitor.readiness().ready);
    await eventually("snapshot says so", async () => {
      await monitor.takeSnapshots();
      return (await h.reader.latestAccountSnapshot(ACCOUNT))?.feed?.live === false;
    });
  });
});
