/** The stand-in's `POST /info`: paging limits, order views, weights and 429, deserialisation errors. */

import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { WireFill, WireOrder, WireTrade } from "../../monitor/src/domain/wire.ts";
import type { WireFunding } from "../../monitor/src/hyperliquid/info/userFunding.ts";
import { HyperliquidStandIn, type StandInOptions } from "../../monitor/src/standin/server.ts";
import {
  fixture,
  generatedFills,
  hip3State,
  realPerpDexs,
  realState,
  realTrades,
} from "../support/fixtures.ts";
import { pause } from "./wsClient.ts";

const USER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const T0 = 1_789_407_000_000;

let standIn: HyperliquidStandIn | null = null;
afterEach(async () => {
  await standIn?.stop();
  standIn = null;
});

async function start(options: StandInOptions = {}) {
  standIn = new HyperliquidStandIn(options);
  const { apiUrl } = await standIn.start();
  const post = async (body: unknown) => {
    const response = await fetch(`${apiUrl}/info`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, json: () => JSON.parse(text) as unknown };
  };
  const info = async <T>(body: Record<string, unknown>): Promise<T> => {
    const answer = await post(body);
    expect(answer.status, answer.text).toBe(200);
    return answer.json() as T;
  };
  return { standIn, apiUrl, post, info };
}

const times = (fills: WireFill[]) => fills.map((fill) => fill.time);

describe("fills", () => {
  it("userFillsByTime: oldest first, inclusive bounds, at most 2000 per answer", async () => {
    const { info, standIn } = await start();
    const fills = generatedFills(4_500, T0); // cloned from a real fill: fresh tids, one per millisecond
    standIn.addFills(USER, fills);
    const first = await info<WireFill[]>({ type: "userFillsByTime", user: USER, startTime: T0 });
    expect(first).toHaveLength(2000);
    expect(first[0]).toEqual(fills[0]);
    expect(first.at(-1)).toEqual(fills[1999]);
    // The next page starts at the last time seen: inclusive, so that fill comes again.
    const second = await info<WireFill[]>({ type: "userFillsByTime", user: USER, startTime: T0 + 1999 });
    expect(second[0]!.tid).toBe(fills[1999]!.tid);
    const third = await info<WireFill[]>({ type: "userFillsByTime", user: USER, startTime: T0 + 3998 });
    expect(third).toHaveLength(502);
    const window = await info<WireFill[]>({
      type: "userFillsByTime",
      user: USER,
      startTime: T0 + 10,
      endTime: T0 + 20,
    });
    expect(times(window)).toEqual(Array.from({ length: 11 }, (_, i) => T0 + 10 + i));
    // Weight: 20 per request plus 1 per 20 fills returned.
    expect(standIn.weightUsed).toBe(20 + 100 + (20 + 100) + (20 + 25) + 20);
  });

  it("only the 10,000 most recent fills are reachable; userFills gives the newest 2000, newest first", async () => {
    const { info, standIn } = await start({ weightPerMinute: 100_000 });
    const fills = generatedFills(12_000, T0);
    standIn.addFills(USER, fills);
    const reached: WireFill[] = [];
    let startTime = 0;
    for (let page = 0; page < 10; page++) {
      const answer = await info<WireFill[]>({ type: "userFillsByTime", user: USER, startTime });
      reached.push(...answer.filter((fill) => fill.time > (reached.at(-1)?.time ?? -1)));
      if (answer.length < 2000) break;
      startTime = answer.at(-1)!.time;
    }
    expect(reached).toHaveLength(10_000);
    expect(reached[0]).toEqual(fills[2_000]);
    const newest = await info<WireFill[]>({ type: "userFills", user: USER });
    expect(newest).toHaveLength(2000);
    expect(newest[0]).toEqual(fills.at(-1));
    expect(newest.at(-1)).toEqual(fills[10_000]);
  });

  it("fills later than visibleUntil do not exist yet", async () => {
    let now = T0 + 4;
    const { info, standIn } = await start({ visibleUntil: () => now });
    standIn.addFills(USER, generatedFills(10, T0));
    expect(await info<WireFill[]>({ type: "userFillsByTime", user: USER, startTime: 0 })).toHaveLength(5);
    now = T0 + 100;
    expect(await info<WireFill[]>({ type: "userFills", user: USER })).toHaveLength(10);
  });
});

