/**
 * Runs a parsed command: reads what it needs from the store (under one deadline for the whole command)
 * and hands the data to the pure answer functions. The Lambda and the local runner (`npm run commands`)
 * both come through here, so they answer alike.
 */
import type { AccountSnapshot } from "../../../monitor/src/domain/types.ts";
import type { InfoRequester } from "../../../monitor/src/hyperliquid/info/userFunding.ts";
import { type CommandStore, StoreUnavailableError, withDeadline } from "../store/commandStore.ts";
import {
  type CommandReply,
  fillsReply,
  helpReply,
  ordersReply,
  pnlReply,
  positionsReply,
  statusReply,
  storeUnavailableReply,
  unknownAccountReply,
} from "./answers.ts";
import { type Command, selectAccounts } from "./parse.ts";
import { type PeriodFunding, periodFunding } from "./periodFunding.ts";
import { accountValueSlices, periodRange, pnlSeries, pnlSummary } from "./pnlSeries.ts";

export interface CommandContext {
  /** The monitored accounts (ACCOUNT_ADDRESS), lower-case. */
  accounts: readonly string[];
  /** Null when no store is configured: only commands that need none are answered. */
  store: CommandStore | null;
  platform: "telegram" | "discord";
  now: number;
  /** The whole command's store reads must finish within this (ms). */
  deadlineMs: number;
  version: string;
  /** Hyperliquid's `/info`, for `/pnl`'s funding (the store has none); null offline: the reply says so. */
  hyperliquid: InfoRequester | null;
}

/**
 * Funding is asked for alongside the store reads and given up this long before their deadline, so a
 * slow Hyperliquid costs the reply its funding line, never the "storage unavailable" of the rest.
 */
const FUNDING_MARGIN_MS = 150;

export async function runCommand(command: Command, context: CommandContext): Promise<CommandReply> {
  if (command.name === "help") return helpReply(context.platform);
  if (command.name === "chatid") throw new Error("/chatid is answered by the Telegram webhook itself");
  const accounts = selectAccounts(context.accounts, command.account);
  if (accounts === null) return unknownAccountReply(command.account ?? "", context.accounts);
  const store = context.store;
  if (store === null) return storeUnavailableReply();
  try {
    return await withDeadline(context.deadlineMs, () => answer(command, accounts, store, context));
  } catch (error) {
    if (error instanceof StoreUnavailableError) return storeUnavailableReply();
    throw error;
  }
}

async function answer(
  command: Exclude<Command, { name: "help" | "chatid" }>,
  accounts: string[],
  store: CommandStore,
  context: CommandContext,
): Promise<CommandReply> {
  const perAccount = <T>(read: (account: string) => Promise<T>) => Promise.all(accounts.map(read));
  switch (command.name) {
    case "status": {
      const statuses = await perAccount(async (account) => ({
        account,
        snapshot: await store.latestSnapshot(account),
        cursor: await store.fillCursor(account),
      }));
      return statusReply(statuses, context.now, context.version);
    }
    case "positions": {
      const positions = await perAccount(async (account) => ({
        account,
        positions: await store.openPositions(account),
        snapshot: await store.latestSnapshot(account),
      }));
      return positionsReply(positions);
    }
    case "fills": {
      const fills = (await perAccount((account) => store.latestFills(account, command.count))).flat();
      return fillsReply(fills, command.count);
    }
    case "orders": {
      const orders = (await perAccount((account) => store.openOrders(account))).flat();
      return ordersReply(orders);
    }
    case "pnl": {
      const range = periodRange(command.period, context.now);
      const funding: Promise<PeriodFunding> =
        context.hyperliquid === null
          ? Promise.resolve({ status: "offline" })
          : periodFunding(
              context.hyperliquid,
              accounts,
              range,
              Math.max(1, context.deadlineMs - FUNDING_MARGIN_MS),
            );
      const closed = (await perAccount((account) => store.closedPositions(account, range))).flat();
      const slices = accountValueSlices(range);
      const values = await Promise.all(
        slices.map(async (slice) =>
          (await perAccount((account) => store.snapshotWithin(account, slice))).filter(
            (snapshot): snapshot is AccountSnapshot => snapshot !== null,
          ),
        ),
      );
      const summary = pnlSummary(command.period, range, closed);
      const series = pnlSeries({ range, closed, accountValues: values });
      return pnlReply(summary, accounts, await funding, {
        title: `Realised PnL, ${command.period}`,
        cumulativePnl: series.cumulativePnl,
        ...(series.accountValue.length > 0 ? { accountValue: series.accountValue } : {}),
      });
    }
  }
}
