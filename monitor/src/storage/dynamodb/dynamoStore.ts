/**
 * MonitorStore on DynamoDB (AWS, or any DynamoDB-compatible server such as the embedded one).
 *
 * Idempotency: fills, closed positions and CVD buckets are items whose content follows from their key,
 * so writing them again changes nothing; orders and the fill cursor are conditional writes that only move
 * forward. Batches go through BatchWriteItem (25 items a request), retrying UnprocessedItems with
 * backoff; the SDK itself retries throttling (adaptive mode).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { orderVersion } from "../../domain/orders.ts";
import type {
  AccountSnapshot,
  ClosedPosition,
  CvdBucket,
  Fill,
  FillCursor,
  OrderState,
  PositionState,
} from "../../domain/types.ts";
import { type MonitorStore, StorageError } from "../store.ts";
import { createTableInput, TABLES, type TableRole, TTL_ATTRIBUTE, tableName } from "./tables.ts";

export interface DynamoStoreOptions {
  clientConfig?: DynamoDBClientConfig;
  tablePrefix?: string;
  /** Create missing tables (DynamoDB-compatible servers); in AWS the stack owns them. */
  createTables?: boolean;
  retentionDays?: number;
  /** Attempts for a batch's UnprocessedItems before giving up with a retryable StorageError. */
  batchAttempts?: number;
}

const BATCH_SIZE = 25;
const CURSOR_SK = "CURSOR#fills";
const pad13 = (time: number) => String(time).padStart(13, "0");

export class DynamoStore implements MonitorStore {
  readonly #client: DynamoDBClient;
  readonly #doc: DynamoDBDocumentClient;
  readonly #prefix: string;
  readonly #createTables: boolean;
  readonly #retentionSeconds: number;
  readonly #batchAttempts: number;

  constructor(options: DynamoStoreOptions = {}) {
    this.#client = new DynamoDBClient({ maxAttempts: 6, retryMode: "adaptive", ...options.clientConfig });
    this.#doc = DynamoDBDocumentClient.from(this.#client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    this.#prefix = options.tablePrefix ?? "hl-";
    this.#createTables = options.createTables ?? false;
    this.#retentionSeconds = (options.retentionDays ?? 30) * 86_400;
    this.#batchAttempts = options.batchAttempts ?? 8;
  }

  #table(role: TableRole): string {
    return tableName(this.#prefix, role);
  }

