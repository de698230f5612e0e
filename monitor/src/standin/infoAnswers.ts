/**
 * Answers to `POST /info` bodies, with the paging limits and request weights of the real API
 * (PROTOCOL.md §5, §6). Pure: what is known comes from the records, and the caller charges the weight.
 *
 * Perp dexes (HIP-3): `clearinghouseState`, `openOrders` and `frontendOpenOrders` answer the dex named by
 * `dex`, the default dex when it is omitted or `""` (DOCS info-endpoint: "Defaults to the empty string
 * which represents the first perp dex"); an order belongs to the dex its coin's prefix names (`xyz:XYZ100`).
 * `meta` answers the perpetuals listed for the dex named (an empty universe for a dex nobody listed).
 * Not modelled: `aggregateByTime: true` (fills are never merged), SDK-only `reversed`. `recentTrades` answers the same last-N trades a trades subscribe replays (its real length is
 * unconfirmed).
 */
import { z } from "zod";
import { dexOfCoin } from "../domain/perpDexes.ts";
import type { WireClearinghouseState, WireOrder } from "../domain/wire.ts";
import type { ExchangeRecords } from "./exchangeRecords.ts";

/** At most this many fills in one `userFills` / `userFillsByTime` answer, and orders in `historicalOrders`. */
export const MAX_ITEMS_PER_ANSWER = 2000;
/** At most this many payments in one `userFunding` answer (PROTOCOL.md §5: "max 500 per response"). */
export const MAX_FUNDING_PER_ANSWER = 500;
/** Only this many of a user's most recent fills can be reached by `userFillsByTime`. */
export const REACHABLE_FILLS = 10_000;

export type InfoAnswer =
  | { status: 200; result: unknown; weight: number }
  /** The API's deserialisation failure: plain text, HTTP 422, no weight charged. */
  | { status: 422; text: string };

export interface InfoAnswerOptions {
  /** Trades in a `recentTrades` answer. */
  recentTrades: number;
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const millis = z.number().int().nonnegative();
const withUser = z.object({ user: address, dex: z.string().optional() });
const BODIES = {
  userFillsByTime: z.object({
    user: address,
    startTime: millis,
    endTime: millis.nullish(),
    aggregateByTime: z.boolean().optional(),
  }),
  userFills: z.object({ user: address, aggregateByTime: z.boolean().optional() }),
  // PROTOCOL.md §5 and samples/info-userFunding-1.json's request: user, startTime, optional endTime.
  userFunding: z.object({ user: address, startTime: millis, endTime: millis.nullish() }),
  clearinghouseState: withUser,
  openOrders: withUser,
  frontendOpenOrders: withUser,
  historicalOrders: withUser,
  orderStatus: z.object({ user: address, oid: z.union([z.number().int(), z.string()]) }),
  recentTrades: z.object({ coin: z.string().min(1) }),
  perpDexs: z.object({}),
  // DOCS info-endpoint "Query a user's abstraction state": {type, user}.
  userAbstraction: z.object({ user: address }),
  meta: z.object({ dex: z.string().optional() }),
} as const;
type InfoType = keyof typeof BODIES;

/** Weight of a request before the per-20-items part (PROTOCOL.md §6). */
const BASE_WEIGHT: Record<InfoType, number> = {
  userFillsByTime: 20,
  userFills: 20,
  userFunding: 20, // PROTOCOL.md §5: 20 + 1 per 20 items
  clearinghouseState: 2,
  openOrders: 20,
  frontendOpenOrders: 20,
  historicalOrders: 20,
  orderStatus: 2,
  recentTrades: 20,
  // DOCS rate-limits-and-user-limits: "All other documented info requests have weight 20".
  perpDexs: 20,
  // DOCS rate-limits-and-user-limits: 20 for all other documented info requests.
  userAbstraction: 20,
  meta: 20, // DOCS rate-limits-and-user-limits: 20 for every other documented info request
};

export function answerInfo(body: unknown, records: ExchangeRecords, options: InfoAnswerOptions): InfoAnswer {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return undeserialisable("invalid type: expected an object");
  }
  const type = (body as { type?: unknown }).type;
  if (type === undefined) return undeserialisable("missing field `type`");
  if (typeof type !== "string" || !Object.hasOwn(BODIES, type)) {
    return undeserialisable(`unknown variant \`${String(type)}\``);
  }
  const parsed = BODIES[type as InfoType].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join(".");
    const missing = issue.code === "invalid_type" && (body as Record<string, unknown>)[field] === undefined;
    return undeserialisable(missing ? `missing field \`${field}\`` : `invalid value for \`${field}\``);
  }
  const request = parsed.data as Record<string, unknown>;
  const user = typeof request.user === "string" ? request.user.toLowerCase() : "";
  const dex = typeof request.dex === "string" ? request.dex : "";
  const answer = (result: unknown, items = 0): InfoAnswer => ({
    status: 200,
    result,
    // "additional weight per 20 items returned" (DOCS), read as one more per full 20.
    weight: BASE_WEIGHT[type as InfoType] + Math.floor(items / 20),
  });

  switch (type as InfoType) {
    case "userFillsByTime": {
      const start = request.startTime as number;
      const end = (request.endTime as number | null | undefined) ?? records.horizon;
      const page = records
        .visibleFills(user)
        .slice(-REACHABLE_FILLS)
        .filter((fill) => fill.time >= start && fill.time <= end)
        .slice(0, MAX_ITEMS_PER_ANSWER);
      return answer(page, page.length);
    }
    case "userFunding": {
      // Inclusive bounds and oldest first like userFillsByTime; the recorded sample's items as added.
      const start = request.startTime as number;
      const end = (request.endTime as number | null | undefined) ?? records.horizon;
      const page = records
        .visibleFunding(user)
        .filter((payment) => payment.time >= start && payment.time <= end)
        .slice(0, MAX_FUNDING_PER_ANSWER);
      return answer(page, page.length);
    }
    case "userFills": {
      const page = records.visibleFills(user).slice(-MAX_ITEMS_PER_ANSWER).reverse(); // newest first
      return answer(page, page.length);
    }
    case "clearinghouseState":
      return answer(records.state(user, dex) ?? flatAccount(records.horizon));
    case "openOrders":
      return answer(openOrders(records, user, dex).map(openOrderRow));
    case "frontendOpenOrders":
      return answer(openOrders(records, user, dex).map(frontendOrderRow));
    case "historicalOrders": {
      const orders = records
        .orders(user)
        .sort((a, b) => b.statusTimestamp - a.statusTimestamp)
        .slice(0, MAX_ITEMS_PER_ANSWER)
        .map((order) => ({ ...order, order: frontendOrderRow(order) }));
      return answer(orders, orders.length);
    }
    case "orderStatus": {
      const oid = request.oid;
      const found = records
        .orders(user)
        .find((order) => (typeof oid === "number" ? order.order.oid === oid : order.order.cloid === oid));
      return answer(
        found
          ? { status: "order", order: { ...found, order: frontendOrderRow(found) } }
          : { status: "unknownOid" },
      );
    }
    case "userAbstraction":
      // A bare JSON string (SDK type: "unifiedAccount" | "portfolioMargin" | "disabled" | "default"); what
      // the real API answers for an account that never chose a mode is unconfirmed: "default" here.
      return answer(records.accountMode(user) ?? "default");
    case "meta":
      // samples/info-meta-1.json: {universe: [{name, szDecimals, maxLeverage}, …]}
      return answer({ universe: records.universe(dex) });
    case "recentTrades": {
      const trades = records.visibleTrades(request.coin as string).slice(-options.recentTrades);
      return answer(trades, trades.length);
    }
    case "perpDexs":
      // DOCS info-endpoint/perpetuals: `null` (the default dex) first, then one object per dex.
      return answer([null, ...records.perpDexs.map(perpDexRow)]);
  }
}

