/**
 * The read view's contract (lambda-commands/src/store/commandStore.ts) as one suite: the monitor's own
 * store writes the records, the back end's CommandStore reads them. DynamoDB (dynalite) and Supabase
 * (PGlite behind the PostgREST stand-in, with the read-only role) both run it unchanged.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandStore } from "../../lambda-commands/src/store/commandStore.ts";
import { normalizeFill } from "../../monitor/src/domain/fill.ts";
import type { Fill } from "../../monitor/src/domain/types.ts";
import type { MonitorStore } from "../../monitor/src/storage/store.ts";
import { currentFills } from "../support/fixtures.ts";
import { ACCOUNT, closedPosition, OTHER_ACCOUNT, order, positionState, snapshot, T0 } from "./records.ts";

export type ReadViewFactory = () => Promise<{
  writer: MonitorStore;
  reader: CommandStore;
  cleanup(): Promise<void>;
}>;

export function describeReadViewConformance(name: string, make: ReadViewFactory): void {
  describe(`${name} conforms to CommandStore`, () => {
    let writer: MonitorStore;
    let reader: CommandStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ writer, reader, cleanup } = await make());
      await writer.init();
    });
    afterEach(async () => {
      await cleanup();
    });

    it("reads open positions only, exactly as written", async () => {
      const open = positionState({ coin: "BTC" });
      const flat = positionState({ coin: "ETH", isOpen: false, side: null, size: "0" });
      await writer.savePositions([open, flat], []);
      expect(await reader.openPositions(ACCOUNT)).toStrictEqual([open]);
      expect(await reader.openPositions(OTHER_ACCOUNT)).toEqual([]);
    });

    it("reads closed positions of a time range, inclusive, oldest first", async () => {
      const records = [
        closedPosition({ coin: "ETH", closedAt: T0 + 3_000, realizedPnl: "-1.250000" }),
        closedPosition({ coin: "BTC", closedAt: T0 + 1_000, realizedPnl: "0.525278" }),
        closedPosition({ coin: "BTC", closedAt: T0 + 9_000, realizedPnl: "2" }),
      ];
      await writer.savePositions([], records);
      expect(await reader.closedPositions(ACCOUNT, { from: T0 + 1_000, to: T0 + 3_000 })).toStrictEqual([
        records[1],
        records[0],
      ]);
      expect(await reader.closedPositions(ACCOUNT, { from: 0, to: T0 + 10_000 })).toHaveLength(3);
      expect(await reader.closedPositions(OTHER_ACCOUNT, { from: 0, to: T0 + 10_000 })).toEqual([]);
    });

    it("reads the newest fills newest first, and a period's fills oldest first", async () => {
      const fills: Fill[] = currentFills().map((wire) => normalizeFill(ACCOUNT, wire));
      const newest = Math.max(...fills.map((fill) => fill.time));
      const extra = normalizeFill(ACCOUNT, {
        ...currentFills()[0]!,
        tid: 77,
        time: newest + 50,
        sz: "0.000100",
      });
      await writer.putFills([...fills, extra]);
      const latest = await reader.latestFills(ACCOUNT, 2);
      expect(latest).toHaveLength(2);
      expect(latest[0]).toStrictEqual(extra);
      expect(latest[0]!.time).toBeGreaterThanOrEqual(latest[1]!.time);
      expect(await reader.fills(ACCOUNT, { from: newest + 1, to: newest + 100 })).toStrictEqual([extra]);
      expect(await reader.fills(ACCOUNT, { from: 0, to: newest + 100 })).toHaveLength(fills.length + 1);
    });

    it("reads open and triggered orders, not finished ones", async () => {
      const open = order({ oid: 1 });
      const triggered = order({ oid: 2, status: "triggered" });
      const filled = order({ oid: 3, status: "filled", isTerminal: true });
      await writer.putOrders([open, triggered, filled]);
      const read = await reader.openOrders(ACCOUNT);
      expect(read.map((o) => o.oid).sort()).toEqual([1, 2]);
      expect(read.find((o) => o.oid === 1)).toStrictEqual(open);
    });

    it("reads the newest snapshot, and the newest within a range", async () => {
      await writer.putAccountSnapshot(snapshot(T0, "30.1"));
      await writer.putAccountSnapshot(snapshot(T0 + 60_000, "30.937022"));
      // The newest carries the feed's state, as the monitor writes it now.
      const newest = {
        ...snapshot(T0 + 120_000, "31"),
        feed: { live: true, lastDataAgeMs: 1_250, monitorVersion: "0.1.0" },
      };
      await writer.putAccountSnapshot(newest);
      expect(await reader.latestSnapshot(ACCOUNT)).toStrictEqual(newest);
      expect(await reader.snapshotWithin(ACCOUNT, { from: T0, to: T0 + 90_000 })).toStrictEqual(
        snapshot(T0 + 60_000, "30.937022"),
      );
      expect(await reader.snapshotWithin(ACCOUNT, { from: T0 + 1, to: T0 + 59_999 })).toBeNull();
      expect(await reader.latestSnapshot(OTHER_ACCOUNT)).toBeNull();
    });

    it("reads the fill cursor", async () => {
      expect(await reader.fillCursor(ACCOUNT)).toBeNull();
      const cursor = { account: ACCOUNT, time: T0, fillIds: ["t:1"], updatedAt: T0 + 5 };
      await writer.setFillCursor(cursor);
      expect(await reader.fillCursor(ACCOUNT)).toStrictEqual(cursor);
    });
  });
}
