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
import {
  DynamoDeliveryLedger,
  deliveryLedgerTableInput,
} from "../../lambda-alerts/src/dynamoDeliveryLedger.ts";
import { type AlertHandlerDependencies, createAlertHandler } from "../../lambda-alerts/src/handler.ts";
import { createLambdaLogger } from "../../lambda-alerts/src/logger.ts";
import { SEVERITY_COLOUR } from "../../lambda-alerts/src/render/discord.ts";
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

async function setup(overrides: Partial<AlertHandlerDependencies> = {}): Promise<Setup> {
  const table = `deliveries-${++tableCounter}`;
  await dynamoClient.send(new CreateTableCommand(deliveryLedgerTableInput(table)));
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
    ledger: new DynamoDeliveryLedger(dynamoClient, table),
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
    expect(errors[0]).toMatch(/discord: HTTP 404 \(code 10015: Unknown Webhook\)/);
    expect(errors[0]).toMatch(/telegram: HTTP 401 \(Unauthorized\)/);

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
