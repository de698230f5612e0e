/** The CVD's exact BigInt sums agree with decimal.js on every input, and refuse what they cannot hold. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CvdAggregator } from "../../monitor/src/domain/cvd.ts";
import { dec, str } from "../../monitor/src/domain/decimal.ts";
import { fromScaled, toScaled } from "../../monitor/src/domain/scaledDecimal.ts";

const decimalString = fc
  .tuple(
    fc.boolean(),
    fc.bigInt({ min: 0n, max: 10n ** 12n }),
    fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 18 }),
  )
  .map(([negative, whole, fraction]) => `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`);

describe("scaled decimals", () => {
  it("round-trip and sum exactly like decimal.js (plain notation, no trailing zeros)", () => {
    fc.assert(
      fc.property(fc.array(decimalString, { minLength: 1, maxLength: 20 }), (values) => {
        for (const value of values) expect(fromScaled(toScaled(value)!)).toBe(str(dec(value)));
        const sum = values.reduce((total, value) => total + toScaled(value)!, 0n);
        const expected = values.reduce((total, value) => total.plus(value), dec(0));
        expect(fromScaled(sum)).toBe(str(expected));
      }),
      { numRuns: 500 },
    );
  });

  it("refuses exponents, more than 18 places and non-decimals; trailing zeros beyond 18 are fine", () => {
    expect(toScaled("1e-5")).toBeNull();
    expect(toScaled("0.0000000000000000001")).toBeNull();
    expect(toScaled("abc")).toBeNull();
    expect(toScaled("0.10000000000000000000000")).toBe(10n ** 17n);
    expect(fromScaled(0n)).toBe("0");
    expect(fromScaled(-(10n ** 18n) / 2n)).toBe("-0.5");
  });

  it("a trade whose size cannot be held exactly is skipped and counted, not rounded", () => {
    const cvd = new CvdAggregator();
    const trade = { coin: "BTC", side: "B" as const, px: "1", time: 1, hash: "0x", tid: 1 };
    expect(cvd.ingest([{ ...trade, sz: "0.0000000000000000001" }])).toEqual({
      accepted: 0,
      duplicates: 0,
      invalid: 1,
    });
    expect(cvd.ingest([{ ...trade, tid: 2, sz: "0.5" }])).toEqual({ accepted: 1, duplicates: 0, invalid: 0 });
    expect(cvd.drainDirtyBuckets()[0]).toMatchObject({ buyVolume: "0.5", cvd: "0.5", tradeCount: 1 });
  });
});
