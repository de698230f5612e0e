/**
 * The commands Lambda end to end: Function URL events carrying the documented Telegram and Discord
 * payloads (test/fixtures/commands), the loopback Telegram Bot API, and the DynamoDB read view on dynalite
 * behind a counter of store reads. Every refused request must leave both untouched.
 */
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLambdaLogger } from "../../lambda-alerts/src/logger.ts";
import type { PnlChartInput } from "../../lambda-commands/src/commands/pnlSeries.ts";
import {
  type CommandHandler,
  createCommandHandler,
  DISCORD_ANSWER_WITHIN_MS,
} from "../../lambda-commands/src/handler.ts";
import type { FunctionUrlEvent } from "../../lambda-commands/src/http.ts";
import type { CommandStore } from "../../lambda-commands/src/store/commandStore.ts";
import { DynamoCommandStore } from "../../lambda-commands/src/store/dynamoCommandStore.ts";
import type { WireFunding } from "../../monitor/src/hyperliquid/info/userFunding.ts";
import { HyperliquidStandIn } from "../../monitor/src/standin/server.ts";
import { DynamoStore } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { type EmbeddedDynamo, startInMemoryDynamo } from "../../monitor/src/storage/local.ts";
import { DiscordStandIn } from "../support/discordStandIn.ts";
import { pngSize } from "../support/multipart.ts";
import { TelegramStandIn } from "../support/telegramStandIn.ts";
import { ACCOUNT, closedPosition, positionState, snapshot } from "./records.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/commands/${name}`, import.meta.url), "utf8");
const TELEGRAM_UPDATE = JSON.parse(fixture("telegram-update-command.json"));
const DISCORD_PING = fixture("discord-interaction-ping.json");
const DISCORD_COMMAND = fixture("discord-interaction-command.json");
const WEBHOOK_SECRET = "hook_secret-0123456789abcdefABCDEF";
const NOW = Date.parse("2026-12-02T12:00:00Z");
const credentials = { accessKeyId: "local", secretAccessKey: "local" };
// samples/info-userFunding-1.json: 13 recorded payments, Σ usdc = +11.897859 exactly.
const FUNDING_SAMPLE = JSON.parse(
  readFileSync(new URL("../fixtures/hyperliquid/info-userFunding-1.json", import.meta.url), "utf8"),
) as WireFunding[];

/** Counts every read the commands make, whichever method. */
class CountingStore implements CommandStore {
  reads = 0;
  readonly inner: CommandStore;
  constructor(inner: CommandStore) {
    this.inner = inner;
  }
  #count<T>(read: () => Promise<T>): Promise<T> {
    this.reads += 1;
    return read();
  }
  openPositions = (a: string) => this.#count(() => this.inner.openPositions(a));
  closedPositions: CommandStore["closedPositions"] = (a, r) =>
    this.#count(() => this.inner.closedPositions(a, r));
  latestFills: CommandStore["latestFills"] = (a, n) => this.#count(() => this.inner.latestFills(a, n));
  fills: CommandStore["fills"] = (a, r) => this.#count(() => this.inner.fills(a, r));
  openOrders = (a: string) => this.#count(() => this.inner.openOrders(a));
  latestSnapshot = (a: string) => this.#count(() => this.inner.latestSnapshot(a));
  snapshotWithin: CommandStore["snapshotWithin"] = (a, r) =>
    this.#count(() => this.inner.snapshotWithin(a, r));
  fillCursor = (a: string) => this.#count(() => this.inner.fillCursor(a));
}

let dynamo: EmbeddedDynamo;
let telegram: TelegramStandIn;
let discord: DiscordStandIn;
let store: CountingStore;
let discordKeys: { publicKey: KeyObject; privateKey: KeyObject };
/** The Hyperliquid stand-in answering `userFunding` for the account. */
let hyperliquid: HyperliquidStandIn;
let hyperliquidUrl: string;
const tablePrefix = `cmd${process.pid}-`;

