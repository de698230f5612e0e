/**
 * `clearinghouseState`: margin summary and positions of a user on one perp dex (weight 2). Without `dex`
 * (or with `""`) the default dex only (DOCS info-endpoint/perpetuals); a builder-deployed dex is asked by
 * name.
 */
import type { z } from "zod";
import type { WireClearinghouseState } from "../../domain/wire.ts";
import type { InfoClient, InfoMethod } from "../infoClient.ts";
import { ClearinghouseStateSchema } from "../schemas.ts";

export const CLEARINGHOUSE_STATE: InfoMethod<WireClearinghouseState> = {
  type: "clearinghouseState",
  weight: 2,
  schema: ClearinghouseStateSchema as z.ZodType<WireClearinghouseState>,
};

export function clearinghouseState(
  info: InfoClient,
  params: { user: string; dex?: string },
  signal?: AbortSignal,
) {
  return info.request(CLEARINGHOUSE_STATE, withDex(params), signal);
}

/** The default dex is asked without `dex`, as before HIP-3 (the same answer, the same request body). */
export function withDex<T extends { dex?: string }>(params: T): Omit<T, "dex"> | T {
  if (params.dex) return params;
  const { dex: _default, ...rest } = params;
  return rest;
}
