/**
 * The whole alert path on loopback: the monitor publishes to the SNS stand-in, which hands each message's
 * `lambda` part to the real alert Lambda handler (delivery ledger in dynalite), which posts to the Discord
 * and Telegram stand-ins.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SNSEvent } from "aws-lambda";
import type { DeliveryReport } from "../../lambda-alerts/src/deliver.ts";
import {
  DynamoDeliveryLedger,
  deliveryLedgerTableInput,
} from "../../lambda-alerts/src/dynamoDeliveryLedger.ts";
import { createAlertHandler } from "../../lambda-alerts/src/handler.ts";
import { SnsAlertPublisher } from "../../monitor/src/alerts/publishers.ts";
import { silentLogger } from "../../monitor/src/telemetry/logger.ts";
import { DiscordStandIn } from "./discordStandIn.ts";
import { invokeAsync } from "./lambdaAsync.ts";
import { SnsStandIn, snsLambdaRecord } from "./snsStandIn.ts";
import { TelegramStandIn } from "./telegramStandIn.ts";

export interface AlertPipeline {
  sns: SnsStandIn;
  discord: DiscordStandIn;
  telegram: TelegramStandIn;
  /** A publisher for a monitor (one per monitor: each owns its SNS client). */
  publisher(): SnsAlertPublisher;
  /** Lambda invocations that failed (they would be retried by Lambda, then dead-lettered). */
  failedInvocations: string[];
  /** The error of every failed attempt, retried or not (what made Lambda try again). */
  attemptErrors: string[];
  /** What each successful invocation reported, per alert and channel. */
  delivered: DeliveryReport[];
  close(): Promise<void>;
}

let ledgerCounter = 0;

/**
 * `lambdaRetries`: failed invocations are retried at once this many times, as Lambda's asynchronous
 * invocation does (default 0: a failure is recorded at once).
 */
export async function startAlertPipeline(
  dynamoEndpoint: string,
  options: { lambdaRetries?: number } = {},
): Promise<AlertPipeline> {
  const [sns, discord, telegram] = await Promise.all([
    SnsStandIn.start(),
    DiscordStandIn.start(),
    TelegramStandIn.start(),
  ]);
  const credentials = { accessKeyId: "local", secretAccessKey: "local" };
  const dynamo = new DynamoDBClient({ endpoint: dynamoEndpoint, region: "local", credentials });
  const table = `alert-deliveries-${process.pid}-${++ledgerCounter}`;
  await dynamo.send(new CreateTableCommand(deliveryLedgerTableInput(table)));
  const handler = createAlertHandler({
    env: {
      DISCORD_WEBHOOK_URL: discord.webhookUrl,
      TELEGRAM_BOT_TOKEN: telegram.botToken,
      TELEGRAM_CHAT_ID: telegram.chatId,
      TELEGRAM_API_URL: telegram.url,
    },
    ledger: new DynamoDeliveryLedger(dynamo, table),
    logger: silentLogger(),
    writeMetrics: () => {},
  });
  const failedInvocations: string[] = [];
  const attemptErrors: string[] = [];
  const delivered: DeliveryReport[] = [];
  sns.onLambdaMessage = async (message) => {
    const event: SNSEvent = {
      Records: [
        snsLambdaRecord(message.lambda, message.messageId, message.subject, new Date().toISOString()),
      ],
    };
    const result = await invokeAsync(
      async (e: SNSEvent) =>
        delivered.push(...(await handler(e, { getRemainingTimeInMillis: () => 30_000 })).delivered),
      event,
      { maximumRetryAttempts: options.lambdaRetries ?? 0 },
    );
    attemptErrors.push(...result.errors);
    if (result.deadLetters.length > 0) failedInvocations.push(result.errors.at(-1) ?? "failed");
  };
  const publishers: SnsAlertPublisher[] = [];
  return {
    sns,
    discord,
    telegram,
    failedInvocations,
    attemptErrors,
    delivered,
    publisher() {
      const publisher = new SnsAlertPublisher(sns.topicArn, {
        endpoint: sns.endpoint,
        region: "eu-west-1",
        credentials,
      });
      publishers.push(publisher);
      return publisher;
    },
    async close() {
      for (const publisher of publishers) publisher.close();
      dynamo.destroy();
      await Promise.all([sns.close(), discord.close(), telegram.close()]);
    },
  };
}
