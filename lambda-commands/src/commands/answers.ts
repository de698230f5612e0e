/**
 * What each command answers, as pure functions of the data read from the store: a title, a line of
 * summary and labelled figures, the same shape an alert has, so the alert renderers (Telegram HTML with
 * its escaping and 4,096-character split, Discord embeds with their limits) show replies too.
 * Figures are exact decimal strings, rounded for reading at a glance (two places for dollars).
 */
import { D, dec, str } from "../../../monitor/src/domain/decimal.ts";
import type {
  AccountSnapshot,
  ClosedPosition,
  Fill,
  FillCursor,
  OrderState,
  PositionState,
} from "../../../monitor/src/domain/types.ts";
import { COMMANDS, type CommandName } from "./parse.ts";
import { FUNDING_MAX_PAGES, FUNDING_PAGE_SIZE, type PeriodFunding } from "./periodFunding.ts";
import type { PnlChartInput, PnlSummary } from "./pnlSeries.ts";

export interface ReplyField {
  label: string;
  value: string;
}

export interface CommandReply {
  title: string;
  summary: string;
  fields: ReplyField[];
  /** Shows balances, positions or PnL: private where the platform allows (Discord ephemeral). */
  sensitive: boolean;
  /** `/pnl` only: the data of its chart (the PNG is drawn from it where a renderer is wired in). */
  chart: PnlChartInput | null;
}

/** A snapshot newer than this means the monitor is writing: it writes one a minute per live account. */
export const LIVE_SNAPSHOT_AGE_MS = 3 * 60_000;

const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;
/** Dollars with two places and a sign: "+12.35", "-0.50", "0.00" (half-even, exact decimal). */
const usd = (value: string) => {
  const rounded = dec(value).toDecimalPlaces(2, D.ROUND_HALF_EVEN);
  return `${rounded.isPositive() && !rounded.isZero() ? "+" : ""}${rounded.isZero() ? "0.00" : rounded.toFixed(2)}`;
};
const plainUsd = (value: string) => {
  const rounded = dec(value).toDecimalPlaces(2, D.ROUND_HALF_EVEN);
  return rounded.isZero() ? "0.00" : rounded.toFixed(2);
};
const percent = (ratio: string) => `${str(dec(ratio).times(100).toDecimalPlaces(2, D.ROUND_HALF_EVEN))}%`;
const utc = (time: number) => new Date(time).toISOString().replace("T", " ").slice(0, 16);

function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours}h` : `${Math.round(hours / 24)}d`;
}

export function usageReply(usage: string): CommandReply {
  return { title: "Usage", summary: usage, fields: [], sensitive: false, chart: null };
}

export function storeUnavailableReply(): CommandReply {
  return {
    title: "Storage unavailable",
    summary: "storage unavailable, try again",
    fields: [],
    sensitive: false,
    chart: null,
  };
}

export function unknownAccountReply(argument: string, accounts: readonly string[]): CommandReply {
  return {
    title: "Unknown account",
    summary: `${argument} is none of the monitored accounts (${accounts.map(short).join(", ") || "none configured"})`,
    fields: [],
    sensitive: false,
    chart: null,
  };
}

export function helpReply(platform: "telegram" | "discord"): CommandReply {
  return {
    title: "hl-monitor commands",
    summary:
      "Without an account argument a command covers every monitored account; give an address or its start (0xb7b6) for one.",
    fields: COMMANDS.filter((command) => platform === "telegram" || !command.telegramOnly).map((command) => ({
      label: command.usage,
      value: command.description,
    })),
    sensitive: false,
    chart: null,
  };
}

export function chatIdReply(chatId: string): CommandReply {
  return {
    title: "Chat id",
    summary: `This chat's id is ${chatId}: put it in TELEGRAM_CHAT_ID (several chats: a comma list).`,
    fields: [{ label: "chat id", value: chatId }],
    sensitive: false,
    chart: null,
  };
}

export interface AccountStatus {
  account: string;
  snapshot: AccountSnapshot | null;
  cursor: FillCursor | null;
}

/**
 * `/status` from what the monitor stores: an account snapshot a minute, which records the account's feed
 * then (live or not, the age of its newest data frame, the monitor's version), and the backfill cursor's
 * last update. A feed counts as live when the newest snapshot says so and is at most three minutes old (a
 * monitor that stopped writing is not live, whatever its last snapshot said). Snapshots written before the
 * feed was recorded count as live by their age alone.
 */
export function statusReply(
  statuses: readonly AccountStatus[],
  now: number,
  fallbackVersion: string,
): CommandReply {
  const isLive = ({ snapshot }: AccountStatus) =>
    snapshot !== null && now - snapshot.time <= LIVE_SNAPSHOT_AGE_MS && (snapshot.feed?.live ?? true);
  const live = statuses.filter(isLive).length;
  const versions = [
    ...new Set(
      statuses.map((status) => status.snapshot?.feed?.monitorVersion).filter((v): v is string => !!v),
    ),
  ];
  const fields = statuses.map((status) => {
    const { account, snapshot, cursor } = status;
    let data = "no data yet";
    if (snapshot) {
      const dataAge =
        snapshot.feed && snapshot.feed.lastDataAgeMs !== null
          ? now - snapshot.time + snapshot.feed.lastDataAgeMs
          : now - snapshot.time;
      data = `${isLive(status) ? "live" : "not live"}, last data ${age(dataAge)} ago`;
    }
    const backfill = cursor ? `, last backfill ${age(now - cursor.updatedAt)} ago` : ", no backfill yet";
    return { label: short(account), value: `${data}${backfill}` };
  });
  return {
    title:
      live === statuses.length && statuses.length > 0
        ? "Monitor: all feeds live"
        : "Monitor: not all feeds live",
    summary: `${live} of ${statuses.length} account feed(s) live · monitor ${versions.join(", ") || `version unknown (commands ${fallbackVersion})`}`,
    fields,
    sensitive: false,
    chart: null,
  };
}

