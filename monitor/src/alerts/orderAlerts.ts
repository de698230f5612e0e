/**
 * Order status changes as alerts. Pure: no clock, no I/O.
 *
 * - `order_triggered`: a take-profit or stop-loss trigger fired (status `triggered`). `orderUpdates`
 *   carries the basic order only (coin, side, limitPx, sz, oid, …: no trigger price or order type), so
 *   the caller may look the order up (`orderStatus`, which answers with the trigger fields) and pass the
 *   details; without them the alert says the trigger price was not reported.
 * - `order_canceled_by_exchange`: the exchange ended the order (margin, reduce-only, liquidation, a
 *   filled sibling, …; see orderStatuses.ts), with the reason in words. A trader's own cancel (`canceled`)
 *   never alerts. A rejection alerts only when it came after the order was placed (a trigger order that
 *   fired and could not execute): a rejection at placement is answered to whoever placed the order.
 * - `order_filled` (off by default): the order filled completely.
 *
 * Keys follow from the order and its status only, so the same update seen again (a replayed frame, the
 * status looked up again after a reconnect, a restart, a second task) is claimed once.
 */
import { ALERT_SCHEMA, type AlertEvent, type AlertKind } from "../../../lambda-alerts/src/alertEvent.ts";
import { dec } from "../domain/decimal.ts";
import { orderEnding } from "../domain/orderStatuses.ts";
import type { OrderState } from "../domain/types.ts";
import { exact } from "./format.ts";
import type { AlertLinks } from "./links.ts";

/** What `orderStatus` adds about a trigger order (all optional on the wire). */
export interface TriggerDetails {
  triggerPx: string | null;
  /** "Stop Market", "Stop Limit", "Take Profit Market", "Take Profit Limit", … */
  orderType: string | null;
  /** e.g. "Price below 60000" (the exchange's own words). */
  triggerCondition: string | null;
  /** A TP/SL on the whole position (its size then reads 0: it closes whatever is open). */
  isPositionTpsl: boolean;
  reduceOnly: boolean;
}

export interface OrderAlertContext {
  enabled: ReadonlySet<AlertKind>;
  links: AlertLinks;
  details?: TriggerDetails | null;
}

/** The alert kind an order status would raise, before any lookup (null: none). */
export function orderAlertKind(order: OrderState): AlertKind | null {
  if (order.status === "triggered") return "order_triggered";
  if (order.status === "filled") return "order_filled";
  const ending = orderEnding(order.status);
  if (ending.kind === "canceled_by_exchange") return "order_canceled_by_exchange";
  if (ending.kind === "rejected" && order.statusTimestamp > order.timestamp)
    return "order_canceled_by_exchange";
  return null;
}

export function orderAlerts(order: OrderState, context: OrderAlertContext): AlertEvent[] {
  const kind = orderAlertKind(order);
  if (kind === null || !context.enabled.has(kind)) return [];
  const links = context.links.account(order.account);
  switch (kind) {
    case "order_triggered":
      return [triggeredAlert(order, context.details ?? null, links)];
    case "order_filled":
      return [filledAlert(order, links)];
    default:
      return [endedAlert(order, links)];
  }
}

const sideWord = (order: OrderState) => (order.side === "B" ? "buy" : "sell");

function base(kind: AlertKind, key: string, order: OrderState) {
  return {
    schema: ALERT_SCHEMA,
    key: `${kind}:${order.account}:${key}`,
    kind,
    account: order.account,
    coin: order.coin,
    time: order.statusTimestamp,
  } as const;
}

/** "0.5", or "whole position" for a position TP/SL (whose size is 0 on the wire). */
function sizeText(order: OrderState, details: TriggerDetails | null): string {
  const size = dec(order.sz).isZero() ? order.origSz : order.sz;
  if (dec(size).isZero())
    return details?.isPositionTpsl || dec(order.origSz).isZero() ? "whole position" : "0";
  return exact(size);
}

