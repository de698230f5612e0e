/**
 * `frontendOpenOrders`: a user's resting orders on one perp dex (weight 20). Without `dex` the default dex
 * only, spot orders included (DOCS info-endpoint: "Spot open orders are only included with the first
 * perp dex").
 */
import { z } from "zod";
import type { InfoClient, InfoMethod } from "../infoClient.ts";
import { OpenOrderSchema } from "../schemas.ts";
import { withDex } from "./clearinghouseState.ts";

export type OpenOrder = z.infer<typeof OpenOrderSchema>;

export const FRONTEND_OPEN_ORDERS: InfoMethod<OpenOrder[]> = {
  type: "frontendOpenOrders",
  weight: 20,
  schema: z.array(OpenOrderSchema),
};

export function frontendOpenOrders(
  info: InfoClient,
  params: { user: string; dex?: string },
  signal?: AbortSignal,
) {
  return info.request(FRONTEND_OPEN_ORDERS, withDex(params), signal);
}
