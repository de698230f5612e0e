import { describe, expect, it } from "vitest";
import { alertLinks } from "../../monitor/src/alerts/links.ts";
import { RiskAlerts } from "../../monitor/src/alerts/riskAlerts.ts";
import { MONITOR_ALERT_KINDS } from "../../monitor/src/config/alertConfig.ts";
import { accountSnapshotFrom } from "../../monitor/src/domain/health.ts";
import { dexOfCoin, mergeDexStates } from "../../monitor/src/domain/perpDexes.ts";
import type { WireClearinghouseState } from "../../monitor/src/domain/wire.ts";
import { hip3State, realState } from "../support/fixtures.ts";

const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";

describe("perp dexes", () => {
  it("names the dex of a coin: the prefix of a HIP-3 perp, the default dex otherwise", () => {
    expect(dexOfCoin("xyz:XYZ100")).toBe("xyz");
    expect(dexOfCoin("BTC")).toBe("");
    expect(dexOfCoin("@107")).toBe("");
    expect(dexOfCoin("PURR/USDC")).toBe("");
  });

  it("one snapshot covers every dex: positions of all, values summed exactly, cross ratio of the default dex", () => {
    const merged = mergeDexStates(
      new Map<string, WireClearinghouseState>([
        ["xyz", hip3State()],
        ["", realState()],
      ]),
    );
    const snap = accountSnapshotFrom(ACCOUNT, merged, 1);
    expect(snap.positions.map((p) => p.coin)).toEqual(["BTC", "xyz:XYZ100"]);
    // 30.937022 + 13109.482328, exactly.
    expect(snap.accountValue).toBe("13140.41935");
    expect(snap.totalNtlPos).toBe("110.7093");
    expect(snap.totalMarginUsed).toBe("15.649476");
    expect(snap.withdrawable).toBe("13124.769874");
    // 0.13352 / 30.937022: the default dex's cross figures only (HIP-3 is isolated-only).
    expect(snap.crossMarginRatio).toBe(accountSnapshotFrom(ACCOUNT, realState(), 1).crossMarginRatio);
    const xyz = snap.positions.find((p) => p.coin === "xyz:XYZ100")!;
    expect(xyz).toMatchObject({ leverageType: "isolated", markPx: "2985.9", liquidationPx: "2866.26936529" });
    // |2985.9 − 2866.26936529| / 2985.9
    expect(xyz.liquidationDistance).toBe("0.04006518");
    expect(snap.minLiquidationDistance).toBe("0.04006518");
    expect(snap.positionsCount).toBe(2);
  });

  it("prefixes a HIP-3 position's coin with its dex when the answer lacks it", () => {
    const bare = structuredClone(hip3State());
    bare.assetPositions[0]!.position.coin = "XYZ100";
    const merged = mergeDexStates(new Map([["xyz", bare]]));
    expect(merged.assetPositions[0]!.position.coin).toBe("xyz:XYZ100");
    // No default-dex state yet: the cross figures are a flat account's, the dex's values still count.
    expect(merged.crossMaintenanceMarginUsed).toBe("0");
    expect(merged.marginSummary.accountValue).toBe("13109.482328");
  });

  it("a default-dex state alone is passed through unchanged", () => {
    const state = realState();
    expect(mergeDexStates(new Map([["", state]]))).toBe(state);
  });

  it("a liquidation alert for a HIP-3 position names its dex", () => {
    const rules = new RiskAlerts(
      {
        liquidationDistanceWarning: "0.1",
        liquidationDistanceCritical: "0.05",
        marginRatioWarning: "0.5",
        marginRatioCritical: "0.8",
        hysteresis: "0.2",
        cooldownMs: 1_800_000,
      },
      new Set(MONITOR_ALERT_KINDS),
      alertLinks("mainnet", null),
    );
    const snap = accountSnapshotFrom(
      ACCOUNT,
      mergeDexStates(
        new Map([
          ["", realState()],
          ["xyz", hip3State()],
        ]),
      ),
      1_800_000_000,
    );
    const [alert, ...rest] = rules.observe(snap);
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({
      kind: "liquidation_risk",
      severity: "critical",
      coin: "xyz:XYZ100",
      title: "xyz:XYZ100 long 4.01% from liquidation on dex xyz",
    });
    expect(alert!.fields).toContainEqual({ label: "Dex", value: "xyz (builder-deployed, isolated margin)" });
  });
});
