/**
 * The log lines the trader's dashboard reads (lib/monitoring/dashboard.ts: Logs Insights over the monitor's
 * log group, no extra metrics): the monitor, run against the Hyperliquid stand-in, writes an "account
 * snapshot" line per account per snapshot and a "fill" line per live fill, and every field the dashboard's
 * queries name is in those lines.
 */
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { TRADER_QUERY_FIELDS } from "../../lib/monitoring/dashboard.ts";
import { createLogger } from "../../monitor/src/telemetry/logger.ts";
import { CLOSED_LINE, FILL_LINE, SNAPSHOT_LINE } from "../../monitor/src/telemetry/traderLog.ts";
import { generatedFills, realState } from "../support/fixtures.ts";
import { ACCOUNT, eventually, type Harness, startHarness } from "../support/harness.ts";

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

const T0 = 1_789_407_000_000;

describe("the monitor's log lines for the trader's dashboard", () => {
  it("one snapshot line per account (positions as an array) and one line per live fill, with every queried field", async () => {
    harness = await startHarness({ env: { SNAPSHOT_INTERVAL_SECONDS: "5" } });
    const h = harness;
    const state = realState();
    h.standIn.setClearinghouseState(ACCOUNT, state);
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const { monitor } = await h.startMonitor({
      monitorOptions: { logger: createLogger({ level: "info", destination }) },
    });
    await eventually("initial sync", () => monitor.watcher(ACCOUNT)!.fills.phase === "live");
    const live = generatedFills(3, T0 + 400_000, 5_000_000);
    // Three opens of 0.00001, then one fill that closes the long.
    const close = {
      ...live[2]!,
      tid: 5_000_010,
      oid: live[2]!.oid + 10,
      time: live[2]!.time + 10,
      side: "A" as const,
      dir: "Close Long",
      sz: "0.00003",
      startPosition: "0.00003",
      closedPnl: "0.5",
    };
    h.standIn.pushFills(ACCOUNT, live);
    h.standIn.pushFills(ACCOUNT, [close]);
    const byMessage = (msg: string) => lines.filter((line) => line.msg === msg);
    await eventually("the fill lines", () => byMessage(FILL_LINE).length >= 4);
    await eventually("the closed position line", () => byMessage(CLOSED_LINE).length >= 1);
    await eventually("a snapshot line", () => byMessage(SNAPSHOT_LINE).length >= 1, 12_000);

    const snapshot = byMessage(SNAPSHOT_LINE)[0]!;
    expect(snapshot).toMatchObject({
      account: ACCOUNT,
      accountValue: state.marginSummary.accountValue,
      unrealizedPnl: expect.any(String),
    });
    const open = state.assetPositions.filter(({ position }) => Number(position.szi) !== 0);
    const positions = snapshot.positions as Record<string, unknown>[];
    expect(positions).toHaveLength(open.length);
    expect(positions.length).toBeGreaterThan(0);
    const first = open[0]!.position;
    expect(positions[0]).toEqual({
      coin: first.coin,
      side: first.szi.startsWith("-") ? "short" : "long",
      size: first.szi.replace(/^-/, ""),
      entryPx: first.entryPx,
      unrealizedPnl: first.unrealizedPnl,
      liquidationDistance: expect.toSatisfy((v: unknown) => v === null || typeof v === "string"),
    });

    const fills = byMessage(FILL_LINE);
    expect(fills.map((fill) => fill.tid)).toEqual([...live, close].map((fill) => fill.tid));
    expect(fills[0]).toMatchObject({
      account: ACCOUNT,
      coin: live[0]!.coin,
      side: live[0]!.side === "B" ? "buy" : "sell",
      px: live[0]!.px,
      sz: live[0]!.sz,
      dir: live[0]!.dir,
      closedPnl: live[0]!.closedPnl,
      fee: live[0]!.fee,
      fillTime: live[0]!.time,
    });

    // Every field the dashboard's queries read is in the line they read it from.
    for (const field of TRADER_QUERY_FIELDS.snapshot) expect(snapshot, field).toHaveProperty(field);
    for (const field of TRADER_QUERY_FIELDS.position) expect(positions[0], field).toHaveProperty(field);
    for (const field of TRADER_QUERY_FIELDS.fill) expect(fills[0], field).toHaveProperty(field);
    const closed = byMessage(CLOSED_LINE)[0]!;
    expect(closed).toMatchObject({ account: ACCOUNT, coin: close.coin, side: "long", closedSize: "0.00003" });
    for (const field of TRADER_QUERY_FIELDS.closed) expect(closed, field).toHaveProperty(field);
  }, 30_000);
});