  async init(): Promise<void> {
    for (const table of TABLES) {
      const name = this.#table(table.role);
      const exists = await this.#call(`describe ${name}`, async () => {
        try {
          await this.#client.send(new DescribeTableCommand({ TableName: name }));
          return true;
        } catch (error) {
          if (error instanceof ResourceNotFoundException) return false;
          throw error;
        }
      });
      if (exists) continue;
      if (!this.#createTables) {
        throw new StorageError(
          `table ${name} does not exist: deploy the stack, or check TABLE_PREFIX and AWS_REGION`,
          { retryable: false },
        );
      }
      await this.#call(`create ${name}`, async () => {
        try {
          await this.#client.send(new CreateTableCommand(createTableInput(this.#prefix, table)));
        } catch (error) {
          if ((error as Error).name !== "ResourceInUseException") throw error;
        }
        for (let i = 0; i < 100; i++) {
          const { Table } = await this.#client.send(new DescribeTableCommand({ TableName: name }));
          if (Table?.TableStatus === "ACTIVE") break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        if (table.ttl) {
          try {
            await this.#client.send(
              new UpdateTimeToLiveCommand({
                TableName: name,
                TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
              }),
            );
          } catch (error) {
            // The embedded server has no TTL sweeper: items still carry `expiresAt` for when they move to AWS.
            if ((error as Error).name !== "UnknownOperationException") throw error;
          }
        }
      });
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  // --- fills -------------------------------------------------------------------------------------------

  async putFills(fills: readonly Fill[]): Promise<void> {
    await this.#batchPut(
      "fills",
      fills.map((fill) => ({ ...fill })),
      (item) => `${item.account}|${item.fillId}`,
    );
  }

  async listFills(account: string, range: { from?: number; to?: number } = {}): Promise<Fill[]> {
    return this.#query<Fill>({
      TableName: this.#table("fills"),
      IndexName: "byTime",
      KeyConditionExpression: "#a = :a AND #t BETWEEN :from AND :to",
      ExpressionAttributeNames: { "#a": "account", "#t": "time" },
      ExpressionAttributeValues: {
        ":a": account,
        ":from": range.from ?? 0,
        ":to": range.to ?? Number.MAX_SAFE_INTEGER,
      },
    });
  }

  async getFillCursor(account: string): Promise<FillCursor | null> {
    const item = await this.#call("get cursor", () =>
      this.#doc.send(
        new GetCommand({ TableName: this.#table("dashboard"), Key: { account, sk: CURSOR_SK } }),
      ),
    );
    if (!item.Item) return null;
    const { sk: _sk, ...cursor } = item.Item;
    return cursor as FillCursor;
  }

  /** Moves forward only: an older cursor is ignored; at the same time the ids are replaced by the caller's union. */
  async setFillCursor(cursor: FillCursor): Promise<void> {
    await this.#conditionalPut(
      "dashboard",
      { ...cursor, sk: CURSOR_SK },
      "attribute_not_exists(#t) OR #t <= :t",
      { "#t": "time" },
      { ":t": cursor.time },
    );
  }

  // --- positions ---------------------------------------------------------------------------------------

  async loadPositionStates(account: string): Promise<PositionState[]> {
    const items = await this.#query<PositionState & { sk: string }>({
      TableName: this.#table("positions"),
      KeyConditionExpression: "#a = :a AND begins_with(#sk, :p)",
      ExpressionAttributeNames: { "#a": "account", "#sk": "sk" },
      ExpressionAttributeValues: { ":a": account, ":p": "CUR#" },
    });
    return items.map(({ sk: _sk, ...state }) => state);
  }

  async savePositions(states: readonly PositionState[], closed: readonly ClosedPosition[]): Promise<void> {
    const items = [
      ...closed.map((position) => ({
        ...position,
        sk: `HIST#${position.coin}#${pad13(position.closedAt)}#${position.positionId}`,
        isOpen: false,
      })),
      ...states.map((state) => ({ ...state, sk: `CUR#${state.coin}` })),
    ];
    await this.#batchPut("positions", items, (item) => `${item.account}|${item.sk}`);
  }

  async listClosedPositions(account: string): Promise<ClosedPosition[]> {
    const items = await this.#query<ClosedPosition & { sk: string; isOpen: boolean }>({
      TableName: this.#table("positions"),
      KeyConditionExpression: "#a = :a AND begins_with(#sk, :p)",
      ExpressionAttributeNames: { "#a": "account", "#sk": "sk" },
      ExpressionAttributeValues: { ":a": account, ":p": "HIST#" },
    });
    return items
      .map(({ sk: _sk, isOpen: _open, ...position }) => position)
      .sort((a, b) => a.closedAt - b.closedAt);
  }

  // --- orders ------------------------------------------------------------------------------------------

  async putOrders(orders: readonly OrderState[]): Promise<void> {
    for (const order of orders) {
      const version = orderVersion(order);
      await this.#conditionalPut(
        "orders",
        { ...order, version },
        "attribute_not_exists(#v) OR #v < :v",
        { "#v": "version" },
        { ":v": version },
      );
    }
  }

  async listOrders(account: string): Promise<OrderState[]> {
    const items = await this.#query<OrderState & { version: number }>({
      TableName: this.#table("orders"),
      KeyConditionExpression: "#a = :a",
      ExpressionAttributeNames: { "#a": "account" },
      ExpressionAttributeValues: { ":a": account },
    });
    return items.map(({ version: _v, ...order }) => order);
  }

  // --- dashboard ---------------------------------------------------------------------------------------

  async putAccountSnapshot(snapshot: AccountSnapshot): Promise<void> {
    await this.#call("put snapshot", () =>
      this.#doc.send(
        new PutCommand({
          TableName: this.#table("dashboard"),
          Item: {
            ...snapshot,
            sk: `SNAP#${pad13(snapshot.time)}`,
            [TTL_ATTRIBUTE]: this.#expiry(snapshot.time),
          },
        }),
      ),
    );
  }

  async latestAccountSnapshot(account: string): Promise<AccountSnapshot | null> {
    const items = await this.#query<AccountSnapshot & { sk: string; expiresAt: number }>(
      {
        TableName: this.#table("dashboard"),
        KeyConditionExpression: "#a = :a AND begins_with(#sk, :p)",
        ExpressionAttributeNames: { "#a": "account", "#sk": "sk" },
        ExpressionAttributeValues: { ":a": account, ":p": "SNAP#" },
        ScanIndexForward: false,
        Limit: 1,
      },
      1,
    );
    const item = items[0];
    if (!item) return null;
    const { sk: _sk, expiresAt: _e, ...snapshot } = item;
    return snapshot;
  }

  // --- cvd ---------------------------------------------------------------------------------------------

  async putCvdBuckets(buckets: readonly CvdBucket[]): Promise<void> {
    await this.#batchPut(
      "cvd",
      buckets.map((bucket) => ({ ...bucket, [TTL_ATTRIBUTE]: this.#expiry(bucket.bucket) })),
      (item) => `${item.coin}|${item.bucket}`,
    );
  }

  async latestCvdBuckets(coins: readonly string[]): Promise<Map<string, CvdBucket>> {
    const out = new Map<string, CvdBucket>();
    for (const coin of coins) {
      const [latest] = await this.#queryCvd(coin, {}, false, 1);
      if (latest) out.set(coin, latest);
    }
    return out;
  }

  listCvdBuckets(coin: string, range: { from?: number; to?: number } = {}): Promise<CvdBucket[]> {
    return this.#queryCvd(coin, range, true);
  }

  async #queryCvd(coin: string, range: { from?: number; to?: number }, forward: boolean, limit?: number) {
    const items = await this.#query<CvdBucket & { expiresAt: number }>(
      {
        TableName: this.#table("cvd"),
        KeyConditionExpression: "#c = :c AND #b BETWEEN :from AND :to",
        ExpressionAttributeNames: { "#c": "coin", "#b": "bucket" },
        ExpressionAttributeValues: {
          ":c": coin,
          ":from": range.from ?? 0,
          ":to": range.to ?? Number.MAX_SAFE_INTEGER,
        },
        ScanIndexForward: forward,
        ...(limit ? { Limit: limit } : {}),
      },
      limit,
    );
    return items.map(({ expiresAt: _e, ...bucket }) => bucket);
  }

  // --- helpers -----------------------------------------------------------------------------------------

  #expiry(time: number): number {
    return Math.floor(time / 1000) + this.#retentionSeconds;
  }

  /** BatchWriteItem in chunks of 25, without duplicate keys in one request, retrying UnprocessedItems. */
  async #batchPut<T extends Record<string, unknown>>(
    role: TableRole,
    items: T[],
    keyOf: (item: T) => string,
  ) {
    const unique = [...new Map(items.map((item) => [keyOf(item), item])).values()];
    const table = this.#table(role);
    for (let start = 0; start < unique.length; start += BATCH_SIZE) {
      let requests = unique.slice(start, start + BATCH_SIZE).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > this.#batchAttempts) {
          throw new StorageError(
            `${table}: ${requests.length} item(s) still unprocessed after ${this.#batchAttempts} attempts`,
            {
              retryable: true,
            },
          );
        }
        if (attempt > 1) await backoff(attempt);
        const result = await this.#call(`batch write ${table}`, () =>
          this.#doc.send(new BatchWriteCommand({ RequestItems: { [table]: requests } })),
        );
        requests = (result.UnprocessedItems?.[table] ?? []) as typeof requests;
      }
    }
  }

  async #conditionalPut(
    role: TableRole,
    item: Record<string, unknown>,
    condition: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<void> {
    await this.#call(`conditional put ${this.#table(role)}`, async () => {
      try {
        await this.#doc.send(
          new PutCommand({
            TableName: this.#table(role),
            Item: item,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
      } catch (error) {
        // The stored item is newer: that is the point of the condition, not a failure.
        if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
      }
    });
  }

  async #query<T>(input: QueryCommandInput, limit?: number): Promise<T[]> {
    const items: T[] = [];
    let start: Record<string, unknown> | undefined;
    for (let page = 0; page < 10_000; page++) {
      const result = await this.#call(`query ${input.TableName}`, () =>
        this.#doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start })),
      );
      items.push(...((result.Items ?? []) as T[]));
      start = result.LastEvaluatedKey;
      if (!start || (limit !== undefined && items.length >= limit)) break;
    }
    return items;
  }

  /** Runs an SDK call, turning failures into StorageError with a clean message (no request details). */
  async #call<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof StorageError) throw error;
      const name = (error as Error)?.name ?? "Error";
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const retryable =
        status === undefined ||
        status >= 500 ||
        /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|InternalServerError|ServiceUnavailable|TimeoutError|ECONN|socket|network/i.test(
          `${name} ${(error as Error)?.message ?? ""}`,
        );
      throw new StorageError(`DynamoDB ${what} failed: ${name}${status ? ` (HTTP ${status})` : ""}`, {
        cause: error,
        retryable,
      });
    }
  }
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(5_000, 50 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