beforeAll(async () => {
  dynamo = await startInMemoryDynamo();
  const clientConfig = { endpoint: dynamo.endpoint, region: "local", credentials };
  const writer = new DynamoStore({ tablePrefix, clientConfig });
  await writer.init();
  await writer.savePositions(
    [positionState()],
    [
      closedPosition({ closedAt: NOW - 2 * 86_400_000, realizedPnl: "12.5", closedPnl: "12.6", fees: "0.1" }),
      closedPosition({
        coin: "ETH",
        closedAt: NOW - 86_400_000,
        realizedPnl: "-2.25",
        closedPnl: "-2.2",
        fees: "0.05",
      }),
    ],
  );
  await writer.putAccountSnapshot(snapshot(NOW - 60_000, "1000.5"));
  await writer.close();
  discordKeys = generateKeyPairSync("ed25519");
  hyperliquid = new HyperliquidStandIn({ statePushIntervalMs: 0 });
  hyperliquidUrl = (await hyperliquid.start()).apiUrl;
  // The sample's payments one hour apart up to NOW, and one 40 days old that no period but `all` holds.
  hyperliquid.addFunding(ACCOUNT, [
    {
      ...FUNDING_SAMPLE[0]!,
      time: NOW - 40 * 86_400_000,
      delta: { ...FUNDING_SAMPLE[0]!.delta, usdc: "-1000" },
    },
    ...FUNDING_SAMPLE.map((item, i) => ({ ...item, time: NOW - (13 - i) * 3_600_000 })),
  ]);
});
afterAll(async () => {
  await dynamo.close();
  await hyperliquid.stop();
});

beforeEach(async () => {
  telegram = await TelegramStandIn.start();
  discord = await DiscordStandIn.start();
  store = new CountingStore(
    new DynamoCommandStore({
      tablePrefix,
      clientConfig: { endpoint: dynamo.endpoint, region: "local", credentials },
    }),
  );
});
afterEach(async () => {
  await telegram.close();
  await discord.close();
});

function rawPublicKeyHex(key: KeyObject): string {
  // The SPKI DER of an Ed25519 key ends with the raw 32-byte key.
  return key.export({ format: "der", type: "spki" }).subarray(-32).toString("hex");
}

function makeHandler(
  options: {
    store?: CommandStore | null;
    renderChart?: (chart: PnlChartInput) => Promise<Uint8Array>;
    now?: () => number;
    hyperliquidUrl?: string;
  } = {},
): CommandHandler {
  return createCommandHandler({
    env: {
      TELEGRAM_BOT_TOKEN: telegram.botToken,
      TELEGRAM_CHAT_ID: `${telegram.chatId}, 777`,
      TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
      TELEGRAM_API_URL: telegram.url,
      DISCORD_PUBLIC_KEY: rawPublicKeyHex(discordKeys.publicKey),
      DISCORD_APPLICATION_ID: "1187654321098765432",
      DISCORD_API_URL: discord.apiUrl,
      ACCOUNT_ADDRESS: ACCOUNT,
      HYPERLIQUID_API_URL: options.hyperliquidUrl ?? hyperliquidUrl,
    },
    store: () => (options.store === undefined ? store : options.store),
    logger: createLambdaLogger({ level: "silent" }),
    now: options.now ?? (() => NOW),
    ...(options.renderChart ? { renderChart: options.renderChart } : {}),
  });
}

function event(
  path: string,
  body: string,
  headers: Record<string, string>,
  base64 = false,
): FunctionUrlEvent {
  return {
    rawPath: path,
    headers,
    body: base64 ? Buffer.from(body).toString("base64") : body,
    isBase64Encoded: base64,
    requestContext: { http: { method: "POST" } } as FunctionUrlEvent["requestContext"],
  };
}

const telegramEvent = (update: unknown, secret: string | null = WEBHOOK_SECRET, base64 = false) =>
  event(
    "/telegram",
    typeof update === "string" ? update : JSON.stringify(update),
    secret === null ? {} : { "x-telegram-bot-api-secret-token": secret },
    base64,
  );

const withText = (text: string, chatId: number = Number(TELEGRAM_UPDATE.message.chat.id)) => ({
  ...TELEGRAM_UPDATE,
  message: { ...TELEGRAM_UPDATE.message, text, chat: { ...TELEGRAM_UPDATE.message.chat, id: chatId } },
});

const withCommand = (name: string, options: unknown[] = []) =>
  JSON.stringify({ ...JSON.parse(DISCORD_COMMAND), data: { type: 1, name, id: "1", options } });