function undeserialisable(detail: string): InfoAnswer {
  return { status: 422, text: `Failed to deserialize the JSON body into the target type: ${detail}` };
}

/** Resting orders on one perp dex, newest first like the API lists them. */
function openOrders(records: ExchangeRecords, user: string, dex: string): WireOrder[] {
  return records
    .orders(user)
    .filter((order) => order.status === "open" && dexOfCoin(order.order.coin) === dex)
    .sort((a, b) => b.order.timestamp - a.order.timestamp);
}

/** An `openOrders` row: the order as resting, `sz` being what remains. */
function openOrderRow({ order }: WireOrder): Record<string, unknown> {
  return { ...order, origSz: order.origSz ?? order.sz };
}

/**
 * A `frontendOpenOrders` / `historicalOrders` row: the open-order fields plus trigger and order-type
 * information; a plain resting limit order unless the recorded order says otherwise.
 */
function frontendOrderRow(order: WireOrder): Record<string, unknown> {
  return {
    triggerCondition: "N/A",
    isTrigger: false,
    triggerPx: "0.0",
    children: [],
    isPositionTpsl: false,
    reduceOnly: false,
    orderType: "Limit",
    tif: "Gtc",
    ...openOrderRow(order),
    cloid: order.order.cloid ?? null,
  };
}

/** A `perpDexs` entry in the docs' shape (info-endpoint/perpetuals); the deployer is a placeholder. */
function perpDexRow(name: string): Record<string, unknown> {
  return {
    name,
    fullName: `${name} dex`,
    deployer: "0x5e89b26d8d66da9888c835c9bfcc2aa51813e152",
    oracleUpdater: null,
    feeRecipient: null,
    assetToStreamingOiCap: [],
    assetToFundingMultiplier: [],
  };
}

/** What the API answers for an address it has no account for: a flat, empty account. */
export function flatAccount(horizon: number): WireClearinghouseState {
  const zero = { accountValue: "0.0", totalNtlPos: "0.0", totalRawUsd: "0.0", totalMarginUsed: "0.0" };
  return {
    marginSummary: zero,
    crossMarginSummary: { ...zero },
    crossMaintenanceMarginUsed: "0.0",
    withdrawable: "0.0",
    assetPositions: [],
    time: Number.isFinite(horizon) ? horizon : Date.now(),
  };
}
