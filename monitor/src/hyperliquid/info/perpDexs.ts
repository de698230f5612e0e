/**
 * `perpDexs`: every perp dex, the default one first as `null`, then one object per builder-deployed
 * (HIP-3) dex (weight 20: DOCS rate-limits-and-user-limits, "all other documented info requests"). DOCS
 * info-endpoint/perpetuals shows `name`, `fullName`, `deployer`, `oracleUpdater`, `feeRecipient`,
 * `assetToStreamingOiCap`, `assetToFundingMultiplier`; the SDK types more. Only `name` is used: the rest
 * is allowed and ignored.
 */
import { z } from "zod";
import type { InfoClient, InfoMethod } from "../infoClient.ts";

export const PerpDexsSchema = z.array(
  z
    .object({ name: z.string().min(1) })
    .passthrough()
    .nullable(),
);

export type PerpDexsAnswer = z.infer<typeof PerpDexsSchema>;

export const PERP_DEXS: InfoMethod<PerpDexsAnswer> = {
  type: "perpDexs",
  weight: 20,
  schema: PerpDexsSchema,
};

/** The names of the builder-deployed dexes (the default dex, `null` in the answer, is left out). */
export async function perpDexNames(info: InfoClient, signal?: AbortSignal): Promise<string[]> {
  const answer = await info.request(PERP_DEXS, {}, signal);
  return [...new Set(answer.flatMap((dex) => (dex === null ? [] : [dex.name])))];
}
