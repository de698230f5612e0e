/**
 * Position events (from the fill → position state machine) as alerts. Pure: no clock, no I/O.
 *
 * Dedup keys follow from the fills, never from when or where they were processed, so a replayed snapshot,
 * a restart or a second task produces the same key:
 * - opened / closed / flipped: the position's id (`coin#openedAt#openFillId`), which the state machine
 *   derives from the opening fill;
 * - increased / reduced: the position and the order (one alert per order, not one per partial fill);
 * - liquidation: the position (one alert however many liquidation fills it takes).
 */
import { ALERT_SCHEMA, type AlertEvent, type AlertKind } from "../../../lambda-alerts/src/alertEvent.ts";
import { dec, str } from "../domain/decimal.ts";
import type { ClosedPosition, Fill, PositionEvent, PositionState } from "../domain/types.ts";
import { duration, exact, signed, signedRounded } from "./format.ts";
import type { AlertLinks } from "./links.ts";

export interface PositionAlertContext {
  enabled: ReadonlySet<AlertKind>;
  links: AlertLinks;
}

export function positionAlerts(
  event: PositionEvent,
  fill: Fill,
  context: PositionAlertContext,
): AlertEvent[] {
  const alerts: AlertEvent[] = [];
  const on = (kind: AlertKind) => context.enabled.has(kind);
  const links = context.links.account(event.account);
  if (event.liquidation && on("liquidation")) alerts.push(liquidationAlert(event, fill, links));
  switch (event.kind) {
    case "opened":
      if (on("position_opened")) alerts.push(openedAlert(event, fill, links));
      break;
    case "increased":
    case "reduced":
      if (on(`position_${event.kind}`)) alerts.push(changedAlert(event, fill, links));
      break;
    case "closed":
      if (event.closed && on("position_closed")) alerts.push(closedAlert(event, event.closed, links));
      break;
    case "flipped":
      if (event.closed && on("position_flipped")) alerts.push(flippedAlert(event, event.closed, links));
      break;
  }
  return alerts;
}

const positionIdOf = (state: PositionState) => `${state.coin}#${state.openedAt}#${state.openFillId}`;
const sideName = (size: string) => (dec(size).isNegative() ? "short" : "long");
const abs = (value: string) => str(dec(value).abs());

function base(
  kind: AlertKind,
  key: string,
  event: PositionEvent,
): Omit<AlertEvent, "severity" | "title" | "summary" | "fields" | "links"> {
  return {
    schema: ALERT_SCHEMA,
    key: `${kind}:${event.account}:${key}`,
    kind,
    account: event.account,
    coin: event.coin,
    time: event.time,
  };
}

function openedAlert(event: PositionEvent, fill: Fill, links: AlertEvent["links"]): AlertEvent {
  const position = event.position;
  const side = sideName(position.size);
  return {
    ...base("position_opened", positionIdOf(position), event),
    severity: "info",
    title: `${event.coin} ${side} opened: ${abs(position.size)} @ ${exact(fill.px)}`,
    summary: `Opened a ${side} position of ${abs(position.size)} ${event.coin} at ${exact(fill.px)}.`,
    fields: [
      { label: "Size", value: abs(position.size) },
      { label: "Entry", value: exact(position.entryPx ?? fill.px) },
      { label: "Notional", value: `${str(dec(fill.px).times(dec(position.size).abs()))} USDC` },
      { label: "Fee", value: `${exact(fill.fee)} ${fill.feeToken ?? "USDC"}` },
    ],
    links,
  };
}

function changedAlert(event: PositionEvent, fill: Fill, links: AlertEvent["links"]): AlertEvent {
  const position = event.position;
  const side = sideName(position.size);
  const verb = event.kind === "increased" ? "increased" : "reduced";
  const fields = [
    { label: "Size now", value: abs(position.size) },
    { label: "Fill", value: `${fill.side === "B" ? "buy" : "sell"} ${exact(fill.sz)} @ ${exact(fill.px)}` },
    { label: "Average entry", value: exact(position.entryPx ?? fill.px) },
  ];
  if (event.kind === "reduced")
    fields.push({ label: "Closed PnL (this fill)", value: signed(fill.closedPnl) });
  return {
    ...base(`position_${verb}`, `${positionIdOf(position)}#oid:${fill.oid}`, event),
    severity: "info",
    title: `${event.coin} ${side} ${verb} to ${abs(position.size)}`,
    summary: `Order ${fill.oid} ${verb} the ${event.coin} ${side} position to ${abs(position.size)}.`,
    fields,
    links,
  };
}

