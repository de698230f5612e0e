/**
 * Turns one raw text frame into something the monitor can act on. Never throws: anything unexpected is
 * classified `malformed` (with a short reason) or `unknownChannel`, to be counted and skipped.
 *
 * Arrays of fills, trades and orders are validated item by item: valid items are kept and the invalid
 * ones reported in `invalid`, so one bad item neither poisons the frame nor vanishes silently. The
 * trades a frame hands on are the parsed items themselves (not copies), with any extra keys they carry.
 */

import type { z } from "zod";
import type { WireClearinghouseState, WireFill, WireOrder, WireTrade } from "../domain/wire.ts";
import {
  ClearinghouseStateDataSchema,
  describeIssue,
  FillSchema,
  type RejectedItem,
  SubscriptionResponseDataSchema,
  UserFillsDataSchema,
  validateEach,
  WsOrderSchema,
} from "./schemas.ts";
import { checkTrades } from "./tradeItems.ts";

/** `invalid` counts the items of the frame that failed validation; `rejected` holds them with raw text. */
export type Frame =
  | {
      kind: "userFills";
      user: string;
      isSnapshot: boolean;
      fills: WireFill[];
      invalid: number;
      rejected: RejectedItem[];
    }
  | { kind: "trades"; trades: WireTrade[]; invalid: number; rejected: RejectedItem[] }
  | { kind: "orderUpdates"; orders: WireOrder[]; invalid: number; rejected: RejectedItem[] }
  /** `dex`: the perp dex the state is for, `""` for the default dex. */
  | { kind: "clearinghouseState"; user: string; dex: string; state: WireClearinghouseState }
  | { kind: "subscriptionResponse"; method: string; subscription: Record<string, unknown> }
  | { kind: "pong" }
  | { kind: "post" }
  | { kind: "serverError"; message: string }
  | { kind: "unknownChannel"; channel: string }
  | { kind: "malformed"; reason: string };

/** Channels we know but do not consume (frames for them are fine, just not used). */
const IGNORED_CHANNELS = new Set(["post"]);

export function classifyFrame(text: string): Frame {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { kind: "malformed", reason: `not JSON: ${text.slice(0, 60)}` };
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    return { kind: "malformed", reason: "not a JSON object" };
  }
  const { channel, data } = message as { channel?: unknown; data?: unknown };
  if (typeof channel !== "string") return { kind: "malformed", reason: "no channel" };
  switch (channel) {
    case "pong":
      return { kind: "pong" };
    case "error":
      return { kind: "serverError", message: typeof data === "string" ? data : JSON.stringify(data ?? null) };
    case "subscriptionResponse": {
      const parsed = SubscriptionResponseDataSchema.safeParse(data);
      return parsed.success
        ? { kind: "subscriptionResponse", method: parsed.data.method, subscription: parsed.data.subscription }
        : malformed(channel, parsed.error);
    }
    case "userFills": {
      const parsed = UserFillsDataSchema.safeParse(data);
      if (!parsed.success) return malformed(channel, parsed.error);
      const { items, rejected } = validateEach(parsed.data.fills, FillSchema);
      return {
        kind: "userFills",
        user: parsed.data.user.toLowerCase(),
        isSnapshot: parsed.data.isSnapshot === true,
        fills: items as WireFill[],
        invalid: rejected.length,
        rejected,
      };
    }
    case "trades": {
      if (!Array.isArray(data)) return { kind: "malformed", reason: "trades: data is not an array" };
      // The hot path: checked in place, without zod (tradeItems.ts).
      const { items, rejected } = checkTrades(data);
      return { kind: "trades", trades: items, invalid: rejected.length, rejected };
    }
    case "orderUpdates": {
      if (!Array.isArray(data)) return { kind: "malformed", reason: "orderUpdates: data is not an array" };
      const { items, rejected } = validateEach(data, WsOrderSchema);
      return { kind: "orderUpdates", orders: items as WireOrder[], invalid: rejected.length, rejected };
    }
    case "clearinghouseState": {
      const parsed = ClearinghouseStateDataSchema.safeParse(data);
      return parsed.success
        ? {
            kind: "clearinghouseState",
            user: parsed.data.user.toLowerCase(),
            dex: parsed.data.dex ?? "",
            state: parsed.data.clearinghouseState,
          }
        : malformed(channel, parsed.error);
    }
    default:
      return IGNORED_CHANNELS.has(channel)
        ? { kind: "post" }
        : { kind: "unknownChannel", channel: channel.slice(0, 60) };
  }
}

function malformed(channel: string, error: z.ZodError): Frame {
  return { kind: "malformed", reason: `${channel}: ${describeIssue(error)}` };
}
