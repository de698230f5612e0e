/**
 * CVD_COINS=all: every listed perp of the default dex on the market-data connection, against the real
 * mainnet universe (ws-webData2-frames-1.json: 199 assets, 28 delisted), within Hyperliquid's per-IP
 * limits as the stand-in enforces them (1000 subscriptions, 2000 messages a minute: PROTOCOL.md §6).
 */
import { afterEach, describe, expect, it } from "vitest";
import { MessagePacer } from "../../monitor/src/runtime/messagePacer.ts";
import type { ListedAsset } from "../../monitor/src/standin/universe.ts";
import { mainnetUniverse } from "../support/fixtures.ts";
import { eventually, type Harness, startHarness } from "../support/harness.ts";

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

/** The coins the stand-in holds a trades subscription for, over all connections. */
function tradesSubscribed(h: Harness): string[] {
  return h.standIn
    .subscriptions()
    .flat()
    .filter((s) => s.type === "trades")
    .map((s) => String(s.coin))
    .sort();
}

const listedActive = (universe: readonly ListedAsset[]) =>
  universe
    .filter((a) => !a.isDelisted)
    .map((a) => a.name)
    .sort();

describe("CVD_COINS=all", () => {
  it("subscribes every listed, non-delisted coin, paced under the message limit", async () => {
    const universe = mainnetUniverse();
    expect(universe).toHaveLength(199);
    // Messages scaled to a 1 s window: the pacer allows 100, the stand-in refuses beyond 150 (pings pass
    // outside the pacer: 2 connections × 5 a second here).
    harness = await startHarness({
      env: { CVD_COINS: "all" },
      standIn: { universe, maxMessagesPerWindow: 150, messageWindowMs: 1_000 },
    });
    await harness.startMonitor({
      monitorOptions: {
        messagePacer: new MessagePacer({ maxPerWindow: 100, windowMs: 1_000, slackMs: 100 }),
      },
    });
    const h = harness;
    await eventually("171 trades subscriptions", () => tradesSubscribed(h).length === 171, 15_000);
    expect(tradesSubscribed(h)).toEqual(listedActive(universe));
    expect(h.standIn.messagesOverLimit).toBe(0);
    expect(h.standIn.peakMessagesPerWindow).toBeLessThanOrEqual(150);
    // One market connection beside the account's.
    expect(h.standIn.connections()).toHaveLength(2);
  });

  it("follows a new listing after the meta refresh and drops a delisted coin", async () => {
    const universe = mainnetUniverse();
    harness = await startHarness({ env: { CVD_COINS: "all" }, standIn: { universe } });
    await harness.startMonitor({ monitorOptions: { cvdAllRefreshMs: 300 } });
    const h = harness;
    await eventually("all subscribed", () => tradesSubscribed(h).length === 171, 15_000);
    h.standIn.listAssets([
      { name: "NEWCOIN", szDecimals: 0, maxLeverage: 3 },
      { name: "FARTCOIN", szDecimals: 1, maxLeverage: 10, isDelisted: true },
    ]);
    await eventually(
      "NEWCOIN followed, FARTCOIN dropped",
      () => {
        const coins = tradesSubscribed(h);
        return coins.includes("NEWCOIN") && !coins.includes("FARTCOIN");
      },
      5_000,
    );
    expect(tradesSubscribed(h)).toHaveLength(171);
  });

  it("keeps within 1000 subscriptions per IP when more coins are listed than fit", async () => {
    const universe: ListedAsset[] = Array.from({ length: 1_100 }, (_, i) => ({
      name: `C${i}`,
      szDecimals: 0,
      maxLeverage: 3,
    }));
    harness = await startHarness({ env: { CVD_COINS: "all" }, standIn: { universe } });
    await harness.startMonitor();
    const h = harness;
    // Room for the account's own subscriptions and a few more each for perp dexes it may follow (10).
    await eventually("990 trades subscriptions", () => tradesSubscribed(h).length === 990, 20_000);
    expect(tradesSubscribed(h)).toEqual(Array.from({ length: 990 }, (_, i) => `C${i}`).sort());
    expect(h.standIn.peakSubscriptionsPerIp).toBeLessThanOrEqual(1000);
  });
});