function discordEvent(
  body: string,
  options: { timestamp?: number; key?: KeyObject; signature?: string | null } = {},
) {
  const timestamp = String(Math.floor((options.timestamp ?? NOW) / 1000));
  const signature =
    options.signature === undefined
      ? sign(null, Buffer.from(timestamp + body), options.key ?? discordKeys.privateKey).toString("hex")
      : options.signature;
  return event("/discord", body, {
    "x-signature-timestamp": timestamp,
    ...(signature === null ? {} : { "x-signature-ed25519": signature }),
  });
}

describe("Telegram webhook", () => {
  it("answers a documented command update once, in the chat it came from, from the store", async () => {
    const result = await makeHandler()(telegramEvent(TELEGRAM_UPDATE));
    expect(result.statusCode).toBe(200);
    expect(telegram.messages).toHaveLength(1);
    const [message] = telegram.messages;
    expect(message!.chatId).toBe(telegram.chatId);
    expect(message!.parseMode).toBe("HTML");
    expect(message!.text).toContain("PnL last 7d: +10.25");
    expect(message!.text).toContain("1 won, 1 lost");
    expect(store.reads).toBeGreaterThan(0);
  });

  it("answers /pnl with the text, then the chart as a photo (PNG, 1080×720) in the same chat", async () => {
    const result = await makeHandler()(telegramEvent(withText("/pnl 30d")));
    expect(result.statusCode).toBe(200);
    expect(telegram.messages).toHaveLength(1);
    expect(telegram.messages[0]!.text).toContain("PnL last 30d: +10.25");
    expect(telegram.photos).toHaveLength(1);
    const [photo] = telegram.photos;
    expect(photo!.chatId).toBe(telegram.chatId);
    expect(photo!.caption).toBe("PnL last 30d: +10.25");
    expect(pngSize(photo!.bytes)).toEqual({ width: 1080, height: 720 });
    // The text first: a chat shows the figures, then the picture of them.
    expect(telegram.messages[0]!.messageId).toBeLessThan(photo!.messageId);
  });

  it("answers /pnl with the period's funding from Hyperliquid, summed exactly", async () => {
    const requestsBefore = hyperliquid.requests.length;
    await makeHandler()(telegramEvent(withText("/pnl 30d")));
    expect(telegram.messages[0]!.text).toContain("funding: +11.897859 (13 payments)");
    expect(hyperliquid.requests.slice(requestsBefore)).toEqual([
      { type: "userFunding", user: ACCOUNT, startTime: NOW - 30 * 86_400_000, endTime: NOW },
    ]);
    await makeHandler()(telegramEvent(withText("/pnl all")));
    expect(telegram.messages[1]!.text).toContain("funding: -988.102141 (14 payments)");
  });

  it("says funding unavailable when Hyperliquid does not answer in time, and answers the rest", async () => {
    await withSilentServer(async (url) => {
      const started = Date.now();
      await makeHandler({ hyperliquidUrl: url })(telegramEvent(withText("/pnl 30d")), {
        getRemainingTimeInMillis: () => 3_000,
      });
      // The read deadline is 1 s here (3 s left less the margins).
      expect(Date.now() - started).toBeLessThan(2_000);
      const text = telegram.messages[0]!.text;
      expect(text).toContain("PnL last 30d: +10.25");
      expect(text).toContain("funding: unavailable");
      expect(text).toContain("1 won, 1 lost");
      expect(telegram.photos).toHaveLength(1);
    });
  });

  it("says funding unavailable when Hyperliquid fails, and answers the rest", async () => {
    hyperliquid.failNextRestRequests(5);
    try {
      await makeHandler()(telegramEvent(withText("/pnl 7d")));
    } finally {
      hyperliquid.failNextRestRequests(0);
    }
    const text = telegram.messages[0]!.text;
    expect(text).toContain("PnL last 7d: +10.25");
    expect(text).toContain("funding: unavailable");
  });

  it("answers /pnl with the text alone when the chart cannot be drawn", async () => {
    const result = await makeHandler({
      renderChart: () => Promise.reject(new Error("resvg.wasm missing")),
    })(telegramEvent(withText("/pnl 30d")));
    expect(result.statusCode).toBe(200);
    expect(telegram.messages).toHaveLength(1);
    expect(telegram.messages[0]!.text).toContain("PnL last 30d: +10.25");
    expect(telegram.photos).toHaveLength(0);
  });

  it("keeps the /pnl text when Telegram refuses the photo", async () => {
    const handler = makeHandler({
      // Telegram answers the photo's upload with a 502 (the text before it went through).
      renderChart: async (chart) => {
        telegram.failNext(2);
        const { renderPnlChartPng } = await import("../../lambda-alerts/src/render/pnlChart.ts");
        return renderPnlChartPng(chart);
      },
    });
    const result = await handler(telegramEvent(withText("/pnl 30d")));
    expect(result.statusCode).toBe(200);
    expect(telegram.messages).toHaveLength(1);
    expect(telegram.photos).toHaveLength(0);
  });

  it("takes a base64-encoded body as the Function URL may deliver it", async () => {
    const result = await makeHandler()(telegramEvent(withText("/positions"), WEBHOOK_SECRET, true));
    expect(result.statusCode).toBe(200);
    expect(telegram.messages[0]!.text).toContain("1 open position(s)");
    expect(telegram.messages[0]!.text).toContain("long 0.00016 @ 78751.0");
  });

  it.each([
    ["a wrong secret", "hook_secret-0123456789abcdefABCDEX"],
    ["a secret of another length", "short"],
    ["no secret header", null],
  ])("refuses %s with 401: nothing read, nothing sent", async (_, secret) => {
    const result = await makeHandler()(telegramEvent(TELEGRAM_UPDATE, secret));
    expect(result.statusCode).toBe(401);
    expect(store.reads).toBe(0);
    expect(telegram.requests).toBe(0);
  });

  it("ignores a chat not in TELEGRAM_CHAT_ID silently", async () => {
    telegram.otherChats.add("5551234");
    const result = await makeHandler()(telegramEvent(withText("/positions", 5551234)));
    expect(result.statusCode).toBe(200);
    expect(store.reads).toBe(0);
    expect(telegram.requests).toBe(0);
  });

  it("answers /chatid in any chat with its id, without the store", async () => {
    telegram.otherChats.add("5551234");
    await makeHandler()(telegramEvent(withText("/chatid", 5551234)));
    expect(telegram.messages).toHaveLength(1);
    expect(telegram.messages[0]).toMatchObject({ chatId: "5551234" });
    expect(telegram.messages[0]!.text).toContain("5551234");
    expect(store.reads).toBe(0);
  });

  it("refuses malformed JSON with 400 and an oversized body with 413, nothing read or sent", async () => {
    const handler = makeHandler();
    expect((await handler(telegramEvent("{not json"))).statusCode).toBe(400);
    const big = JSON.stringify({ ...TELEGRAM_UPDATE, padding: "x".repeat(70_000) });
    expect((await handler(telegramEvent(big))).statusCode).toBe(413);
    expect((await handler(telegramEvent(big, WEBHOOK_SECRET, true))).statusCode).toBe(413);
    expect(store.reads).toBe(0);
    expect(telegram.requests).toBe(0);
  });

  it("gives a usage line for a bad argument, and stays silent for other text", async () => {
    const handler = makeHandler();
    await handler(telegramEvent(withText("/pnl 3y")));
    await handler(telegramEvent(withText("hello there")));
    expect(telegram.messages.map((m) => m.text)).toEqual([
      expect.stringContaining("usage: /pnl [today|7d|30d|all]"),
    ]);
    expect(store.reads).toBe(0);
  });

  it("rate-limits a chat: five commands, then nothing until the bucket refills", async () => {
    const handler = makeHandler();
    for (let i = 0; i < 5; i++) await handler(telegramEvent(withText("/orders")));
    const readsAfterFive = store.reads;
    const sentAfterFive = telegram.requests;
    expect(sentAfterFive).toBe(5);
    expect((await handler(telegramEvent(withText("/orders")))).statusCode).toBe(200);
    expect(store.reads).toBe(readsAfterFive);
    expect(telegram.requests).toBe(sentAfterFive);
  });

  it("says storage unavailable when the store does not answer within the deadline", async () => {
    const hanging: CommandStore = new Proxy({} as CommandStore, {
      get: () => () => new Promise(() => {}),
    });
    const started = Date.now();
    await makeHandler({ store: hanging })(telegramEvent(withText("/status")), {
      getRemainingTimeInMillis: () => 3_000,
    });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(telegram.messages[0]!.text).toContain("storage unavailable, try again");
  });

  it("answers /help with no store configured", async () => {
    await makeHandler({ store: null })(telegramEvent(withText("/help")));
    expect(telegram.messages[0]!.text).toContain("/pnl [today|7d|30d|all] [account]");
  });
});

