/** The /info client and the fill pager against the loopback stand-in's real paging, limits and 429s. */
import { afterEach, describe, expect, it } from "vitest";
import { WeightBudget } from "../../monitor/src/hyperliquid/_weightBudget.ts";
import { backfillFills } from "../../monitor/src/hyperliquid/backfillFills.ts";
import { clearinghouseState } from "../../monitor/src/hyperliquid/info/clearinghouseState.ts";
import { InfoClient } from "../../monitor/src/hyperliquid/infoClient.ts";
import type { RejectedItem } from "../../monitor/src/hyperliquid/schemas.ts";
import { HyperliquidStandIn } from "../../monitor/src/standin/server.ts";
import { generatedFills, realState } from "../support/fixtures.ts";

const USER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const T0 = 1_789_407_000_000;
let standIn: HyperliquidStandIn | null = null;
afterEach(async () => {
  await standIn?.stop();
  standIn = null;
});

describe("weight budget", () => {
  it("keeps any window within capacity, books extra weight after the fact, and can be aborted", async () => {
    let now = 0;
    const slept: number[] = [];
    const budget = new WeightBudget({
      capacity: 100,
      periodMs: 1_000,
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    await budget.acquire(60);
    const page = await budget.acquire(30); // reserves the most a page could cost
    expect(budget.available).toBe(10);
    page.settle(60); // the answer's size made it cost 60: 120 spent in this window
    expect(slept).toEqual([]);
    await budget.acquire(10); // waits until everything spent at t=0 has left the 1 s window
    expect(slept).toEqual([1001]);
    expect(budget.available).toBe(90);
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(budget.acquire(1, controller.signal)).rejects.toThrow("stop");
  });
});

describe("InfoClient and backfill", () => {
  it("pages 4,500 fills through the 2000-per-response limit with inclusive bounds", async () => {
    standIn = new HyperliquidStandIn();
    const { apiUrl } = await standIn.start();
    const fills = generatedFills(4_500, T0);
    // A page boundary inside one millisecond: three fills share the time of fill #1999.
    fills[2000] = { ...fills[2000]!, time: fills[1999]!.time };
    fills[2001] = { ...fills[2001]!, time: fills[1999]!.time };
    standIn.addFills(USER, fills);
    const info = new InfoClient({ apiUrl });
    const seen = new Map<number, number>();
    let pages = 0;
    for await (const page of backfillFills(info, { user: USER, startTime: 0 })) {
      pages += 1;
      for (const fill of page) seen.set(fill.tid!, fill.time);
    }
    expect(pages).toBe(3);
    expect(seen.size).toBe(4_500);
    // Weight: 3 requests of 20 plus 1 per 20 fills returned (2000 + 2000 + 503 with boundary repeats).
    expect(standIn.weightUsed).toBe(60 + 100 + 100 + 25);
  });

  it("retries 429 and 500 with backoff, then gives a clear error after bounded attempts", async () => {
    standIn = new HyperliquidStandIn({ weightPerMinute: 4, weightWindowMs: 300 });
    const { apiUrl } = await standIn.start();
    standIn.setClearinghouseState(USER, realState());
    const info = new InfoClient({
      apiUrl,
      baseDelayMs: 50,
      maxDelayMs: 400,
      budget: new WeightBudget({ capacity: 1000, periodMs: 300 }),
    });
    await clearinghouseState(info, { user: USER });
    await clearinghouseState(info, { user: USER });
    const third = await clearinghouseState(info, { user: USER }); // over 4 weight: 429 until the window passes
    expect(third.marginSummary.accountValue).toBe("30.937022");
    expect(info.rateLimited).toBeGreaterThan(0);
    standIn.failNextRestRequests(2);
    await clearinghouseState(info, { user: USER });
    const failing = new InfoClient({ apiUrl, maxAttempts: 3, baseDelayMs: 10 });
    standIn.failNextRestRequests(3);
    await expect(clearinghouseState(failing, { user: USER })).rejects.toThrow(
      "info clearinghouseState failed after 3 attempt(s): HTTP 500",
    );
  });

  it("accepts the decimals the docs type as numbers in a clearinghouse state, as exact strings", async () => {
    standIn = new HyperliquidStandIn();
    const { apiUrl } = await standIn.start();
    const state = realState();
    // DOCS websocket subscriptions: MarginSummary fields, crossMaintenanceMarginUsed and withdrawable are
    // typed `number`; the wire sends strings today.
    const numeric = {
      ...state,
      marginSummary: { ...state.marginSummary, accountValue: 30.937022 },
      crossMaintenanceMarginUsed: 0.13352,
      withdrawable: 20.255372,
    } as never;
    standIn.setClearinghouseState(USER, numeric);
    const answer = await clearinghouseState(new InfoClient({ apiUrl }), { user: USER });
    expect(answer.marginSummary.accountValue).toBe("30.937022");
    expect(answer.crossMaintenanceMarginUsed).toBe("0.13352");
    expect(answer.withdrawable).toBe("20.255372");
  });

  it("yields the valid fills of a page with an invalid one, reports it, and pages on past it", async () => {
    standIn = new HyperliquidStandIn();
    const { apiUrl } = await standIn.start();
    const fills = generatedFills(2_100, T0);
    // The stand-in serves what it is given: an invalid item goes into the history as is.
    fills[10] = { ...fills[10]!, side: "X" as never };
    standIn.addFills(USER, fills);
    const info = new InfoClient({ apiUrl });
    const rejected: RejectedItem[] = [];
    const seen = new Set<number>();
    const pages = backfillFills(info, {
      user: USER,
      startTime: 0,
      onRejected: (items) => rejected.push(...items),
    });
    for await (const page of pages) for (const fill of page) seen.add(fill.tid!);
    expect(seen.size).toBe(2_099);
    expect(seen.has(fills[10]!.tid!)).toBe(false);
    expect(rejected).toEqual([
      { reason: expect.stringContaining("side"), time: fills[10]!.time, raw: JSON.stringify(fills[10]) },
    ]);
  });

  it("rejects an answer that does not match the schema with the failing path", async () => {
    standIn = new HyperliquidStandIn();
    const { apiUrl } = await standIn.start();
    const broken = { ...realState(), withdrawable: "20,255372" } as never;
    standIn.setClearinghouseState(USER, broken);
    const info = new InfoClient({ apiUrl });
    await expect(clearinghouseState(info, { user: USER })).rejects.toThrow(
      "info clearinghouseState: unexpected response (withdrawable: ",
    );
  });
});
