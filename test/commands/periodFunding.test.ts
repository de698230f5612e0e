/**
 * `/pnl`'s funding from Hyperliquid's `userFunding` (the loopback stand-in): summed exactly over the
 * accounts, paged by time, capped at FUNDING_MAX_PAGES pages an account with the reply saying so.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pnlReply } from "../../lambda-commands/src/commands/answers.ts";
import { FUNDING_MAX_PAGES, periodFunding } from "../../lambda-commands/src/commands/periodFunding.ts";
import { pnlSummary } from "../../lambda-commands/src/commands/pnlSeries.ts";
import { FetchInfo } from "../../lambda-commands/src/hyperliquid/fetchInfo.ts";
import type { WireFunding } from "../../monitor/src/hyperliquid/info/userFunding.ts";
import { HyperliquidStandIn } from "../../monitor/src/standin/server.ts";
import { ACCOUNT, OTHER_ACCOUNT, T0 } from "./records.ts";

const HOUR = 3_600_000;
// samples/info-userFunding-1.json: the recorded payment shape.
const [SAMPLE] = JSON.parse(
  readFileSync(new URL("../fixtures/hyperliquid/info-userFunding-1.json", import.meta.url), "utf8"),
) as WireFunding[];
const payment = (time: number, usdc: string): WireFunding => ({
  ...SAMPLE!,
  time,
  delta: { ...SAMPLE!.delta, usdc },
});

let standIn: HyperliquidStandIn;
let info: FetchInfo;
beforeAll(async () => {
  standIn = new HyperliquidStandIn({ statePushIntervalMs: 0 });
  info = new FetchInfo((await standIn.start()).apiUrl);
});
afterAll(() => standIn.stop());

describe("period funding", () => {
  it("sums both accounts' payments in the range exactly (0.1 + 0.2 − 0.3 = 0)", async () => {
    standIn.addFunding(ACCOUNT, [payment(T0 - 2 * HOUR, "0.1"), payment(T0 - HOUR, "0.2")]);
    standIn.addFunding(OTHER_ACCOUNT, [payment(T0 - 3 * HOUR, "-0.3"), payment(T0 + HOUR, "5")]);
    const funding = await periodFunding(
      info,
      [ACCOUNT, OTHER_ACCOUNT],
      { from: T0 - 86_400_000, to: T0 },
      2_000,
    );
    expect(funding).toEqual({ status: "ok", total: "0", payments: 3, cutAt: null });
  });

  it("stops after FUNDING_MAX_PAGES full pages and says up to when it read", async () => {
    const user = "0x00000000000000000000000000000000000000aa";
    // Hourly payments of 0.01, more than ten pages of 500 hold.
    const count = 5_200;
    const start = T0 - count * HOUR;
    standIn.addFunding(
      user,
      Array.from({ length: count }, (_, i) => payment(start + i * HOUR, "0.01")),
    );
    const funding = await periodFunding(info, [user], { from: 0, to: T0 }, 5_000);
    // Each page starts at the previous one's newest time (inclusive): 499 new payments a page after the first.
    const read = 500 + (FUNDING_MAX_PAGES - 1) * 499;
    expect(funding).toEqual({
      status: "ok",
      total: String(read / 100),
      payments: read,
      cutAt: start + (read - 1) * HOUR,
    });
    const reply = pnlReply(pnlSummary("all", { from: 0, to: T0 }, []), [user], funding, {
      title: "",
      cumulativePnl: [],
    });
    expect(reply.fields.find((field) => field.label === "funding")!.value).toBe(
      `+${read / 100} (${read} payments; capped at 10 pages of 500 an account: read up to ${new Date(start + (read - 1) * HOUR).toISOString().replace("T", " ").slice(0, 16)} UTC only)`,
    );
  });

  it("is unavailable, never thrown, when the API fails", async () => {
    standIn.failNextRestRequests(1);
    const funding = await periodFunding(info, [ACCOUNT], { from: 0, to: T0 }, 2_000);
    expect(funding).toEqual({ status: "unavailable", reason: "info userFunding: HTTP 500" });
  });
});
