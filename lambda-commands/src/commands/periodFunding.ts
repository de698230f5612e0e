/**
 * `/pnl`'s funding: the monitor's store keeps no funding, so the period's payments are asked of
 * Hyperliquid (`userFunding`, paged by time) for each account and summed exactly. Never throws and never
 * outlasts its deadline: a slow or failing API makes the reply say "unavailable", the rest still answers.
 */
import { dec, str } from "../../../monitor/src/domain/decimal.ts";
import {
  fundingPages,
  type InfoRequester,
  USER_FUNDING,
} from "../../../monitor/src/hyperliquid/info/userFunding.ts";
import type { TimeRange } from "../store/commandStore.ts";

/**
 * Pages of 500 payments read per account at most. Funding is hourly per open coin: 10 pages hold 5,000
 * payments (a month of seven coins); a longer `all` history is cut there and the reply says so.
 */
export const FUNDING_MAX_PAGES = 10;
/** Payments in a full `userFunding` answer (500). */
export const FUNDING_PAGE_SIZE = USER_FUNDING.maxItems!;

export type PeriodFunding =
  | {
      status: "ok";
      /** Σ usdc over the accounts: positive received, negative paid. */
      total: string;
      payments: number;
      /** Set when the page limit cut an account's history: payments after this time were not read. */
      cutAt: number | null;
    }
  | { status: "unavailable"; reason: string }
  /** No API to ask (the local runner without --api-url). */
  | { status: "offline" };

export async function periodFunding(
  info: InfoRequester,
  accounts: readonly string[],
  range: TimeRange,
  deadlineMs: number,
): Promise<PeriodFunding> {
  const signal = AbortSignal.timeout(Math.max(1, deadlineMs));
  try {
    const perAccount = await Promise.all(
      accounts.map((account) =>
        fundingPages(info, account, range.from, range.to, { maxPages: FUNDING_MAX_PAGES, signal }),
      ),
    );
    let total = dec(0);
    let payments = 0;
    let cutAt: number | null = null;
    for (const pages of perAccount) {
      for (const payment of pages.payments) total = total.plus(payment.delta.usdc);
      payments += pages.payments.length;
      if (!pages.complete && pages.newestTime !== null)
        cutAt = Math.min(cutAt ?? pages.newestTime, pages.newestTime);
    }
    return { status: "ok", total: str(total), payments, cutAt };
  } catch (error) {
    return {
      status: "unavailable",
      reason: signal.aborted
        ? `no answer within ${deadlineMs} ms`
        : String((error as Error)?.message ?? error),
    };
  }
}
