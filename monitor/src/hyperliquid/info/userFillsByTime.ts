/** `userFillsByTime`: fills with startTime ≤ time ≤ endTime (inclusive), at most 2000 per response. */
import { z } from "zod";
import type { WireFill } from "../../domain/wire.ts";
import type { InfoClient, InfoMethod } from "../infoClient.ts";
import { FillSchema } from "../schemas.ts";

export interface UserFillsByTimeParams {
  user: string;
  startTime: number;
  endTime?: number;
}

export const USER_FILLS_BY_TIME: InfoMethod<WireFill[]> = {
  type: "userFillsByTime",
  weight: 20,
  perTwentyItems: true,
  maxItems: 2000,
  schema: z.array(FillSchema) as z.ZodType<WireFill[]>,
};

/** Always unaggregated: fills are keyed on tid, and aggregation merges partial fills. */
export function userFillsByTime(info: InfoClient, params: UserFillsByTimeParams, signal?: AbortSignal) {
  return info.request(USER_FILLS_BY_TIME, { ...params, aggregateByTime: false }, signal);
}
