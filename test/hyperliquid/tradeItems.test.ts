import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TradeSchema } from "../../monitor/src/hyperliquid/schemas.ts";
import { checkTrades, tradeProblem } from "../../monitor/src/hyperliquid/tradeItems.ts";

// A recorded trades frame (test/fixtures/hyperliquid/ws-trades-1.json).
const recorded = JSON.parse(
  readFileSync(new URL("../fixtures/hyperliquid/ws-trades-1.json", import.meta.url), "utf8"),
);
const good = recorded.data[0] as Record<string, unknown>;

/** For each field, values TradeSchema accepts and values it refuses (and `undefined`: the field missing). */
const candidates: Record<string, unknown[]> = {
  coin: ["BTC", "xyz:XYZ100", "@107", "", 7, null, undefined],
  side: ["B", "A", "b", "S", 1, undefined],
  px: ["63719.0", "0.5", "-1.25", "12", "63,719.0", "1e5", ".5", "5.", "", 63719, null, undefined],
  sz: ["0.00016", "3", "0.10000000000000000000001", "-0.1", "0,1", " 1", "NaN", 0.1, undefined],
  time: [1_759_000_000_000, 0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2, "1759000000000", undefined],
  tid: [447757798903687, 0, -3, 2.5, "12", null, undefined],
  hash: ["0xabc", "", 12, null, undefined],
};

describe("trade items checked by hand", () => {
  it("accept and refuse exactly what TradeSchema does, for every field the monitor reads (property)", () => {
    const fields = Object.keys(candidates);
    fc.assert(
      fc.property(fc.tuple(...fields.map((field) => fc.constantFrom(...candidates[field]!))), (values) => {
        const item: Record<string, unknown> = { ...good };
        fields.forEach((field, i) => {
          if (values[i] === undefined) delete item[field];
          else item[field] = values[i];
        });
        const problem = tradeProblem(item);
        expect(problem === null, `${JSON.stringify(item)}: ${problem}`).toBe(
          TradeSchema.safeParse(item).success,
        );
        if (problem !== null) {
          // The reason names the field TradeSchema names first.
          const issue = TradeSchema.safeParse(item).error!.issues[0]!;
          expect(problem.split(":")[0]).toBe(issue.path.join("."));
        }
      }),
      { numRuns: 3_000 },
    );
    for (const notAnObject of [null, 3, "trade", [good]]) expect(tradeProblem(notAnObject)).not.toBeNull();
  });

  it("hand on the parsed array itself when every item is valid, and nothing rejected", () => {
    const data = recorded.data as unknown[];
    const { items, rejected } = checkTrades(data);
    expect(items).toBe(data);
    expect(rejected).toEqual([]);
    expect(Object.isFrozen(rejected)).toBe(true);
  });

  it("keep the valid items around an invalid one and report it with its reason, time and raw text", () => {
    const [first, second] = recorded.data as { time: number }[];
    const bad = { ...second, px: 63719 };
    const { items, rejected } = checkTrades([first, bad, second]);
    expect(items).toEqual([first, second]);
    expect(rejected).toEqual([
      { reason: "px: expected a decimal string", time: bad.time, raw: JSON.stringify(bad) },
    ]);
  });
});
