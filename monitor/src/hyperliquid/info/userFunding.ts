/**
 * `userFunding`: funding payments of a user with startTime ≤ time ≤ endTime, at most 500 per response
 * (weight 20 plus 1 per 20 items). `usdc` is the payment: positive when received, negative when paid.
 */
import { z } from "zod";
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

export function userFunding(
  info: InfoClient,
  params: { user: string; startTime: number; endTime?: number },
  signal?: AbortSignal,
) {
  return info.request(USER_FUNDING, params, signal);
}

/** All funding payments in [startTime, endTime] (bounded: `maxPages` requests), oldest first, once each. */
export async function fundingBetween(
  info: InfoClient,
  user: string,
  startTime: number,
  endTime: number,
  maxPages = 10,
): Promise<WireFunding[]> {
  const all = new Map<string, WireFunding>();
  const pages = pagesByTime((from) => userFunding(info, { user, startTime: from, endTime }), {
    startTime,
    pageSize: USER_FUNDING.maxItems!,
    maxPages,
  });
  for await (const page of pages) {
    for (const item of page) all.set(`${item.time}|${item.hash}|${item.delta.coin}`, item);
  }
  return [...all.values()];
}
