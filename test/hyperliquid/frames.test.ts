import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyFrame } from "../../monitor/src/hyperliquid/frames.ts";
import {
  clearinghouseStateSubscription,
  subscriptionKey,
  userFillsSubscription,
} from "../../monitor/src/hyperliquid/subscriptions.ts";

const dir = new URL("../fixtures/hyperliquid/", import.meta.url);
const frameFile = (name: string) => readFileSync(new URL(name, dir), "utf8");

describe("classifyFrame on real frames", () => {
  it("classifies every recorded WebSocket frame", () => {
    const kinds: Record<string, string> = {};
    for (const name of readdirSync(dir).filter((n) => n.startsWith("ws-"))) {
      const value = JSON.parse(frameFile(name));
      const frames = Array.isArray(value) ? value : [value];
      kinds[name] = frames.map((f) => classifyFrame(JSON.stringify(f)).kind).join(",");
    }
    expect(kinds).toEqual({
      "ws-activeAssetCtx-frames-1.json":
        "unknownChannel,unknownChannel,unknownChannel,unknownChannel,unknownChannel",
      "ws-bbo-1.json": "unknownChannel",
      "ws-error-1.json": "serverError",
      "ws-l2Book-1.json": "unknownChannel",
      "ws-orderUpdates-1.json": "orderUpdates",
      "ws-pong-1.json": "pong",
      "ws-subscriptionResponse-1.json": "subscriptionResponse",
      "ws-subscriptionResponse-2.json": "subscriptionResponse",
      "ws-trades-1.json": "trades",
      "ws-user-1.json": "unknownChannel",
      "ws-userTwapSliceFills-1.json": "unknownChannel",
      "ws-webData2-frames-1.json": "subscriptionResponse,unknownChannel,subscriptionResponse",
    });
  });

  it("keeps decimals as the exact strings sent, legacy fills included", () => {
    const legacy = JSON.parse(frameFile("info-userFills-1.json"));
    const frame = classifyFrame(
      JSON.stringify({
        channel: "userFills",
        data: { isSnapshot: true, user: "0xB7B6F3CEA3F66BF525F5D8F965F6DBF6D9B017B2", fills: legacy },
      }),
    );
    expect(frame).toMatchObject({
      kind: "userFills",
      isSnapshot: true,
      user: "0xb7b6f3cea3f66bf525f5d8f965f6dbf6d9b017b2",
      invalid: 0,
    });
    if (frame.kind !== "userFills") throw new Error("unexpected");
    expect(frame.fills).toHaveLength(500);
    expect(frame.fills[0]!.px).toBe(legacy[0].px);
    const trades = classifyFrame(frameFile("ws-trades-1.json"));
    expect(trades).toMatchObject({
      kind: "trades",
      trades: [{ px: "63719.0", sz: "0.00016", tid: 447757798903687 }, {}],
    });
  });

  it("reports invalid items of a frame instead of dropping them silently", () => {
    const good = JSON.parse(frameFile("ws-trades-1.json")).data[0];
    const frame = classifyFrame(JSON.stringify({ channel: "trades", data: [good, { ...good, px: 63719 }] }));
    expect(frame).toMatchObject({ kind: "trades", invalid: 1 });
  });

  it("keeps the valid fills of a userFills frame and reports the invalid one with its raw text", () => {
    const real = JSON.parse(frameFile("ws-user-1.json")).data.fills[0];
    const bad = { ...real, tid: 1, px: "66,653.0" };
    const frame = classifyFrame(
      JSON.stringify({
        channel: "userFills",
        data: { user: real.liquidation.liquidatedUser, fills: [real, bad] },
      }),
    );
    if (frame.kind !== "userFills") throw new Error("unexpected");
    expect(frame.fills).toHaveLength(1);
    expect(frame.invalid).toBe(1);
    expect(frame.rejected).toEqual([
      { reason: "px: expected a decimal string", time: real.time, raw: JSON.stringify(bad) },
    ]);
  });

  it("accepts liquidation.markPx as a number (the docs' type) and keeps it as an exact decimal string", () => {
    const real = JSON.parse(frameFile("ws-user-1.json")).data.fills[0];
    const text = (markPx: string) =>
      `{"channel":"userFills","data":{"user":"${real.liquidation.liquidatedUser}","fills":[${JSON.stringify({ ...real, liquidation: { ...real.liquidation, markPx: "MARK" } }).replace('"MARK"', markPx)}]}}`;
    const markOf = (markPx: string) => {
      const frame = classifyFrame(text(markPx));
      if (frame.kind !== "userFills") throw new Error("unexpected");
      expect(frame.invalid, markPx).toBe(0);
      return frame.fills[0]!.liquidation!.markPx;
    };
    expect(markOf('"66607.0"')).toBe("66607.0"); // the wire's string, as sent
    expect(markOf("66607.0")).toBe("66607");
    expect(markOf("0.1")).toBe("0.1"); // not 0.1000000000000000055511151231257827
    expect(markOf("1e-7")).toBe("0.0000001");
    expect(markOf("12345.678901")).toBe("12345.678901");
  });

  it("matches the server's normalised ack to our subscription", () => {
    const ack = classifyFrame(frameFile("ws-subscriptionResponse-2.json"));
    if (ack.kind !== "subscriptionResponse") throw new Error("unexpected");
    const ours = userFillsSubscription("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    expect(subscriptionKey(ack.subscription)).toBe(subscriptionKey(ours));
  });

  it("tells the perp dex of a clearinghouseState frame; one subscription per dex", () => {
    const state = JSON.parse(frameFile("info-clearinghouseState-2.json"));
    const user = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    const frame = (dex: string) =>
      classifyFrame(
        JSON.stringify({ channel: "clearinghouseState", data: { dex, user, clearinghouseState: state } }),
      );
    expect(frame("")).toMatchObject({ kind: "clearinghouseState", user, dex: "" });
    expect(frame("xyz")).toMatchObject({ kind: "clearinghouseState", user, dex: "xyz" });
    // The default dex is subscribed as before (no `dex`); each other dex is a subscription of its own.
    expect(clearinghouseStateSubscription(user)).toEqual({ type: "clearinghouseState", user });
    expect(clearinghouseStateSubscription(user, "xyz")).toEqual({
      type: "clearinghouseState",
      user,
      dex: "xyz",
    });
    expect(subscriptionKey(clearinghouseStateSubscription(user, "xyz"))).not.toBe(
      subscriptionKey(clearinghouseStateSubscription(user)),
    );
  });

  it("never throws, whatever arrives (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ channel: "userFills", data: v })),
        ),
        (text) => {
          const frame = classifyFrame(text);
          expect(typeof frame.kind).toBe("string");
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
