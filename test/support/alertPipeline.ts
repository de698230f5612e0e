/**
 * The whole alert path on loopback: the monitor publishes to the SNS stand-in, which hands each message's
 * `lambda` part to the real alert Lambda handler (delivery ledger in dynalite), which posts to the Discord
 * and Telegram stand-ins.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SNSEvent } from "aws-lambda";
import {
  DynamoDeliveryLedger,
  deliveryLedgerTableInput,
} from "../../lambda-alerts/src/dynamoDeliveryLedger.ts";
import { createAlertHandler } from "../../lambda-alerts/src/handler.ts";
import { SnsAlertPublisher } from "../../monitor/src/alerts/publishers.ts";
import { silentLogger } from "../../monitor/src/telemetry/logger.ts";
import { DiscordStandIn } from "./discordStandIn.ts";
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
  close(): Promise<void>;
}

let ledgerCounter = 0;

export async function startAlertPipeline(dynamoEndpoint: string): Promise<AlertPipeline> {
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
  sns.onLambdaMessage = async (message) => {
    const event: SNSEvent = {
      Records: [
        snsLambdaRecord(message.lambda, message.messageId, message.subject, new Date().toISOString()),
      ],
    };
    try {
      await handler(event, { getRemainingTimeInMillis: () => 30_000 });
    } catch (error) {
      failedInvocations.push(error instanceof Error ? error.message : String(error));
    }
  };
  const publishers: SnsAlertPublisher[] = [];
  return {
    sns,
    discord,
    telegram,
    failedInvocations,
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
