/**
 * Validation of everything the monitor reads from Hyperliquid. Decimal fields must be decimal strings and
 * stay strings. Unknown extra keys are allowed and dropped: the API adds fields over time, which must not
 * break a running monitor; a missing or mistyped field we rely on is an error.
 */
// A namespace import: esbuild can then drop what is unused (zod's locales, ~260 KB) from the commands
// Lambda's bundle, which validates userFunding answers with these schemas.
import * as z from "zod";
import { dec, str } from "../domain/decimal.ts";

/** A plain decimal: optional minus, digits, optional fraction; no exponent, no comma. */
export const DECIMAL_PATTERN = /^-?\d+(\.\d+)?$/;
export const decimalString = z.string().regex(DECIMAL_PATTERN, { message: "expected a decimal string" });

/**
 * A decimal the docs type as a JSON number but the wire sends as a string today (`liquidation.markPx`,
 * the clearinghouse state's margin summary, `crossMaintenanceMarginUsed`, `withdrawable`: DOCS websocket
 * subscriptions "Data type definitions"). Both are accepted and come out as a plain decimal string. A
 * number is already a double when JSON.parse hands it over: its shortest round-trip text (0.1 → "0.1",
 * 1e-7 → "0.0000001") is the closest exact reading there is, with no float arithmetic on top.
 */
export const decimalValue = z.union([
  decimalString,
  z
    .number()
    .refine(Number.isFinite, { message: "expected a finite number" })
    .transform((value) => str(dec(String(value)))),
]);
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
    .object({ liquidatedUser: z.string().optional(), markPx: decimalValue, method: z.string() })
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
  accountValue: decimalValue,
  totalNtlPos: decimalValue,
  totalRawUsd: decimalValue,
  totalMarginUsed: decimalValue,
});

export const ClearinghouseStateSchema = z.object({
  marginSummary: MarginSummarySchema,
  crossMarginSummary: MarginSummarySchema,
  crossMaintenanceMarginUsed: decimalValue.optional(),
  withdrawable: decimalValue,
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

/** Characters of an invalid item's JSON text kept for logs and alerts. */
export const RAW_TEXT_LIMIT = 500;

/** An item that failed validation: why, its time if it has a usable one, and its raw JSON (truncated). */
export interface RejectedItem {
  reason: string;
  time: number | null;
  raw: string;
}

/**
 * Validates an array item by item: one odd item must never reject the items around it (a page of 2,000
 * fills, a frame). The valid items are returned; each invalid one is reported with its raw text.
 */
export function validateEach<T>(
  values: readonly unknown[],
  schema: z.ZodType<T, unknown>,
): { items: T[]; rejected: RejectedItem[] } {
  const items: T[] = [];
  const rejected: RejectedItem[] = [];
  for (const value of values) {
    const parsed = schema.safeParse(value);
    if (parsed.success) items.push(parsed.data);
    else rejected.push(rejectedItem(describeIssue(parsed.error), value));
  }
  return { items, rejected };
}

/** An invalid item as it is reported: the reason, its time if it has a usable one, its raw text. */
export function rejectedItem(reason: string, value: unknown): RejectedItem {
  return { reason, time: timeOf(value), raw: rawText(value) };
}

function timeOf(value: unknown): number | null {
  const time = typeof value === "object" && value !== null ? (value as { time?: unknown }).time : undefined;
  return typeof time === "number" && Number.isSafeInteger(time) && time >= 0 ? time : null;
}

function rawText(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > RAW_TEXT_LIMIT ? `${text.slice(0, RAW_TEXT_LIMIT)}…` : text;
}

/** First failing path and message of a zod error, short enough for a log line. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  return `${issue.path.join(".") || "(root)"}: ${issue.message}`;
}
