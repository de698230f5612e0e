/**
 * The delivery ledger in a DynamoDB table (partition key `id`, TTL attribute `expiresAt`), written with
 * conditional requests so that two concurrent invocations cannot both claim a (key, channel).
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { ClaimOutcome, DeliveryLedger } from "./deliveryLedger.ts";
import { cutAt } from "./render/truncate.ts";

/** Records are kept a week: longer than SNS and Lambda retry an event (Lambda: at most 6 hours). */
const RECORD_TTL_SECONDS = 7 * 24 * 3600;

export class DynamoDeliveryLedger implements DeliveryLedger {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.#table = tableName;
  }

  async claim(id: string, leaseUntil: number, now: number): Promise<ClaimOutcome> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            id: { S: id },
            status: { S: "in_progress" },
            leaseUntil: { N: String(leaseUntil) },
            expiresAt: { N: String(Math.floor(now / 1000) + RECORD_TTL_SECONDS) },
          },
          ConditionExpression: "attribute_not_exists(id) OR (#status = :inProgress AND leaseUntil < :now)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":inProgress": { S: "in_progress" }, ":now": { N: String(now) } },
        }),
      );
      return "claimed";
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.#client.send(
      new GetItemCommand({ TableName: this.#table, Key: { id: { S: id } }, ConsistentRead: true }),
    );
    const status = existing.Item?.status?.S;
    return status === "sent"
      ? "already_sent"
      : status === "failed"
        ? "already_failed"
        : "in_progress_elsewhere";
  }

  async markSent(id: string, now: number): Promise<void> {
    await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#table,
        Key: { id: { S: id } },
        UpdateExpression: "SET #status = :sent, sentAt = :now REMOVE leaseUntil",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":sent": { S: "sent" }, ":now": { N: String(now) } },
      }),
    );
  }

  async markFailed(id: string, now: number, reason: string): Promise<void> {
    await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#table,
        Key: { id: { S: id } },
        UpdateExpression: "SET #status = :failed, failedAt = :now, reason = :reason REMOVE leaseUntil",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":failed": { S: "failed" },
          ":now": { N: String(now) },
          ":reason": { S: cutAt(reason, 1_000) },
        },
      }),
    );
  }

  async release(id: string): Promise<void> {
    try {
      await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: { id: { S: id } },
          ConditionExpression: "#status = :inProgress",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":inProgress": { S: "in_progress" } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/** CreateTable input for tests and local runs (the stack defines the same table). */
export function deliveryLedgerTableInput(tableName: string) {
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" as const }],
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" as const }],
    BillingMode: "PAY_PER_REQUEST" as const,
  };
}
