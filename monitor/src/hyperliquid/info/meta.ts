/**
 * `meta`: the perpetuals a dex lists (weight 20). `dex` omitted = the default dex; a HIP-3 dex answers for
 * its own assets (PROTOCOL.md Pitfalls). Delisted assets stay in the universe with `isDelisted: true`.
 * Only the names and the delisted flag are read; other fields (margin tables, leverage) may change freely.
 */
import { z } from "zod";
import type { InfoClient, InfoMethod } from "../infoClient.ts";

export const MetaAssetSchema = z.object({
  name: z.string().min(1),
  szDecimals: z.number().int().nonnegative().optional(),
  maxLeverage: z.number().optional(),
  isDelisted: z.boolean().optional(),
});

export const MetaSchema = z.object({ universe: z.array(MetaAssetSchema) });

export type WireMeta = z.infer<typeof MetaSchema>;

export const META: InfoMethod<WireMeta> = {
  type: "meta",
  weight: 20,
  schema: MetaSchema,
};

export function meta(info: InfoClient, params: { dex?: string } = {}, signal?: AbortSignal) {
  return info.request(META, params.dex ? { dex: params.dex } : {}, signal);
}
