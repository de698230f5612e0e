/** `orderStatus`: the current status of one order (weight 2); null for an oid the server does not know. */
import { z } from "zod";
import type { WireOrder } from "../../domain/wire.ts";
import type { InfoClient, InfoMethod } from "../infoClient.ts";
import { WsOrderSchema } from "../schemas.ts";

const OrderStatusSchema = z.union([
  z.object({ status: z.literal("order"), order: WsOrderSchema }),
  z.object({ status: z.literal("unknownOid") }),
]);

export const ORDER_STATUS: InfoMethod<z.infer<typeof OrderStatusSchema>> = {
  type: "orderStatus",
  weight: 2,
  schema: OrderStatusSchema,
};

export async function orderStatus(
  info: InfoClient,
  params: { user: string; oid: number },
  signal?: AbortSignal,
): Promise<WireOrder | null> {
  const answer = await info.request(ORDER_STATUS, params, signal);
  return answer.status === "order" ? (answer.order as WireOrder) : null;
}