describe("funding", () => {
  // samples/info-userFunding-1.json: 13 payments of one account, all at 1681948800000.
  const sample = JSON.parse(
    readFileSync(new URL("../fixtures/hyperliquid/info-userFunding-1.json", import.meta.url), "utf8"),
  ) as WireFunding[];
  /** The sample's first payment, one per hour from T0 (funding is hourly). */
  const hourly = (count: number): WireFunding[] =>
    Array.from({ length: count }, (_, i) => ({ ...sample[0]!, time: T0 + i * 3_600_000 }));

  it("userFunding: the recorded sample's shape, oldest first, inclusive bounds, at most 500 per answer", async () => {
    const { info, standIn } = await start();
    standIn.addFunding(USER, sample);
    const recorded = await info<WireFunding[]>({ type: "userFunding", user: USER, startTime: 0 });
    expect(recorded).toEqual(sample);
    standIn.addFunding(USER, hourly(700));
    const first = await info<WireFunding[]>({ type: "userFunding", user: USER, startTime: T0 });
    expect(first).toHaveLength(500);
    expect(first.at(-1)!.time).toBe(T0 + 499 * 3_600_000);
    const window = await info<WireFunding[]>({
      type: "userFunding",
      user: USER,
      startTime: T0 + 3_600_000,
      endTime: T0 + 3 * 3_600_000,
    });
    expect(window.map((item) => item.time)).toEqual([1, 2, 3].map((h) => T0 + h * 3_600_000));
    // Weight: 20 per request plus 1 per 20 items returned.
    expect(standIn.weightUsed).toBe(20 + (20 + 25) + 20);
  });
});

describe("account, orders and trades", () => {
  it("clearinghouseState: the state set, or a flat account for an unknown user (weight 2)", async () => {
    const { info, standIn } = await start();
    standIn.setClearinghouseState(USER, realState());
    expect(await info({ type: "clearinghouseState", user: USER })).toEqual(
      fixture("info-clearinghouseState-2.json"),
    );
    const flat = await info<{ assetPositions: unknown[]; marginSummary: { accountValue: string } }>({
      type: "clearinghouseState",
      user: `0x${"1".repeat(40)}`,
    });
    expect(flat.assetPositions).toEqual([]);
    expect(flat.marginSummary.accountValue).toBe("0.0");
    expect(standIn.weightUsed).toBe(4);
  });

  it("open orders, frontend rows, orderStatus by oid and cloid, historicalOrders", async () => {
    const { info, standIn } = await start();
    const [open] = fixture<{ data: WireOrder[] }>("ws-orderUpdates-1.json").data;
    standIn.pushOrderUpdates(USER, [open!]);
    expect(await info({ type: "openOrders", user: USER })).toEqual([open!.order]);
    const [row] = await info<Record<string, unknown>[]>({ type: "frontendOpenOrders", user: USER });
    expect(row).toMatchObject({ ...open!.order, orderType: "Limit", tif: "Gtc", reduceOnly: false });
    expect(await info({ type: "orderStatus", user: USER, oid: open!.order.oid })).toMatchObject({
      status: "order",
      order: { status: "open", order: { oid: open!.order.oid } },
    });
    expect(await info({ type: "orderStatus", user: USER, oid: open!.order.cloid })).toMatchObject({
      status: "order",
    });
    expect(await info({ type: "orderStatus", user: USER, oid: 1 })).toEqual({ status: "unknownOid" });
    const filled = { ...open!, order: { ...open!.order, sz: "0.0" }, status: "filled", statusTimestamp: T0 };
    standIn.addOrders(USER, [filled]);
    expect(await info({ type: "openOrders", user: USER })).toEqual([]);
    expect(await info({ type: "historicalOrders", user: USER })).toMatchObject([{ status: "filled" }]);
  });

  it("recentTrades: the latest trades of the coin", async () => {
    const { info, standIn } = await start();
    const [a] = realTrades();
    const trades: WireTrade[] = Array.from({ length: 40 }, (_, i) => ({ ...a!, tid: i, time: T0 + i }));
    standIn.addTrades("BTC", trades);
    expect(await info({ type: "recentTrades", coin: "BTC" })).toEqual(trades.slice(-30));
    expect(await info({ type: "recentTrades", coin: "ETH" })).toEqual([]);
  });
});

