/**
 * `userAbstraction`: the account abstraction mode of a user (DOCS info-endpoint "Query a user's
 * abstraction state": request `{type, user}`, weight 20 like the other documented info requests). The
 * docs give no response example; the answer is a bare JSON string, which the SDK types as "unifiedAccount" |
 * "portfolioMargin" | "disabled" | "default" (other SDKs also list "dexAbstraction"). Kept open-ended.
 */
import { z } from "zod";
import type { InfoClient, InfoMethod } from "../infoClient.ts";

export const USER_ABSTRACTION: InfoMethod<string> = {
  type: "userAbstraction",
  weight: 20,
  schema: z.string().min(1),
};

export function userAbstraction(info: InfoClient, params: { user: string }, signal?: AbortSignal) {
  return info.request(USER_ABSTRACTION, params, signal);
}