function closedFields(closed: ClosedPosition): AlertEvent["fields"] {
  return [
    { label: "Realised PnL (net of fees)", value: `${signed(closed.realizedPnl)} USDC` },
    { label: "Closed PnL (gross)", value: signed(closed.closedPnl) },
    { label: "Fees", value: exact(closed.fees) },
    { label: "Size", value: exact(closed.maxSize) },
    { label: "Entry", value: exact(closed.entryPx) },
    { label: "Exit", value: exact(closed.exitPx) },
    { label: "Duration", value: duration(closed.durationMs) },
    { label: "Fills", value: String(closed.fillCount) },
  ];
}

function closedSummary(closed: ClosedPosition): string {
  const lines = [
    `Closed ${exact(closed.closedSize)} ${closed.coin} ${closed.side} after ${duration(closed.durationMs)}: entry ${exact(closed.entryPx)}, exit ${exact(closed.exitPx)}.`,
  ];
  if (closed.liquidated) lines.push("The position was liquidated.");
  if (closed.partialHistory) {
    lines.push("It was opened before the recorded history: entry and PnL cover only the fills seen.");
  }
  return lines.join("\n");
}

function pnlSeverity(closed: ClosedPosition): AlertEvent["severity"] {
  if (closed.liquidated) return "critical";
  return dec(closed.realizedPnl).isNegative() ? "warning" : "success";
}

function closedAlert(event: PositionEvent, closed: ClosedPosition, links: AlertEvent["links"]): AlertEvent {
  const verb = closed.liquidated ? "liquidated" : "closed";
  return {
    ...base("position_closed", closed.positionId, event),
    severity: pnlSeverity(closed),
    title: `${closed.coin} ${closed.side} ${verb}: ${signedRounded(closed.realizedPnl)} USDC`,
    summary: closedSummary(closed),
    fields: closedFields(closed),
    links,
  };
}

function flippedAlert(event: PositionEvent, closed: ClosedPosition, links: AlertEvent["links"]): AlertEvent {
  const next = event.position;
  const nextSide = sideName(next.size);
  return {
    ...base("position_flipped", closed.positionId, event),
    severity: pnlSeverity(closed),
    title: `${closed.coin} flipped ${closed.side} → ${nextSide}: ${signedRounded(closed.realizedPnl)} USDC`,
    summary: `${closedSummary(closed)}\nNow ${nextSide} ${abs(next.size)} ${closed.coin} at ${exact(next.entryPx ?? "0")}.`,
    fields: [
      ...closedFields(closed),
      { label: `New ${nextSide}`, value: `${abs(next.size)} @ ${exact(next.entryPx ?? "0")}` },
    ],
    links,
  };
}

function liquidationAlert(event: PositionEvent, fill: Fill, links: AlertEvent["links"]): AlertEvent {
  // The position being liquidated: the one that ended (closed/flipped) or the one still open (reduced).
  const positionId = event.closed?.positionId ?? positionIdOf(event.position);
  const side = fill.side === "A" ? "long" : "short";
  const fields = [
    { label: "Fill", value: `${fill.side === "B" ? "buy" : "sell"} ${exact(fill.sz)} @ ${exact(fill.px)}` },
    { label: "Size left", value: abs(event.position.size) },
    { label: "Closed PnL (this fill)", value: signed(fill.closedPnl) },
    { label: "Fee", value: exact(fill.fee) },
  ];
  if (fill.liquidation) {
    fields.push({ label: "Mark price", value: exact(fill.liquidation.markPx) });
    fields.push({ label: "Method", value: fill.liquidation.method });
  }
  return {
    ...base("liquidation", positionId, event),
    severity: "critical",
    title: `LIQUIDATION: ${event.coin} ${side}`,
    summary: `A liquidation fill hit the ${event.coin} ${side} position: ${exact(fill.sz)} at ${exact(fill.px)}.`,
    fields,
    links,
  };
}
