/** The commands' pure parts: parsing, the /pnl numbers and series, and what the replies say. */
import { describe, expect, it } from "vitest";
import { positionsReply, statusReply } from "../../lambda-commands/src/commands/answers.ts";
import { parseCommand, parseCommandText, selectAccounts } from "../../lambda-commands/src/commands/parse.ts";
import {
  accountValueSlices,
  periodRange,
  pnlSeries,
  pnlSummary,
} from "../../lambda-commands/src/commands/pnlSeries.ts";
import { ACCOUNT, closedPosition, OTHER_ACCOUNT, positionState, snapshot, T0 } from "./records.ts";

describe("parsing", () => {
  it.each([
    ["/pnl", { name: "pnl", period: "30d", account: null }],
    ["/pnl@hl_monitor_bot today", { name: "pnl", period: "today", account: null }],
    ["/PNL ALL 0xB7B6", { name: "pnl", period: "all", account: "0xb7b6" }],
    ["/fills", { name: "fills", count: 10, account: null }],
    ["/fills 25 0x70", { name: "fills", count: 25, account: "0x70" }],
    ["/positions", { name: "positions", account: null }],
    ["  /help  ", { name: "help" }],
  ])("%s", (text, command) => {
    expect(parseCommandText(text)).toEqual({ ok: true, command });
  });

  it.each([
    ["/pnl 3y", "usage: /pnl [today|7d|30d|all] [account]"],
    ["/fills 0", "usage: /fills [1-25] [account]"],
    ["/fills 26", "usage: /fills [1-25] [account]"],
    ["/orders bob", "usage: /orders [account]"],
    ["/help me", "usage: /help"],
  ])("%s gets its usage line", (text, usage) => {
    expect(parseCommandText(text)).toEqual({ ok: false, usage });
  });

  it("stays silent for text that is not one of its commands", () => {
    for (const text of ["hello", "/start", "/weather 7d", "", "pnl"]) {
      expect(parseCommandText(text)).toEqual({ ok: false, usage: null });
    }
    expect(parseCommand("pnl", ["7d", "0x70"])).toEqual({
      ok: true,
      command: { name: "pnl", period: "7d", account: "0x70" },
    });
  });

  it("selects accounts by address or its start", () => {
    expect(selectAccounts([ACCOUNT, OTHER_ACCOUNT], null)).toEqual([ACCOUNT, OTHER_ACCOUNT]);
    expect(selectAccounts([ACCOUNT, OTHER_ACCOUNT], "0x7099")).toEqual([ACCOUNT]);
    expect(selectAccounts([ACCOUNT], "0xdead")).toBeNull();
  });
});

