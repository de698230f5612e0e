/**
 * `userFunding`: funding payments of a user with startTime ≤ time ≤ endTime, at most 500 per response
 * (weight 20 plus 1 per 20 items). `usdc` is the payment: positive when received, negative when paid.
 */
// A namespace import: esbuild can then drop what is unused (zod's locales, ~260 KB) from the commands
// Lambda's bundle, which validates userFunding answers with these schemas.
import * as z from "zod";
import type { InfoClient, InfoMethod } from "../infoClient.ts";
import { pagesByTime } from "../pagesByTime.ts";
import { decimalString } from "../schemas.ts";

export const FundingSchema = z.object({
  time: z.number().int(),
  hash: z.string(),
  delta: z.object({
    type: z.literal("funding"),
    coin: z.string(),
    usdc: decimalString,
    szi: decimalString,
    fundingRate: decimalString,
  }),
});

export type WireFunding = z.infer<typeof FundingSchema>;

export const USER_FUNDING: InfoMethod<WireFunding[]> = {
  type: "userFunding",
  weight: 20,
  perTwentyItems: true,
  maxItems: 500,
  schema: z.array(FundingSchema),
};

/**
 * What the functions below need of a client: the monitor's InfoClient (weight budget, retries), or the
 * commands Lambda's plain fetch (lambda-commands/src/hyperliquid/fetchInfo.ts), which keeps its bundle small.
 */
export type InfoRequester = Pick<InfoClient, "request">;

export function userFunding(
  info: InfoRequester,
  params: { user: string; startTime: number; endTime?: number },
  signal?: AbortSignal,
) {
  return info.request(USER_FUNDING, params, signal);
}

/** All funding payments in [startTime, endTime] (bounded: `maxPages` requests), oldest first, once each. */
export async function fundingBetween(
  info: InfoRequester,
  user: string,
  startTime: number,
  endTime: number,
  maxPages = 10,
): Promise<WireFunding[]> {
  return (await fundingPages(info, user, startTime, endTime, { maxPages })).payments;
}

export interface FundingPages {
  /** Oldest first, once each. */
  payments: WireFunding[];
  /** False when `maxPages` full pages were read and more may follow: the payments end at `newestTime`. */
  complete: boolean;
  newestTime: number | null;
}

/** As `fundingBetween`, saying whether the page limit cut the range short; abortable. */
export async function fundingPages(
  info: InfoRequester,
  user: string,
  startTime: number,
  endTime: number,
  options: { maxPages: number; signal?: AbortSignal },
): Promise<FundingPages> {
  const all = new Map<string, WireFunding>();
  const pageSize = USER_FUNDING.maxItems!;
  let pagesRead = 0;
  let lastPageFull = false;
  const pages = pagesByTime((from) => userFunding(info, { user, startTime: from, endTime }, options.signal), {
    startTime,
    pageSize,
    maxPages: options.maxPages,
  });
  for await (const page of pages) {
    pagesRead += 1;
    lastPageFull = page.length >= pageSize;
    for (const item of page) all.set(`${item.time}|${item.hash}|${item.delta.coin}`, item);
  }
  const payments = [...all.values()].sort((a, b) => a.time - b.time);
  return {
    payments,
    complete: !(pagesRead >= options.maxPages && lastPageFull),
    newestTime: payments.at(-1)?.time ?? null,
  };
}
