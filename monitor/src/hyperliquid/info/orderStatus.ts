/** `orderStatus`: the current status of one order (weight 2); null for an oid the server does not know. */
import { z } from "zod";
import type { WireOrder } from "../../domain/wire.ts";
import type { InfoClient, InfoMethod } from "../infoClient.ts";
import { decimalString, OpenOrderSchema, WsOrderSchema } from "../schemas.ts";

/**
 * `orderStatus` answers with the frontend shape of the order, which adds the trigger fields that
 * `orderUpdates` frames lack (DOCS info-endpoint "Query order status by oid or cloid": `orderType`,
 * `triggerPx`, `triggerCondition`, `isTrigger`, `isPositionTpsl`, `reduceOnly`, …). All optional here.
 */
const FrontendOrderSchema = OpenOrderSchema.extend({
  triggerPx: decimalString.optional(),
  orderType: z.string().max(100).optional(),
  triggerCondition: z.string().max(200).optional(),
  isTrigger: z.boolean().optional(),
  isPositionTpsl: z.boolean().optional(),
  reduceOnly: z.boolean().optional(),
});

const OrderStatusSchema = z.union([
  z.object({ status: z.literal("order"), order: WsOrderSchema.extend({ order: FrontendOrderSchema }) }),
  z.object({ status: z.literal("unknownOid") }),
]);

export type FrontendOrder = z.infer<typeof FrontendOrderSchema>;

export const ORDER_STATUS: InfoMethod<z.infer<typeof OrderStatusSchema>> = {
  type: "orderStatus",
  weight: 2,
  schema: OrderStatusSchema,
};

export async function orderStatus(
  info: InfoClient,
  params: { user: string; oid: number },
  signal?: AbortSignal,
): Promise<(WireOrder & { order: FrontendOrder }) | null> {
  const answer = await info.request(ORDER_STATUS, params, signal);
  return answer.status === "order" ? (answer.order as WireOrder & { order: FrontendOrder }) : null;
}

/** The trigger fields of an order as `orderStatus` reports them (null: not a trigger order, or unknown). */
export function triggerDetailsOf(order: FrontendOrder | null | undefined): {
  triggerPx: string | null;
  orderType: string | null;
  triggerCondition: string | null;
  isPositionTpsl: boolean;
  reduceOnly: boolean;
} | null {
  if (!order) return null;
  const hasTrigger =
    order.isTrigger === true || (order.triggerPx !== undefined && !/^0*(\.0*)?$/.test(order.triggerPx));
  return {
    triggerPx: hasTrigger ? (order.triggerPx ?? null) : null,
    orderType: order.orderType ?? null,
    triggerCondition:
      order.triggerCondition && order.triggerCondition !== "N/A" ? order.triggerCondition : null,
    isPositionTpsl: order.isPositionTpsl === true,
    reduceOnly: order.reduceOnly === true,
  };
}