describe("perp dexes (HIP-3)", () => {
  it("perpDexs lists null then each dex in the docs' shape; state and open orders answer one dex each", async () => {
    const { info, standIn } = await start();
    expect(await info<unknown[]>({ type: "perpDexs" })).toEqual([null]);
    standIn.setClearinghouseState(USER, realState());
    standIn.setClearinghouseState(USER, hip3State(), { dex: "xyz" });
    standIn.addPerpDex("abc");
    const dexes = await info<Record<string, unknown>[]>({ type: "perpDexs" });
    expect(dexes.map((dex) => dex?.name ?? null)).toEqual([null, "xyz", "abc"]);
    // Same keys as the docs' example.
    expect(Object.keys(dexes[1]!).sort()).toEqual(Object.keys(realPerpDexs()[1]!).sort());
    expect(await info({ type: "clearinghouseState", user: USER })).toEqual(realState());
    expect(await info({ type: "clearinghouseState", user: USER, dex: "" })).toEqual(realState());
    expect(await info({ type: "clearinghouseState", user: USER, dex: "xyz" })).toEqual(hip3State());
    expect(
      await info<{ assetPositions: unknown[] }>({ type: "clearinghouseState", user: USER, dex: "abc" }),
    ).toMatchObject({ assetPositions: [] });
    const [template] = fixture<{ data: WireOrder[] }>("ws-orderUpdates-1.json").data;
    standIn.addOrders(USER, [
      template!,
      { ...template!, order: { ...template!.order, oid: 2, coin: "xyz:XYZ100" } },
    ]);
    const coins = async (dex?: string) =>
      (
        await info<{ coin: string }[]>({
          type: "frontendOpenOrders",
          user: USER,
          ...(dex === undefined ? {} : { dex }),
        })
      ).map((row) => row.coin);
    expect(await coins()).toEqual([template!.order.coin]);
    expect(await coins("xyz")).toEqual(["xyz:XYZ100"]);
    expect(await coins("abc")).toEqual([]);
    // perpDexs weighs 20 (DOCS: all other documented info requests).
    const before = standIn.weightUsed;
    await info({ type: "perpDexs" });
    expect(standIn.weightUsed - before).toBe(20);
  });
});

describe("limits and faults", () => {
  it("answers 429 over the weight budget, charging nothing, until the window has passed", async () => {
    const { post, standIn } = await start({ weightPerMinute: 50, weightWindowMs: 300 });
    standIn.setClearinghouseState(USER, realState());
    for (let i = 0; i < 15; i++) {
      expect((await post({ type: "clearinghouseState", user: USER })).status).toBe(200); // 2 each
    }
    expect((await post({ type: "userFills", user: USER })).status).toBe(200); // 20: 50 used
    const refused = await post({ type: "clearinghouseState", user: USER });
    expect(refused.status).toBe(429);
    expect(refused.json()).toEqual({ error: "rate limited" });
    expect(standIn.weightUsed).toBe(50);
    expect(standIn.rateLimitedCount).toBe(1);
    await pause(350);
    expect((await post({ type: "clearinghouseState", user: USER })).status).toBe(200);
    expect(standIn.weightUsed).toBe(52);
  });

  it("answers 422 with the deserialisation text for unknown types and bad bodies", async () => {
    const { post, standIn } = await start();
    const unknown = await post({ type: "noSuchType", user: USER });
    expect(unknown.status).toBe(422);
    expect(unknown.text).toBe(
      "Failed to deserialize the JSON body into the target type: unknown variant `noSuchType`",
    );
    const missing = await post({ type: "userFillsByTime", user: USER });
    expect(missing.status).toBe(422);
    expect(missing.text).toMatch(/missing field `startTime`$/);
    expect((await post({ type: "clearinghouseState", user: "bob" })).status).toBe(422);
    expect((await post("{not json")).status).toBe(422);
    expect(standIn.weightUsed).toBe(0);
    expect(standIn.requests.map((request) => request.type)).toEqual([
      "noSuchType",
      "userFillsByTime",
      "clearinghouseState",
    ]);
  });

  it("fails the next N requests with 500 when told to", async () => {
    const { post, standIn } = await start();
    standIn.failNextRestRequests(2);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post({ type: "userFills", user: USER })).status);
    expect(statuses).toEqual([500, 500, 200]);
  });
});

describe("account abstraction mode", () => {
  it('userAbstraction answers a bare string: the mode set for the user, else "default"; weight 20', async () => {
    const { info, standIn } = await start();
    expect(await info<string>({ type: "userAbstraction", user: USER })).toBe("default");
    standIn.setAccountMode(USER.toUpperCase().replace("0X", "0x"), "unifiedAccount");
    expect(await info<string>({ type: "userAbstraction", user: USER })).toBe("unifiedAccount");
    expect(standIn.weightUsed).toBe(40);
  });
});
