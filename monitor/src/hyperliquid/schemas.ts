/**
 * Validation of everything the monitor reads from Hyperliquid. Decimal fields must be decimal strings and
 * stay strings. Unknown extra keys are allowed and dropped: the API adds fields over time, which must not
 * break a running monitor; a missing or mistyped field we rely on is an error.
 */
import { z } from "zod";

export const decimalString = z.string().regex(/^-?\d+(\.\d+)?$/, { message: "expected a decimal string" });
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, { message: "expected an address" });
const side = z.enum(["B", "A"]);
const millis = z.number().int().nonnegative();

export const FillSchema = z.object({
  coin: z.string().min(1),
  px: decimalString,
  sz: decimalString,
  side,
  time: millis,
  startPosition: decimalString,
  dir: z.string(),
  closedPnl: decimalString,
  hash: z.string(),
  oid: z.number().int(),
  crossed: z.boolean(),
  fee: decimalString,
  tid: z.number().int().nonnegative().optional(),
  feeToken: z.string().optional(),
  builderFee: decimalString.optional(),
  cloid: z.string().nullable().optional(),
  twapId: z.number().int().nullable().optional(),
  liquidation: z
    .object({ liquidatedUser: z.string().optional(), markPx: decimalString, method: z.string() })
    .nullable()
    .optional(),
});

export const TradeSchema = z.object({
  coin: z.string().min(1),
  side,
  px: decimalString,
  sz: decimalString,
  time: millis,
  hash: z.string(),
  tid: z.number().int().nonnegative(),
  users: z.array(z.string()).optional(),
});

/** A resting order as `frontendOpenOrders` / `openOrders` list it. */
export const OpenOrderSchema = z.object({
  coin: z.string().min(1),
  side,
  limitPx: decimalString,
  sz: decimalString,
  oid: z.number().int(),
  timestamp: millis,
  origSz: decimalString.optional(),
  cloid: z.string().nullable().optional(),
});

/** An order with its status, as `orderUpdates` frames and `orderStatus` answers carry it. */
export const WsOrderSchema = z.object({
  order: OpenOrderSchema,
  status: z.string().min(1),
  statusTimestamp: millis,
});

const MarginSummarySchema = z.object({
  accountValue: decimalString,
  totalNtlPos: decimalString,
  totalRawUsd: decimalString,
  totalMarginUsed: decimalString,
});

export const ClearinghouseStateSchema = z.object({
  marginSummary: MarginSummarySchema,
  crossMarginSummary: MarginSummarySchema,
  crossMaintenanceMarginUsed: decimalString.optional(),
  withdrawable: decimalString,
  assetPositions: z.array(
    z.object({
      type: z.string(),
      position: z.object({
        coin: z.string(),
        szi: decimalString,
        leverage: z.object({
          type: z.string(),
          value: z.union([z.number(), z.string()]),
          rawUsd: decimalString.optional(),
        }),
        entryPx: decimalString.nullable(),
        positionValue: decimalString,
        unrealizedPnl: decimalString,
        returnOnEquity: decimalString.optional(),
        liquidationPx: decimalString.nullable(),
        marginUsed: decimalString,
        maxLeverage: z.union([z.number(), z.string()]).optional(),
      }),
    }),
  ),
  time: millis.optional(),
});

export const UserFillsDataSchema = z.object({
  isSnapshot: z.boolean().optional(),
  user: address,
  fills: z.array(z.unknown()),
});

export const ClearinghouseStateDataSchema = z.object({
  dex: z.string().optional(),
  user: address,
  clearinghouseState: ClearinghouseStateSchema,
});

export const SubscriptionResponseDataSchema = z.object({
  method: z.string(),
  subscription: z.record(z.string(), z.unknown()),
});

/** First failing path and message of a zod error, short enough for a log line. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  return `${issue.path.join(".") || "(root)"}: ${issue.message}`;
}