function triggerName(details: TriggerDetails | null): string {
  const type = details?.orderType ?? "";
  if (/^stop/i.test(type)) return "Stop-loss";
  if (/^take profit/i.test(type)) return "Take-profit";
  return "Trigger order";
}

function triggeredAlert(
  order: OrderState,
  details: TriggerDetails | null,
  links: AlertEvent["links"],
): AlertEvent {
  const name = triggerName(details);
  const size = sizeText(order, details);
  const trigger = details?.triggerPx ? exact(details.triggerPx) : null;
  const fields: AlertEvent["fields"] = [
    { label: "Side", value: sideWord(order) },
    { label: "Size", value: size },
    { label: "Trigger price", value: trigger ?? "not reported" },
    { label: "Limit price", value: exact(order.limitPx) },
  ];
  if (details?.orderType) fields.push({ label: "Order type", value: details.orderType });
  if (details?.triggerCondition) fields.push({ label: "Condition", value: details.triggerCondition });
  fields.push({ label: "Order id", value: String(order.oid) });
  const at = trigger === null ? "" : ` at ${trigger}`;
  return {
    ...base("order_triggered", String(order.oid), order),
    severity: name === "Stop-loss" ? "warning" : "info",
    title: `${order.coin} ${name.toLowerCase()} triggered${at}: ${sideWord(order)} ${size}`,
    summary: `${name} order ${order.oid} on ${order.coin} triggered${at}: it now ${sideWord(order) === "buy" ? "buys" : "sells"} ${size === "whole position" ? "the whole position" : size} (limit ${exact(order.limitPx)}).`,
    fields,
    links,
  };
}

function endedAlert(order: OrderState, links: AlertEvent["links"]): AlertEvent {
  const ending = orderEnding(order.status);
  const reason = ending.kind === "other" ? order.status : ending.reason;
  const verb = ending.kind === "rejected" ? "rejected" : "canceled by the exchange";
  const filled = dec(order.origSz).minus(order.sz);
  const fields: AlertEvent["fields"] = [
    { label: "Reason", value: reason },
    { label: "Status", value: order.status },
    { label: "Side", value: sideWord(order) },
    { label: "Size left", value: exact(order.sz) },
    { label: "Limit price", value: exact(order.limitPx) },
  ];
  if (filled.isPositive()) fields.push({ label: "Filled before", value: exact(filled) });
  fields.push({ label: "Order id", value: String(order.oid) });
  // A filled sibling is the expected end of a TP/SL pair; every other reason wants a look.
  const severity = order.status === "siblingFilledCanceled" ? "info" : "warning";
  return {
    ...base("order_canceled_by_exchange", `${order.oid}:${order.status}`, order),
    severity,
    title: `${order.coin} ${sideWord(order)} order ${verb}: ${reason}`,
    summary: `Order ${order.oid} (${sideWord(order)} ${exact(order.origSz)} ${order.coin} at ${exact(order.limitPx)}) was ${verb}: ${reason}.`,
    fields,
    links,
  };
}

function filledAlert(order: OrderState, links: AlertEvent["links"]): AlertEvent {
  return {
    ...base("order_filled", String(order.oid), order),
    severity: "info",
    // The limit, not the fill price (orderUpdates does not carry it; the fills and position alerts do).
    title: `${order.coin} ${sideWord(order)} order filled: ${exact(order.origSz)} (limit ${exact(order.limitPx)})`,
    summary: `Order ${order.oid} filled completely: ${sideWord(order)} ${exact(order.origSz)} ${order.coin}, limit ${exact(order.limitPx)}.`,
    fields: [
      { label: "Side", value: sideWord(order) },
      { label: "Size", value: exact(order.origSz) },
      { label: "Limit price", value: exact(order.limitPx) },
      { label: "Order id", value: String(order.oid) },
    ],
    links,
  };
}