/** The dex of a coin: HIP-3 coins are `<dex>:<coin>`; the rest trade on the main perp dex. */
const dexOf = (coin: string) => (coin.includes(":") ? coin.slice(0, coin.indexOf(":")) : "main");

export interface AccountPositions {
  account: string;
  positions: PositionState[];
  snapshot: AccountSnapshot | null;
}

export function positionsReply(accounts: readonly AccountPositions[]): CommandReply {
  const fields: ReplyField[] = [];
  for (const { account, positions, snapshot } of accounts) {
    const sorted = [...positions].sort(
      (a, b) => dexOf(a.coin).localeCompare(dexOf(b.coin)) || a.coin.localeCompare(b.coin),
    );
    for (const position of sorted) {
      const health = snapshot?.positions.find((entry) => entry.coin === position.coin);
      const size = dec(position.size).abs();
      const parts = [
        `${position.side ?? "?"} ${str(size)} @ ${position.entryPx ?? "?"}`,
        `mark ${health?.markPx ?? "?"}`,
        `uPnL ${health ? usd(health.unrealizedPnl) : "?"}`,
        `liq ${health?.liquidationDistance ? `${percent(health.liquidationDistance)} away` : "none"}`,
      ];
      fields.push({
        label: `${short(account)} · ${dexOf(position.coin)} · ${position.coin}`,
        value: parts.join(" · "),
      });
    }
  }
  const count = fields.length;
  return {
    title: count === 0 ? "No open positions" : `${count} open position(s)`,
    summary: accounts
      .map(({ account, snapshot }) =>
        snapshot
          ? `${short(account)}: value ${plainUsd(snapshot.accountValue)}, uPnL ${usd(snapshot.totalUnrealizedPnl)} (${utc(snapshot.time)} UTC)`
          : `${short(account)}: no snapshot yet`,
      )
      .join("\n"),
    fields,
    sensitive: true,
    chart: null,
  };
}

const describeTrade = (position: ClosedPosition) =>
  `${position.coin} ${position.side} ${usd(position.realizedPnl)} (${utc(position.closedAt)})`;

/** The funding line: exact to the micro-dollar (payments are that small), or why there is none. */
function describeFunding(funding: PeriodFunding): string {
  switch (funding.status) {
    case "offline":
      return "unavailable offline (give --api-url to ask Hyperliquid)";
    case "unavailable":
      return "unavailable";
    case "ok": {
      const total = dec(funding.total);
      const signed = total.gt(0) ? `+${str(total)}` : str(total);
      const cut =
        funding.cutAt === null
          ? ""
          : `; capped at ${FUNDING_MAX_PAGES} pages of ${FUNDING_PAGE_SIZE} an account: read up to ${utc(funding.cutAt)} UTC only`;
      return `${signed} (${funding.payments} payments${cut})`;
    }
  }
}

export function pnlReply(
  summary: PnlSummary,
  accounts: readonly string[],
  funding: PeriodFunding,
  chart: PnlChartInput,
): CommandReply {
  const periodText =
    summary.period === "all"
      ? "all time"
      : summary.period === "today"
        ? "today (UTC)"
        : `last ${summary.period}`;
  return {
    title: `PnL ${periodText}: ${usd(summary.realizedPnl)}`,
    summary: `Realised PnL net of fees of positions closed ${periodText}, ${accounts.map(short).join(", ")}`,
    fields: [
      { label: "realised (net)", value: usd(summary.realizedPnl) },
      { label: "before fees", value: usd(summary.grossPnl) },
      { label: "fees", value: plainUsd(summary.fees) },
      { label: "funding", value: describeFunding(funding) },
      { label: "trades", value: `${summary.trades} (${summary.wins} won, ${summary.losses} lost)` },
      { label: "best", value: summary.best ? describeTrade(summary.best) : "—" },
      { label: "worst", value: summary.worst ? describeTrade(summary.worst) : "—" },
    ],
    sensitive: true,
    chart,
  };
}

export function fillsReply(fills: readonly Fill[], count: number): CommandReply {
  const newest = [...fills].sort((a, b) => b.time - a.time).slice(0, count);
  return {
    title: newest.length === 0 ? "No fills" : `Latest ${newest.length} fill(s)`,
    summary: "",
    fields: newest.map((fill) => ({
      label: `${utc(fill.time)} · ${short(fill.account)}`,
      value: `${fill.coin} ${fill.dir} ${fill.sz} @ ${fill.px} · fee ${fill.fee}${dec(fill.closedPnl).isZero() ? "" : ` · closed ${usd(fill.closedPnl)}`}`,
    })),
    sensitive: true,
    chart: null,
  };
}

export function ordersReply(orders: readonly OrderState[]): CommandReply {
  return {
    title: orders.length === 0 ? "No open orders" : `${orders.length} open order(s)`,
    summary: "",
    fields: orders.map((order) => ({
      label: `${short(order.account)} · ${order.coin}`,
      value: `${order.side === "B" ? "buy" : "sell"} ${order.sz} of ${order.origSz} @ ${order.limitPx} · ${order.status} since ${utc(order.statusTimestamp)}`,
    })),
    sensitive: true,
    chart: null,
  };
}

export function isSensitive(name: CommandName): boolean {
  return COMMANDS.find((command) => command.name === name)?.sensitive ?? true;
}
