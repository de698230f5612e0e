/** `frontendOpenOrders`: a user's resting orders (weight 20). */
import { z } from "zod";
import type { InfoClient, InfoMethod } from "../infoClient.ts";
import { OpenOrderSchema } from "../schemas.ts";

export type OpenOrder = z.infer<typeof OpenOrderSchema>;

export const FRONTEND_OPEN_ORDERS: InfoMethod<OpenOrder[]> = {
  type: "frontendOpenOrders",
  weight: 20,
  schema: z.array(OpenOrderSchema),
};

export function frontendOpenOrders(info: InfoClient, params: { user: string }, signal?: AbortSignal) {
  return info.request(FRONTEND_OPEN_ORDERS, params, signal);
}
