/** The CVD's exact BigInt sums agree with decimal.js on every input, and refuse what they cannot hold. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CvdAggregator } from "../../monitor/src/domain/cvd.ts";
import { dec, str } from "../../monitor/src/domain/decimal.ts";
import { ExactSum, fromScaled, toScaled, toSmallUnits } from "../../monitor/src/domain/scaledDecimal.ts";

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

describe("the hot path's small units", () => {
  it("read exactly what toScaled reads, or defer to it (NaN); sums agree with BigInt sums (property)", () => {
    const big = fc.bigInt({ min: 0n, max: 2n ** 60n }).map((units) => fromScaled(units * 10n ** 10n));
    const sized = fc.oneof(
      decimalString,
      big,
      fc.constantFrom(
        "0",
        "-0",
        "0.00016",
        "5.",
        ".5",
        "1e3",
        "",
        "-",
        "90071992.54740991",
        "90071992.54740992",
      ),
    );
    fc.assert(
      fc.property(fc.array(sized, { minLength: 1, maxLength: 30 }), (values) => {
        const sum = new ExactSum();
        let expected = 0n;
        for (const value of values) {
          const small = toSmallUnits(value);
          const scaled = toScaled(value);
          if (Number.isNaN(small)) {
            if (scaled !== null) sum.addScaled(scaled);
          } else {
            expect(scaled, value).toBe(BigInt(small) * 10n ** 10n);
            sum.addSmall(small);
          }
          expected += scaled ?? 0n;
        }
        expect(sum.scaled).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it("hold 2⁵³ − 1 units of 10⁻⁸ in a double and defer anything larger or finer", () => {
    expect(toSmallUnits("90071992.54740991")).toBe(Number.MAX_SAFE_INTEGER);
    expect(toSmallUnits("90071992.54740992")).toBeNaN();
    expect(toSmallUnits("0.000000001")).toBeNaN();
    expect(toSmallUnits("0.10000000000000")).toBe(10_000_000);
    expect(toSmallUnits("-1.5")).toBe(-150_000_000);
    const sum = new ExactSum();
    for (let i = 0; i < 5; i++) sum.addSmall(Number.MAX_SAFE_INTEGER);
    sum.addSmall(-1);
    expect(sum.scaled).toBe((5n * BigInt(Number.MAX_SAFE_INTEGER) - 1n) * 10n ** 10n);
  });
});
