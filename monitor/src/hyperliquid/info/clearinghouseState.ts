/** `clearinghouseState`: margin summary and positions of a user (weight 2). */
import type { z } from "zod";
import type { WireClearinghouseState } from "../../domain/wire.ts";
import type { InfoClient, InfoMethod } from "../infoClient.ts";
import { ClearinghouseStateSchema } from "../schemas.ts";

export const CLEARINGHOUSE_STATE: InfoMethod<WireClearinghouseState> = {
  type: "clearinghouseState",
  weight: 2,
  schema: ClearinghouseStateSchema as z.ZodType<WireClearinghouseState>,
};

export function clearinghouseState(info: InfoClient, params: { user: string }, signal?: AbortSignal) {
  return info.request(CLEARINGHOUSE_STATE, params, signal);
}
