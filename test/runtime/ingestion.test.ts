/**
 * The monitor end to end against real servers on loopback: the Hyperliquid stand-in serving real recorded
 * payloads, and dynalite speaking the DynamoDB API.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { WireFill, WireTrade } from "../../monitor/src/domain/wire.ts";
import { currentFills, generatedFills, realState, realTrades } from "../support/fixtures.ts";
import { ACCOUNT, eventually, type Harness, startHarness } from "../support/harness.ts";

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

const T0 = 1_789_407_000_000;

async function storedFills(h: Harness) {
  return h.reader.listFills(ACCOUNT);
}

function trades(count: number, start: number, firstTid: number): WireTrade[] {
  const [template] = realTrades();
  return Array.from({ length: count }, (_, i) => ({
    ...template!,
    side: i % 2 === 0 ? "B" : "A",
    time: start + i * 100,
    tid: firstTid + i,
  }));
}

describe("monitor ingestion", () => {
  it("stores a fills snapshot plus live fills once each, and moves the cursor", async () => {
    harness = await startHarness();
    const h = harness;
    const history: WireFill[] = [...currentFills(), ...generatedFills(50, T0)];
    h.standIn.addFills(ACCOUNT, history);
    h.standIn.setClearinghouseState(ACCOUNT, realState());
    const { monitor, metrics } = await h.startMonitor();
    await eventually("initial sync", () => monitor.watcher(ACCOUNT)!.fills.phase === "live");
    const live = generatedFills(20, T0 + 400_000, 5_000_000); // after the newest history fill
    h.standIn.pushFills(ACCOUNT, live.slice(0, 10));
    // A repeat of already-delivered fills (as a re-sent frame would be) must not store anything twice.
    h.standIn.pushFills(ACCOUNT, [...live.slice(5, 10), ...live.slice(10)]);
    await eventually("all fills stored", async () => (await storedFills(h)).length >= history.length + 20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stored = await storedFills(h);
    expect(stored).toHaveLength(history.length + 20);
    expect(new Set(stored.map((f) => f.fillId)).size).toBe(stored.length);
    // Decimals are stored exactly as the API sent them.
    const rebate = stored.find((f) => f.tid === 1109765720343214)!;
    expect(rebate).toMatchObject({
      px: "78751.0",
      sz: "0.00535",
      fee: "-0.012639",
      closedPnl: "0.0",
      hash: currentFills()[0]!.hash,
    });
    const cursor = await h.reader.getFillCursor(ACCOUNT);
    expect(cursor?.time).toBe(live.at(-1)!.time);
    expect(metrics.total("FillsStored")).toBe(history.length + 20);
  });
});