describe("Discord interactions", () => {
  it("answers PING with type 1", async () => {
    const result = await makeHandler()(discordEvent(DISCORD_PING));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!)).toEqual({ type: 1 });
    expect(store.reads).toBe(0);
  });

  it("answers a documented slash command with an ephemeral embed and no mentions", async () => {
    const result = await makeHandler()(discordEvent(withCommand("positions")));
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body!);
    expect(body.type).toBe(4);
    expect(body.data.flags).toBe(64);
    expect(body.data.allowed_mentions).toEqual({ parse: [] });
    expect(body.data.embeds[0].title).toBe("1 open position(s)");
    expect(store.reads).toBeGreaterThan(0);
    expect(discord.requests).toBe(0);
  });

  it("answers /pnl through the interaction callback with the chart as a multipart PNG, and 202 with no body", async () => {
    discord.openInteraction(JSON.parse(DISCORD_COMMAND));
    const result = await makeHandler()(discordEvent(DISCORD_COMMAND));
    // receiving-and-responding#interaction-callback: "If you send this request for an interaction
    // received over HTTP, respond to the original HTTP request with a 202 and no body."
    expect(result).toEqual({ statusCode: 202, body: "" });
    expect(discord.interactionResponses).toHaveLength(1);
    const [answer] = discord.interactionResponses;
    expect(answer!.interactionId).toBe(JSON.parse(DISCORD_COMMAND).id);
    expect(answer!.type).toBe(4);
    expect(answer!.data.flags).toBe(64);
    expect(answer!.data.allowed_mentions).toEqual({ parse: [] });
    expect(answer!.data.embeds[0]!.title).toBe("PnL last 7d: +10.25");
    expect(answer!.data.embeds[0]!.image).toEqual({ url: "attachment://pnl.png" });
    expect(answer!.data.attachments).toEqual([{ id: 0, filename: "pnl.png" }]);
    expect(answer!.data.files).toHaveLength(1);
    expect(answer!.data.files![0]).toMatchObject({ field: "files[0]", filename: "pnl.png" });
    expect(pngSize(answer!.data.files![0]!.bytes)).toEqual({ width: 1080, height: 720 });
    expect(discord.rejected).toEqual([]);
  });

  it.each([
    ["Discord fails the callback", () => discord.failNext(1, 500)],
    ["the interaction is unknown to Discord (10062)", () => {}],
  ])("answers /pnl with the text embed in the HTTP response when %s", async (_, arrange) => {
    discord.openInteraction({ id: "999", token: "other" });
    arrange();
    const result = await makeHandler()(discordEvent(DISCORD_COMMAND));
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body!);
    expect(body.type).toBe(4);
    expect(body.data.flags).toBe(64);
    expect(body.data.embeds[0].title).toBe("PnL last 7d: +10.25");
    expect(body.data.embeds[0].image).toBeUndefined();
    expect(discord.interactionResponses).toHaveLength(0);
    expect(discord.requests).toBe(1);
  });

  it("answers /pnl with the text embed in the HTTP response when the chart cannot be drawn", async () => {
    discord.openInteraction(JSON.parse(DISCORD_COMMAND));
    const result = await makeHandler({
      renderChart: () => Promise.reject(new Error("resvg.wasm missing")),
    })(discordEvent(DISCORD_COMMAND));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!).data.embeds[0].title).toBe("PnL last 7d: +10.25");
    expect(discord.requests).toBe(0);
  });

  it("answers /pnl as text at once when the store read left too little of Discord's 3 s for a chart", async () => {
    discord.openInteraction(JSON.parse(DISCORD_COMMAND));
    let clock = NOW;
    // Reads that take 2.2 s of the budget (the store's read deadline is 2 s from after the settings).
    const slow = new Proxy(store, {
      get: (target, key) => {
        const value = Reflect.get(target, key);
        if (key !== "closedPositions") return value;
        return async (...args: unknown[]) => {
          clock = NOW + 2_200;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    let drawn = 0;
    const result = await makeHandler({
      store: slow,
      now: () => clock,
      renderChart: async () => {
        drawn += 1;
        return new Uint8Array();
      },
    })(discordEvent(DISCORD_COMMAND));
    expect(DISCORD_ANSWER_WITHIN_MS - 2_200).toBeLessThan(700);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!).data.embeds[0].title).toBe("PnL last 7d: +10.25");
    expect(drawn).toBe(0);
    expect(discord.requests).toBe(0);
  });

  it("answers /pnl within Discord's time with funding unavailable when Hyperliquid does not answer", async () => {
    await withSilentServer(async (url) => {
      discord.openInteraction(JSON.parse(DISCORD_COMMAND));
      const started = Date.now();
      const result = await makeHandler({ hyperliquidUrl: url })(discordEvent(DISCORD_COMMAND));
      expect(Date.now() - started).toBeLessThan(DISCORD_ANSWER_WITHIN_MS);
      const embed =
        result.statusCode === 202
          ? discord.interactionResponses[0]!.data.embeds[0]!
          : JSON.parse(result.body!).data.embeds[0];
      expect(embed.title).toBe("PnL last 7d: +10.25");
      const fields = Object.fromEntries(
        (embed.fields as { name: string; value: string }[]).map((field) => [field.name, field.value]),
      );
      expect(fields.funding).toBe("unavailable");
      expect(fields.trades).toBe("2 (1 won, 1 lost)");
    });
  });

  it("answers /help publicly", async () => {
    const help = JSON.stringify({ ...JSON.parse(DISCORD_COMMAND), data: { type: 1, name: "help", id: "1" } });
    const body = JSON.parse((await makeHandler()(discordEvent(help))).body!);
    expect(body.data.flags).toBeUndefined();
    expect(body.data.embeds[0].fields.map((f: { name: string }) => f.name)).not.toContain("/chatid");
  });

  it.each([
    ["a signature by another key", { key: generateKeyPairSync("ed25519").privateKey }],
    ["no signature", { signature: null }],
    ["a malformed signature", { signature: "zz" }],
    ["a stale timestamp", { timestamp: NOW - 6 * 60_000 }],
    ["a timestamp from the future", { timestamp: NOW + 6 * 60_000 }],
  ])("refuses %s with 401, nothing read", async (_, options) => {
    const result = await makeHandler()(discordEvent(DISCORD_COMMAND, options));
    expect(result.statusCode).toBe(401);
    expect(result.body).toBe("");
    expect(store.reads).toBe(0);
  });

  it("refuses a body changed after signing", async () => {
    const signed = discordEvent(DISCORD_COMMAND);
    const tampered = { ...signed, body: signed.body!.replace('"7d"', '"all"') };
    expect((await makeHandler()(tampered)).statusCode).toBe(401);
    expect(store.reads).toBe(0);
  });

  it("refuses signed malformed JSON with 400 and an oversized body with 413", async () => {
    const handler = makeHandler();
    expect((await handler(discordEvent("{oops"))).statusCode).toBe(400);
    expect((await handler(discordEvent("x".repeat(70_000)))).statusCode).toBe(413);
    expect(store.reads).toBe(0);
  });

  it("rate-limits a user: the sixth command in a burst is refused without reading", async () => {
    const handler = makeHandler();
    for (let i = 0; i < 5; i++) await handler(discordEvent(DISCORD_COMMAND));
    const reads = store.reads;
    const body = JSON.parse((await handler(discordEvent(DISCORD_COMMAND))).body!);
    expect(body.data.content).toMatch(/Too many commands/);
    expect(store.reads).toBe(reads);
  });
});

describe("routing", () => {
  it("answers 404 for other paths and methods, reading nothing", async () => {
    const handler = makeHandler();
    expect((await handler(event("/other", "{}", {}))).statusCode).toBe(404);
    const get = { ...telegramEvent(TELEGRAM_UPDATE), requestContext: { http: { method: "GET" } } };
    expect((await handler(get as FunctionUrlEvent)).statusCode).toBe(404);
    expect(store.reads).toBe(0);
    expect(telegram.requests).toBe(0);
  });
});

/** A loopback HTTP server that accepts requests and never answers them (a Hyperliquid that hangs). */
async function withSilentServer(run: (url: string) => Promise<void>): Promise<void> {
  const held = new Set<import("node:http").ServerResponse>();
  const server: Server = createServer((_request, response) => held.add(response));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    for (const response of held) response.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