describe("/pnl numbers", () => {
  const closed = [
    closedPosition({ closedAt: T0 - 3_000, realizedPnl: "0.1", closedPnl: "0.2", fees: "0.1" }),
    closedPosition({
      coin: "ETH",
      closedAt: T0 - 2_000,
      realizedPnl: "0.2",
      closedPnl: "0.25",
      fees: "0.05",
    }),
    closedPosition({ coin: "SOL", closedAt: T0 - 1_000, realizedPnl: "-0.3", closedPnl: "-0.3", fees: "0" }),
  ];

  it("sums exactly (0.1 + 0.2 − 0.3 = 0), counts wins and losses, finds best and worst", () => {
    const summary = pnlSummary("7d", periodRange("7d", T0), closed);
    expect(summary).toMatchObject({
      trades: 3,
      wins: 2,
      losses: 1,
      realizedPnl: "0",
      grossPnl: "0.15",
      fees: "0.15",
    });
    expect(summary.best!.coin).toBe("ETH");
    expect(summary.worst!.coin).toBe("SOL");
  });

  it("periods: today from 00:00 UTC, 7d and 30d back from now, all from the start", () => {
    const now = Date.parse("2026-12-02T12:34:56Z");
    expect(periodRange("today", now)).toEqual({ from: Date.parse("2026-12-02T00:00:00Z"), to: now });
    expect(periodRange("7d", now).from).toBe(now - 7 * 86_400_000);
    expect(periodRange("all", now).from).toBe(0);
  });

  it("series: cumulative PnL from 0 stepping at each close; account value summed per sample", () => {
    const range = { from: T0 - 10_000, to: T0 };
    const slices = accountValueSlices(range, 2);
    expect(slices).toEqual([
      { from: T0 - 10_000 + 1, to: T0 - 5_000 },
      { from: T0 - 5_000 + 1, to: T0 },
    ]);
    const series = pnlSeries({
      range,
      closed: [...closed].reverse(),
      accountValues: [[], [snapshot(T0 - 10, "100.5"), snapshot(T0 - 20, "0.25", OTHER_ACCOUNT)]],
    });
    expect(series.cumulativePnl).toEqual([
      { t: T0 - 10_000, value: "0" },
      { t: T0 - 3_000, value: "0.1" },
      { t: T0 - 2_000, value: "0.3" },
      { t: T0 - 1_000, value: "0" },
    ]);
    expect(series.accountValue).toEqual([{ t: T0 - 10, value: "100.75" }]);
    // `all` starts at the first close.
    expect(pnlSeries({ range: { from: 0, to: T0 }, closed }).cumulativePnl[0]).toEqual({
      t: T0 - 3_000,
      value: "0",
    });
  });

  it("samples a long period over the snapshots' 30 days of retention only", () => {
    const slices = accountValueSlices({ from: 0, to: T0 });
    expect(slices).toHaveLength(24);
    expect(slices[0]!.from).toBeGreaterThan(T0 - 30 * 86_400_000);
    expect(slices.at(-1)!.to).toBe(T0);
  });
});

describe("replies", () => {
  it("/positions: side, size, entry, mark, unrealised PnL and liquidation distance per account and dex", () => {
    const reply = positionsReply([
      {
        account: ACCOUNT,
        positions: [positionState(), positionState({ coin: "xyz:TSLA", side: "short", size: "-2" })],
        snapshot: snapshot(T0, "1000"),
      },
    ]);
    expect(reply.sensitive).toBe(true);
    expect(reply.fields).toEqual([
      {
        label: "0x7099…79c8 · main · BTC",
        value: "long 0.00016 @ 78751.0 · mark 80000.0 · uPnL +0.20 · liq 12% away",
      },
      { label: "0x7099…79c8 · xyz · xyz:TSLA", value: "short 2 @ 78751.0 · mark ? · uPnL ? · liq none" },
    ]);
  });

  it("/status: live when the newest snapshot says so and is under three minutes old", () => {
    const feed = (live: boolean, lastDataAgeMs: number | null) => ({
      live,
      lastDataAgeMs,
      monitorVersion: "0.1.0",
    });
    const cursor = { account: ACCOUNT, time: 1, fillIds: [], updatedAt: T0 - 3_600_000 };
    const reply = statusReply(
      [
        { account: ACCOUNT, snapshot: { ...snapshot(T0 - 60_000, "1"), feed: feed(true, 2_000) }, cursor },
        {
          account: OTHER_ACCOUNT,
          snapshot: { ...snapshot(T0 - 30_000, "1", OTHER_ACCOUNT), feed: feed(false, null) },
          cursor: null,
        },
        {
          account: `0x${"1".repeat(40)}`,
          snapshot: { ...snapshot(T0 - 600_000, "1"), feed: feed(true, 0) },
          cursor: null,
        },
        { account: `0x${"2".repeat(40)}`, snapshot: null, cursor: null },
      ],
      T0,
      "0.1.0",
    );
    expect(reply.title).toBe("Monitor: not all feeds live");
    expect(reply.summary).toBe("1 of 4 account feed(s) live · monitor 0.1.0");
    expect(reply.fields.map((f) => f.value)).toEqual([
      "live, last data 62s ago, last backfill 60m ago",
      "not live, last data 30s ago, no backfill yet",
      "not live, last data 10m ago, no backfill yet",
      "no data yet, no backfill yet",
    ]);
  });
});
