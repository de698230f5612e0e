/**
 * The alert Lambda end to end on loopback: SNS events in, real HTTP to Discord and Telegram stand-ins
 * that enforce the services' formats, limits and 429s, the delivery ledger in DynamoDB (dynalite), and
 * the alerts secret from a Secrets Manager stand-in. Lambda's retry-then-dead-letter behaviour is
 * driven by `invokeAsync` (test/support/lambdaAsync.ts), because no Lambda service runs here.
 */
import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SNSEvent, SNSEventRecord } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ALERT_SCHEMA, type AlertEvent } from "../../lambda-alerts/src/alertEvent.ts";
import type { DeliveryLedger } from "../../lambda-alerts/src/deliveryLedger.ts";
import {
  DynamoDeliveryLedger,
  deliveryLedgerTableInput,
} from "../../lambda-alerts/src/dynamoDeliveryLedger.ts";
import { type AlertHandlerDependencies, createAlertHandler } from "../../lambda-alerts/src/handler.ts";
import { createLambdaLogger } from "../../lambda-alerts/src/logger.ts";
import { SEVERITY_COLOUR } from "../../lambda-alerts/src/render/discord.ts";
import { channelSettingsFrom } from "../../lambda-alerts/src/settings.ts";
import { type EmbeddedDynamo, startInMemoryDynamo } from "../../monitor/src/storage/local.ts";
import { DiscordStandIn } from "../support/discordStandIn.ts";
import { invokeAsync } from "../support/lambdaAsync.ts";
import { SecretsManagerStandIn } from "../support/secretsManagerStandIn.ts";
import { snsLambdaRecord } from "../support/snsStandIn.ts";
import { TelegramStandIn } from "../support/telegramStandIn.ts";

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/alerts/${name}`, import.meta.url), "utf8"));

let dynamo: EmbeddedDynamo;
let dynamoClient: DynamoDBClient;
let discord: DiscordStandIn;
let telegram: TelegramStandIn;
let secretsManager: SecretsManagerStandIn;
let tableCounter = 0;

beforeAll(async () => {
  dynamo = await startInMemoryDynamo();
  dynamoClient = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  secretsManager = await SecretsManagerStandIn.start();
});

afterAll(async () => {
  dynamoClient.destroy();
  await dynamo.close();
  await secretsManager.close();
});

beforeEach(async () => {
  await discord?.close();
  await telegram?.close();
  discord = await DiscordStandIn.start();
  telegram = await TelegramStandIn.start();
});

function localEnv(): Record<string, string> {
  return {
    DISCORD_WEBHOOK_URL: discord.webhookUrl,
    TELEGRAM_BOT_TOKEN: telegram.botToken,
    TELEGRAM_CHAT_ID: telegram.chatId,
    TELEGRAM_API_URL: telegram.url,
    DASHBOARD_URL:
      "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/HyperliquidMonitor",
  };
}

interface Setup {
  handler: ReturnType<typeof createAlertHandler>;
  logs: string[];
  metrics: string[];
  waits: number[];
}

async function setup(
  overrides: Partial<AlertHandlerDependencies> = {},
  options: { wrapLedger?: (ledger: DeliveryLedger) => DeliveryLedger } = {},
): Promise<Setup> {
  const table = `deliveries-${++tableCounter}`;
  await dynamoClient.send(new CreateTableCommand(deliveryLedgerTableInput(table)));
  const ledger = new DynamoDeliveryLedger(dynamoClient, table);
  const logs: string[] = [];
  const metrics: string[] = [];
  const waits: number[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const handler = createAlertHandler({
    env: localEnv(),
    ledger: options.wrapLedger?.(ledger) ?? ledger,
    logger: createLambdaLogger({ destination }),
    writeMetrics: (line) => metrics.push(line),
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...overrides,
  });
  return { handler, logs, metrics, waits };
}

const context = (remainingMs = 30_000) => ({ getRemainingTimeInMillis: () => remainingMs });

function sampleAlert(overrides: Partial<AlertEvent> = {}): AlertEvent {
  return {
    schema: ALERT_SCHEMA,
    key: "position_closed:0x70997970c51812dc3a010c7d01b50e0d17dc79c8:BTC#1700000000000#t:1",
    kind: "position_closed",
    severity: "success",
    title: "BTC long closed: +12.3456 USDC",
    summary: "Closed 0.5 BTC long after 2h 5m, entry 35,000.1 → exit 35,024.8 (<&> test)",
    account: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
    coin: "BTC",
    time: 1_700_007_500_000,
    fields: [
      { label: "Realised PnL (net)", value: "+12.3456 USDC" },
      { label: "Fees", value: "0.0044 USDC" },
      { label: "Entry → exit", value: "35000.1 → 35024.8" },
    ],
    links: [
      {
        label: "Explorer",
        url: "https://app.hyperliquid.xyz/explorer/address/0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
      },
    ],
    ...overrides,
  };
}

const snsEvent = (...records: SNSEventRecord[]): SNSEvent => ({ Records: records });
const alertEvent = (alert: AlertEvent, messageId = "m-1") =>
  snsEvent(snsLambdaRecord(JSON.stringify(alert), messageId));

describe("alert Lambda", () => {
  it("delivers a monitor alert to both channels once, however often SNS delivers it", async () => {
    const { handler, metrics } = await setup();
    const event = alertEvent(sampleAlert());
    await handler(event, context());
    await handler(event, context());
    await Promise.all([handler(event, context()), handler(event, context()), handler(event, context())]);
    expect(discord.messages).toHaveLength(1);
    expect(telegram.messages).toHaveLength(1);

    const embed = discord.messages[0]!.embeds[0]!;
    expect(embed.title).toBe("BTC long closed: +12.3456 USDC");
    expect(embed.color).toBe(SEVERITY_COLOUR.success);
    expect(embed.fields).toContainEqual({ name: "Realised PnL (net)", value: "+12.3456 USDC", inline: true });
    expect(embed.url).toContain("app.hyperliquid.xyz/explorer/address/");
    expect(telegram.messages[0]!.text).toContain("BTC long closed: +12.3456 USDC");
    expect(telegram.messages[0]!.text).toContain("(<&> test)");
    expect(telegram.messages[0]!.source).toContain("(&lt;&amp;&gt; test)");
    expect(JSON.parse(metrics[0]!)).toMatchObject({ AlertsDelivered: 2, failedAlerts: 0 });
  });

  it("renders real CloudWatch ALARM and OK notifications in both channels", async () => {
    const { handler } = await setup();
    await handler(fixture("cloudwatch-alarm-sns-alarm.json") as SNSEvent, context());
    const ok = fixture("cloudwatch-alarm-sns-ok.json");
    await handler(
      snsEvent({ ...snsLambdaRecord("", "x"), Sns: { ...snsLambdaRecord("", "x").Sns, ...ok } }),
      context(),
    );

    expect(discord.messages.map((m) => m.embeds[0]!.title)).toEqual([
      "ALARM: EXAMPLE",
      "Resolved: alarm-test",
    ]);
    const [alarm, resolved] = discord.messages.map((m) => m.embeds[0]!);
    expect(alarm!.color).toBe(SEVERITY_COLOUR.warning);
    expect(alarm!.fields).toContainEqual({ name: "Metric", value: "AWS/EC2 / NetworkOut", inline: true });
    expect(alarm!.fields).toContainEqual({ name: "Condition", value: "> 0", inline: true });
    expect(alarm!.description).toContain("Threshold Crossed: 1 out of the last 1 datapoints");
    expect(resolved!.color).toBe(SEVERITY_COLOUR.success);
    expect(resolved!.fields).toContainEqual({ name: "State", value: "INSUFFICIENT_DATA → OK", inline: true });
    expect(resolved!.url).toContain("#dashboards/dashboard/HyperliquidMonitor");

    expect(telegram.messages).toHaveLength(2);
    expect(telegram.messages[0]!.text).toMatch(/^🟠 ALARM: EXAMPLE\n/);
    expect(telegram.messages[1]!.text).toMatch(/^🟢 Resolved: alarm-test\n/);
    expect(telegram.messages[1]!.text).toContain("Metric: AWS/SQS / ApproximateNumberOfMessagesVisible");
  });

  it("waits out 429s as told: Discord's body retry_after, its Retry-After header, Telegram's parameters", async () => {
    const { handler, waits } = await setup();
    discord.rateLimitNext(1, 0.25);
    telegram.rateLimitNext(2, 3);
    await handler(alertEvent(sampleAlert()), context());
    discord.rateLimitNext(1, 2, { headerOnly: true });
    await handler(alertEvent(sampleAlert({ key: "second" }), "m-2"), context());
    expect(waits.sort((a, b) => a - b)).toEqual([250, 2_000, 3_000, 3_000]);
    expect(discord.messages).toHaveLength(2);
    expect(telegram.messages).toHaveLength(2);
    expect(discord.rejected).toEqual([]);
  });

  it("fails the invocation when a 429 outlasts the function's time; the retry posts where still needed", async () => {
    const { handler, waits } = await setup();
    telegram.rateLimitNext(1, 60);
    await expect(handler(alertEvent(sampleAlert()), context(20_000))).rejects.toThrow(
      /telegram: rate limited \(429\), retry after 60000 ms/,
    );
    expect(waits).toEqual([]);
    expect(discord.messages).toHaveLength(1);
    expect(telegram.messages).toHaveLength(0);
    await handler(alertEvent(sampleAlert()), context(20_000));
    expect(discord.messages).toHaveLength(1);
    expect(telegram.messages).toHaveLength(1);
  });

  it("a channel that keeps failing: two retries, then the dead-letter queue; the other channel posted once", async () => {
    const { handler, logs } = await setup();
    telegram.failNext(1_000, 502);
    const event = alertEvent(sampleAlert());
    const result = await invokeAsync((e: SNSEvent) => handler(e, context()), event);
    expect(result.attempts).toBe(3);
    expect(result.deadLetters).toEqual([event]);
    expect(result.errors[0]).toMatch(/telegram: HTTP 502/);
    expect(discord.messages).toHaveLength(1);
    expect(telegram.messages).toHaveLength(0);
    expect(logs.filter((line) => line.includes('"alert delivery failed"'))).toHaveLength(3);
  });

  it("never writes a token or webhook URL into a log line, an error or a metric", async () => {
    const { handler, logs, metrics } = await setup({
      env: {
        ...localEnv(),
        // Right servers, wrong secrets: Discord answers 404 Unknown Webhook, Telegram 401.
        DISCORD_WEBHOOK_URL: `${discord.webhookUrl.replace(discord.webhookToken, "")}wrong-${discord.webhookToken}`,
        TELEGRAM_BOT_TOKEN: "123:wrong-token-value-zzz",
      },
    });
    const errors: string[] = [];
    const result = await invokeAsync((e: SNSEvent) => handler(e, context()), alertEvent(sampleAlert()));
    errors.push(...result.errors);
    // Both refusals are permanent: logged with the channels' answers, not retried.
    expect(result.attempts).toBe(1);
    const refusals = logs.filter((line) => line.includes("refused the alert for good")).join("");
    expect(refusals).toMatch(/discord: HTTP 404 \(code 10015: Unknown Webhook\)/);
    expect(refusals).toMatch(/telegram: HTTP 401 \(Unauthorized\)/);

    // Network failure: both services gone.
    const offline = await setup();
    await discord.close();
    await telegram.close();
    await expect(offline.handler(alertEvent(sampleAlert()), context())).rejects.toThrow(
      /request failed \(ECONNREFUSED\)/,
    );
    errors.push(...offline.logs);

    const everything = [...errors, ...logs, ...metrics, ...offline.logs, ...offline.metrics].join("\n");
    for (const secret of [
      discord.webhookToken,
      "wrong-token-value-zzz",
      telegram.botToken,
      "/api/webhooks/",
      "/bot",
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it("reads the channels from the alerts secret, once per five minutes", async () => {
    secretsManager.secrets.set(
      "hl-monitor/prod/alerts",
      JSON.stringify({
        DISCORD_WEBHOOK_URL: discord.webhookUrl,
        TELEGRAM_BOT_TOKEN: telegram.botToken,
        TELEGRAM_CHAT_ID: telegram.chatId,
      }),
    );
    let now = 1_700_000_000_000;
    const { handler } = await setup({
      env: { ALERTS_SECRET_ID: "hl-monitor/prod/alerts", TELEGRAM_API_URL: telegram.url },
      now: () => now,
      secretsClient: () =>
        new SecretsManagerClient({
          endpoint: secretsManager.endpoint,
          region: "eu-west-1",
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
        }),
    });
    const before = secretsManager.getSecretValueCalls;
    for (let i = 0; i < 3; i++) await handler(alertEvent(sampleAlert({ key: `k${i}` }), `m${i}`), context());
    expect(secretsManager.getSecretValueCalls - before).toBe(1);
    now += 6 * 60_000;
    await handler(alertEvent(sampleAlert({ key: "k3" }), "m3"), context());
    expect(secretsManager.getSecretValueCalls - before).toBe(2);
    expect(discord.messages).toHaveLength(4);
    expect(telegram.messages).toHaveLength(4);
  });

  it("reads only the keys present: the empty placeholder means no channel, one channel's keys give that channel", async () => {
    const clients = () =>
      new SecretsManagerClient({
        endpoint: secretsManager.endpoint,
        region: "eu-west-1",
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
      });
    // The value the stack creates the secret with (lib/secrets.ts), which no deploy rewrites.
    secretsManager.secrets.set("hl-monitor/placeholder/alerts", "{}");
    const empty = await setup({
      env: { ALERTS_SECRET_ID: "hl-monitor/placeholder/alerts", TELEGRAM_API_URL: telegram.url },
      secretsClient: clients,
    });
    const discordBefore = discord.messages.length;
    const telegramBefore = telegram.messages.length;
    await empty.handler(alertEvent(sampleAlert({ key: "placeholder" }), "p1"), context());
    expect(empty.logs.join("")).toContain("no alert channel is configured");
    // Telegram keys absent, Discord present: Discord only, no settings error.
    secretsManager.secrets.set(
      "hl-monitor/discord-only/alerts",
      JSON.stringify({ DISCORD_WEBHOOK_URL: discord.webhookUrl }),
    );
    const discordOnly = await setup({
      env: { ALERTS_SECRET_ID: "hl-monitor/discord-only/alerts", TELEGRAM_API_URL: telegram.url },
      secretsClient: clients,
    });
    await discordOnly.handler(alertEvent(sampleAlert({ key: "discord-only" }), "d1"), context());
    expect(discord.messages.length - discordBefore).toBe(1);
    expect(telegram.messages.length - telegramBefore).toBe(0);
  });

  it("delivers an unrecognised or invalid message as a plain notification and says why in the log", async () => {
    const { handler, logs } = await setup();
    await handler(
      snsEvent(snsLambdaRecord("hello from the console <b>", "m-plain", "Test publish")),
      context(),
    );
    await handler(
      snsEvent(snsLambdaRecord(JSON.stringify({ ...sampleAlert(), severity: "apocalyptic" }), "m-bad")),
      context(),
    );
    expect(discord.messages.map((m) => m.embeds[0]!.title)).toEqual(["Test publish", "Notification"]);
    expect(telegram.messages[0]!.text).toContain("hello from the console <b>");
    expect(logs.join("")).toContain("monitor alert failed validation at severity");
  });
});

describe("alert Lambda: channels as the real services behave", () => {
  it("a plain message cut at its length limit inside an emoji still reaches both channels", async () => {
    const { handler } = await setup();
    // 2,999 units then emoji: a cut at 3,000 UTF-16 units would leave a lone high surrogate.
    const message = `${"x".repeat(2_999)}${"🚨".repeat(10)}`;
    await handler(snsEvent(snsLambdaRecord(message, "m-emoji", "Emoji at the cut")), context());
    expect(discord.rejected).toEqual([]);
    expect(telegram.rejected).toEqual([]);
    expect(discord.messages).toHaveLength(1);
    expect(telegram.messages).toHaveLength(1);
    expect(telegram.messages[0]!.text.isWellFormed()).toBe(true);
  });

  it("an alert that arrives with a lone surrogate (a producer's bad cut) is delivered with U+FFFD in its place", async () => {
    const { handler } = await setup();
    const broken = sampleAlert({ fields: [{ label: "Raw", value: `abc${"🚨".slice(0, 1)}` }] });
    await handler(alertEvent(broken), context());
    expect(discord.messages[0]!.embeds[0]!.fields).toContainEqual({
      name: "Raw",
      value: "abc\uFFFD",
      inline: true,
    });
    expect(telegram.messages[0]!.text).toContain("Raw: abc\uFFFD");
  });
});

/** A ledger whose calls fail on demand, as DynamoDB does when throttled or unreachable. */
function faultyLedger(
  inner: DeliveryLedger,
  faults: { claim?: (id: string) => boolean; markSent?: (id: string) => boolean },
): DeliveryLedger {
  const unavailable = () => Object.assign(new Error("ledger unavailable"), { name: "ServiceUnavailable" });
  return {
    claim: async (id, leaseUntil, now) => {
      if (faults.claim?.(id)) throw unavailable();
      return inner.claim(id, leaseUntil, now);
    },
    markSent: async (id, now) => {
      if (faults.markSent?.(id)) throw unavailable();
      return inner.markSent(id, now);
    },
    markFailed: (id, now, reason) => inner.markFailed(id, now, reason),
    release: (id) => inner.release(id),
  };
}

const refusalLines = (logs: string[]) =>
  logs.filter((line) => line.includes('"alert channel refused the alert for good"'));

describe("alert Lambda: a channel that refuses for good does not loop", () => {
  it("a deleted Discord webhook: logged once with its answer, counted, never asked again; Telegram still gets the alert", async () => {
    const { handler, logs, metrics } = await setup();
    discord.deleteWebhook();
    const event = alertEvent(sampleAlert());
    const result = await invokeAsync((e: SNSEvent) => handler(e, context()), event);
    expect(result).toMatchObject({ attempts: 1, deadLetters: [] });
    expect(telegram.messages).toHaveLength(1);
    expect(refusalLines(logs)).toHaveLength(1);
    expect(refusalLines(logs)[0]).toContain("discord: HTTP 404 (code 10015: Unknown Webhook)");
    const metric = JSON.parse(metrics[0]!);
    expect(metric).toMatchObject({ AlertsDelivered: 1, AlertChannelFailures: 1 });
    expect(metric._aws.CloudWatchMetrics[0].Metrics).toContainEqual({
      Name: "AlertChannelFailures",
      Unit: "Count",
    });

    // SNS delivers the same message again: the webhook is not asked again and nothing is logged twice.
    const requests = discord.requests;
    await handler(event, context());
    expect(discord.requests).toBe(requests);
    expect(refusalLines(logs)).toHaveLength(1);
    expect(telegram.messages).toHaveLength(1);
    // A working channel declares no failure metric at all (it costs nothing while all is well).
    expect(JSON.parse(metrics[1]!)._aws.CloudWatchMetrics[0].Metrics).toEqual([
      { Name: "AlertsDelivered", Unit: "Count" },
    ]);
  });

  it("Telegram: the bot blocked (403) or the chat unknown (400) is permanent; Discord gets the alert", async () => {
    const blocked = await setup();
    telegram.blockBot();
    const first = await invokeAsync(
      (e: SNSEvent) => blocked.handler(e, context()),
      alertEvent(sampleAlert()),
    );
    expect(first).toMatchObject({ attempts: 1, deadLetters: [] });
    expect(refusalLines(blocked.logs)[0]).toContain(
      "telegram: HTTP 403 (Forbidden: bot was blocked by the user)",
    );

    telegram.unblockBot();
    const unknownChat = await setup({ env: { ...localEnv(), TELEGRAM_CHAT_ID: "-1009999999999" } });
    const second = await invokeAsync(
      (e: SNSEvent) => unknownChat.handler(e, context()),
      alertEvent(sampleAlert({ key: "other" }), "m-2"),
    );
    expect(second).toMatchObject({ attempts: 1, deadLetters: [] });
    expect(refusalLines(unknownChat.logs)[0]).toContain("telegram: HTTP 400 (Bad Request: chat not found)");
    expect(discord.messages).toHaveLength(2);
    expect(telegram.messages).toHaveLength(0);
    expect([...blocked.logs, ...unknownChat.logs].join("")).not.toContain(telegram.botToken);
  });

  it("a transient failure still fails the invocation (and a permanent one alongside it is not asked again)", async () => {
    const { handler, logs } = await setup();
    discord.deleteWebhook();
    telegram.failNext(5, 502); // five tries within the invocation, all 502
    const result = await invokeAsync((e: SNSEvent) => handler(e, context()), alertEvent(sampleAlert()));
    expect(result.attempts).toBe(2);
    expect(result.errors[0]).toMatch(/telegram: HTTP 502/);
    expect(telegram.messages).toHaveLength(1);
    expect(refusalLines(logs)).toHaveLength(1);
  });
});

describe("alert Lambda: Telegram group upgraded to a supergroup", () => {
  it("delivers to migrate_to_chat_id, logs the new id, and keeps using it", async () => {
    const { handler, logs } = await setup();
    const oldId = telegram.chatId;
    telegram.upgradeToSupergroup("-1009876543210");
    await handler(alertEvent(sampleAlert()), context());
    await handler(alertEvent(sampleAlert({ key: "second" }), "m-2"), context());
    expect(telegram.messages.map((m) => m.chatId)).toEqual(["-1009876543210", "-1009876543210"]);
    // The old id was tried once; the second alert went straight to the new one.
    expect(telegram.rejected.filter((r) => r.description.includes("upgraded to a supergroup"))).toHaveLength(
      1,
    );
    const line = logs.find((l) => l.includes("set TELEGRAM_CHAT_ID to -1009876543210"));
    expect(line).toBeDefined();
    expect(line).toContain(oldId);
  });
});

describe("alert Lambda: ledger failures neither abandon a channel nor post twice", () => {
  it("a failed claim fails only its channel: the other's post completes before the invocation fails", async () => {
    let failClaims = 1;
    const { handler } = await setup(
      {},
      {
        wrapLedger: (ledger) =>
          faultyLedger(ledger, { claim: (id) => id.includes("#telegram") && failClaims-- > 0 }),
      },
    );
    const event = alertEvent(sampleAlert());
    await expect(handler(event, context())).rejects.toThrow(/telegram: delivery ledger unavailable/);
    expect(discord.messages).toHaveLength(1);
    await handler(event, context());
    expect(discord.messages).toHaveLength(1);
    expect(telegram.messages).toHaveLength(1);
  });

  it("a failed markSent after a post is retried, so Lambda's retry (a minute later) does not post again", async () => {
    let clock = 1_700_000_000_000;
    let failMarks = 2;
    const { handler } = await setup(
      {
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
      },
      {
        wrapLedger: (ledger) =>
          faultyLedger(ledger, { markSent: (id) => id.includes("#discord") && failMarks-- > 0 }),
      },
    );
    telegram.failNext(1_000, 502);
    const result = await invokeAsync(async (e: SNSEvent) => {
      clock += 60_000; // Lambda waits about a minute before a retry: the first claim's lease has run out.
      return handler(e, context());
    }, alertEvent(sampleAlert()));
    expect(result.attempts).toBe(3);
    expect(discord.messages).toHaveLength(1);
  });

  it("a ledger that stays down after the post: the alert counts as sent and the log says a retry may repeat it", async () => {
    const { handler, logs } = await setup(
      {},
      { wrapLedger: (ledger) => faultyLedger(ledger, { markSent: (id) => id.includes("#discord") }) },
    );
    const { delivered } = await handler(alertEvent(sampleAlert()), context());
    expect(delivered[0]).toMatchObject({ discord: "sent", telegram: "sent" });
    expect(logs.join("")).toContain("alert posted but the delivery ledger could not record it");
  });
});

describe("alert Lambda: threads, forum channels and topics", () => {
  it("posts into the Discord forum post and the Telegram topic from the alerts settings", async () => {
    discord.makeForum(["1300000000000000001"]);
    telegram.enableTopics([42]);
    const { handler } = await setup({
      env: { ...localEnv(), DISCORD_THREAD_ID: "1300000000000000001", TELEGRAM_THREAD_ID: "42" },
    });
    await handler(alertEvent(sampleAlert()), context());
    expect(discord.rejected).toEqual([]);
    expect(discord.messages.map((m) => m.threadId)).toEqual(["1300000000000000001"]);
    expect(telegram.messages.map((m) => m.threadId)).toEqual([42]);
  });

  it("keeps a thread_id already in the webhook URL", async () => {
    discord.makeForum(["1300000000000000002"]);
    const { handler } = await setup({
      env: { ...localEnv(), DISCORD_WEBHOOK_URL: `${discord.webhookUrl}?thread_id=1300000000000000002` },
    });
    await handler(alertEvent(sampleAlert()), context());
    expect(discord.messages.map((m) => m.threadId)).toEqual(["1300000000000000002"]);
  });

  it("checks the thread ids: digits for Discord, a positive number for a Telegram topic", () => {
    const base = {
      DISCORD_WEBHOOK_URL: "https://discord.com/api/webhooks/1/abc",
      TELEGRAM_BOT_TOKEN: "123:abc",
      TELEGRAM_CHAT_ID: "-1001",
    };
    expect(channelSettingsFrom({ ...base, DISCORD_THREAD_ID: "130", TELEGRAM_THREAD_ID: "7" })).toMatchObject(
      {
        discordThreadId: "130",
        telegram: { threadId: "7" },
      },
    );
    expect(() =>
      channelSettingsFrom({ ...base, DISCORD_THREAD_ID: "https://discord.com/channels/1/2" }),
    ).toThrow(/^DISCORD_THREAD_ID must be a thread id/);
    expect(() => channelSettingsFrom({ ...base, TELEGRAM_THREAD_ID: "0" })).toThrow(
      /^TELEGRAM_THREAD_ID must be a topic id/,
    );
  });

  it("a forum webhook without a thread is refused as Discord refuses it", async () => {
    discord.makeForum(["1300000000000000003"]);
    const { handler, logs } = await setup();
    await handler(alertEvent(sampleAlert()), context());
    expect(refusalLines(logs)[0]).toContain(
      "code 220001: Webhooks posted to forum channels must have a thread_name or thread_id",
    );
  });
});

describe("alert Lambda: alerts from a newer monitor", () => {
  it("an unknown kind is shown with its title, text and figures, not as raw JSON", async () => {
    const { handler, logs } = await setup();
    const future = {
      ...sampleAlert(),
      kind: "funding_paid",
      title: "Funding paid: -1.2 USDC",
      summary: "Hourly funding on BTC",
    };
    await handler(snsEvent(snsLambdaRecord(JSON.stringify(future), "m-future")), context());
    const embed = discord.messages[0]!.embeds[0]!;
    expect(embed.title).toBe("Funding paid: -1.2 USDC");
    expect(embed.description).toContain("Hourly funding on BTC");
    expect(embed.description).not.toContain('"schema"');
    expect(embed.fields).toContainEqual({ name: "Realised PnL (net)", value: "+12.3456 USDC", inline: true });
    expect(embed.fields).toContainEqual({ name: "Kind", value: "funding_paid", inline: true });
    expect(telegram.messages[0]!.text).toMatch(/^🟢 Funding paid: -1\.2 USDC\n/);
    expect(logs.join("")).toContain("alert kind funding_paid is not known to this Lambda");
  });

  it("a time beyond any real date does not crash the renderers: the message is still delivered", async () => {
    const { handler } = await setup();
    const result = await invokeAsync(
      (e: SNSEvent) => handler(e, context()),
      // A safe integer past 8.64e15 ms: new Date(time).toISOString() throws.
      alertEvent(sampleAlert({ time: 8.7e15 })),
    );
    expect(result).toMatchObject({ attempts: 1, deadLetters: [] });
    expect(discord.messages).toHaveLength(1);
    expect(telegram.messages).toHaveLength(1);
  });
});

describe("alert Lambda: Telegram's flood limits", () => {
  it("a long alert's parts are paced to one a second and twenty a minute, without a 429", async () => {
    let clock = 1_700_000_000_000;
    const waits: number[] = [];
    const { handler } = await setup({
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    telegram.enforceFloodLimits(() => clock, { perSecond: true });
    // Across alerts the Lambda obeys Telegram's 429 retry_after (see above); within one alert it paces
    // the parts so that no 429 comes at all.
    await handler(
      alertEvent(
        sampleAlert({
          key: "long",
          fields: Array.from({ length: 24 }, (_, i) => ({ label: `Part ${i}`, value: "y".repeat(4_000) })),
        }),
        "m-long",
      ),
      context(120_000),
    );
    expect(telegram.rejected).toEqual([]);
    const parts = telegram.messages.length;
    expect(parts).toBe(25); // title and summary, then 24 fields (the time shares the last part)
    const spacing = waits.filter((ms) => ms > 0);
    expect(spacing.every((ms) => ms >= 1_000)).toBe(true);
    expect(waits.some((ms) => ms > 30_000)).toBe(true); // the 21st part of the long alert waited for the minute
  });

  it("parts that do not fit in the time left are sent by the retry, none twice", async () => {
    let clock = 1_700_000_000_000;
    const { handler } = await setup({
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    telegram.enforceFloodLimits(() => clock, { perSecond: true });
    // Six parts of fields, plus the title's and the time's: eight parts, four of which fit in one try.
    const fields = Array.from({ length: 6 }, (_, i) => ({ label: `Part ${i}`, value: "y".repeat(4_000) }));
    const result = await invokeAsync(
      async (e: SNSEvent) => {
        clock += 60_000;
        return handler(e, context(16_000));
      },
      alertEvent(sampleAlert({ fields })),
    );
    expect(result.attempts).toBe(2);
    expect(result.deadLetters).toEqual([]);
    expect(result.errors[0]).toMatch(/no time left to pace/);
    expect(telegram.rejected).toEqual([]);
    const texts = telegram.messages.map((m) => m.text);
    expect(new Set(texts).size).toBe(texts.length);
    expect(texts.filter((t) => t.startsWith("Part 0:"))).toHaveLength(1);
  });
});
