/**
 * `userFillsByTime`: fills with startTime ≤ time ≤ endTime (inclusive), at most 2000 per response.
 *
 * Validated fill by fill: one fill the schema refuses must not reject the other 1,999 of its page (the
 * sync would then fail on that page forever). The valid fills are returned with the refused ones
 * (`rejected`, raw text included) for the caller to count, log and report.
 */
import { z } from "zod";
import type { WireFill } from "../../domain/wire.ts";
import type { InfoClient, InfoMethod } from "../infoClient.ts";
import type { TimedPage } from "../pagesByTime.ts";
import { FillSchema, type RejectedItem, validateEach } from "../schemas.ts";

export interface UserFillsByTimeParams {
  user: string;
  startTime: number;
  endTime?: number;
}

export interface FillsPage extends TimedPage<WireFill> {
  rejected: RejectedItem[];
}

/** The answer must be an array; its items are validated one by one in `userFillsByTime`. */
export const USER_FILLS_BY_TIME: InfoMethod<unknown[]> = {
  type: "userFillsByTime",
  weight: 20,
  perTwentyItems: true,
  maxItems: 2000,
  schema: z.array(z.unknown()),
};

/** Always unaggregated: fills are keyed on tid, and aggregation merges partial fills. */
export async function userFillsByTime(
  info: InfoClient,
  params: UserFillsByTimeParams,
  signal?: AbortSignal,
): Promise<FillsPage> {
  const answer = await info.request(USER_FILLS_BY_TIME, { ...params, aggregateByTime: false }, signal);
  const { items, rejected } = validateEach(answer, FillSchema);
  const times = [...items.map((fill) => fill.time), ...rejected.flatMap((item) => item.time ?? [])];
  return {
    items: items as WireFill[],
    rejected,
    received: answer.length,
    newestTime: times.length === 0 ? null : Math.max(...times),
  };
}
