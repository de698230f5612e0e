/**
 * MonitorStore on DynamoDB: AWS, or any DynamoDB-compatible server such as the embedded one (local.ts).
 *
 * Idempotency, per kind of record:
 * - Fills, closed positions and CVD buckets are items whose key follows from their content (fillId,
 *   positionId, coin+minute), so writing one again rewrites the same item. Current position states and
 *   CVD buckets are upserts: the last write of a key wins (RetryingStore keeps those writes in order).
 * - Orders are conditional puts on `version` = statusTimestamp·2 + (terminal ? 1 : 0): an item is
 *   replaced only by a strictly higher version, so the newest state wins, a terminal status wins a tie,
 *   and an older or equal state is ignored.
 * - The fill cursor never moves backwards: a newer time replaces it; the same time merges the fill ids
 *   (union); an older time is ignored. A merge is an optimistic read-modify-write guarded by `revision`.
 * A ConditionalCheckFailedException on these guarded writes means "the stored item is newer": not an error.
 *
 * Batches go through BatchWriteItem (25 items a request, no duplicate keys in one request), retrying
 * UnprocessedItems with exponential backoff and full jitter. The SDK client itself retries throttling and
 * transient errors (adaptive mode, which also slows the client down while DynamoDB throttles). Whatever
 * still fails is thrown as a StorageError that says whether trying again may help.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { newestPerOrder, orderVersion } from "../../domain/orders.ts";
import type {
  AccountSnapshot,
  ClosedPosition,
  CvdBucket,
  Fill,
  FillCursor,
  OrderState,
  PositionState,
} from "../../domain/types.ts";
import { type BackoffPolicy, backoffDelayMs, sleep } from "../backoff.ts";
import { chunk, lastPerKey } from "../batching.ts";
import { storable } from "../storableText.ts";
import { type AlertChange, type AlertRecord, type MonitorStore, StorageError } from "../store.ts";
import { toStorageError } from "./errors.ts";
import {
  ALERT_PREFIX,
  alertKey,
  alertToItem,
  CURSOR_REVISION_ATTRIBUTE,
  closedPositionToItem,
  cursorKey,
  cvdBucketKey,
  cvdBucketToItem,
  fillKey,
  fillToItem,
  type Item,
  itemToAlert,
  itemToClosedPosition,
  itemToCvdBucket,
  itemToFill,
  itemToOrder,
  itemToPositionState,
  itemToSnapshot,
  itemToStoredCursor,
  ORDER_VERSION_ATTRIBUTE,
  orderToItem,
  positionKey,
  positionKeyPrefix,
  positionStateToItem,
  SNAPSHOT_PREFIX,
  type StoredCursor,
  snapshotToItem,
} from "./items.ts";
import {
  createTableInput,
  DEFAULT_TABLE_PREFIX,
  FILLS_BY_TIME_INDEX,
  schemaMismatch,
  TABLES,
  type TableDefinition,
  type TableRole,
  tableName,
} from "./tables.ts";

/** The part of a pino logger the store uses; optional. */
export interface StorageLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface BatchRetryPolicy extends BackoffPolicy {
  /** BatchWriteItem requests per batch (the first included) before giving up on its UnprocessedItems. */
  attempts: number;
}

export interface DynamoStoreOptions {
  /** Endpoint, region, credentials… Defaults apply for AWS; set `endpoint` for a compatible server. */
  clientConfig?: DynamoDBClientConfig;
  /** Table names are `<prefix>fills` etc.; default `hl-`. */
  tablePrefix?: string;
  /**
   * Create missing tables in `init()` (DynamoDB-compatible servers). Default: true when
   * `clientConfig.endpoint` is set; in AWS the stack owns the tables and `init()` only checks them.
   */
  createTables?: boolean;
  /** Snapshots and CVD buckets expire this many days after their time (DynamoDB TTL). Default 30. */
  retentionDays?: number;
  /** Retries of UnprocessedItems. Default: 8 attempts, waits up to 50 ms · 2^n, at most 5 s. */
  batchRetry?: Partial<BatchRetryPolicy>;
  /** How long `init()` waits for a created table to become ACTIVE. Default 120 s. */
  tableActiveTimeoutMs?: number;
  logger?: StorageLogger;
}

/** DynamoDB's limit of items in one BatchWriteItem request. */
const BATCH_WRITE_LIMIT = 25;
/** BatchWriteItem requests of one call in flight at once. */
const BATCH_CONCURRENCY = 4;
/** Single-item conditional writes (orders) and per-coin queries in flight at once. */
const ITEM_CONCURRENCY = 8;
/**
 * SDK attempts per request, instead of its default 3: a throttled request is better retried inside the
 * SDK, which in adaptive mode also paces the whole client, than failed back to the caller.
 */
const SDK_MAX_ATTEMPTS = 5;
const DEFAULT_BATCH_RETRY: BatchRetryPolicy = { attempts: 8, baseDelayMs: 50, maxDelayMs: 5_000 };
/** Read-merge-write rounds of a cursor at the same time before giving up (another writer kept winning). */
const CURSOR_MERGE_ATTEMPTS = 5;
/** Safety bound on Query pages of one read (1 MB a page). */
const MAX_QUERY_PAGES = 10_000;

type Range = { from?: number; to?: number };
type WriteRequest = NonNullable<BatchWriteCommandInput["RequestItems"]>[string][number];

export class DynamoStore implements MonitorStore {
  readonly #client: DynamoDBClient;
  readonly #documents: DynamoDBDocumentClient;
  readonly #tablePrefix: string;
  readonly #createTables: boolean;
  readonly #retentionDays: number;
  readonly #batchRetry: BatchRetryPolicy;
  readonly #tableActiveTimeoutMs: number;
  readonly #logger: StorageLogger | undefined;

  constructor(options: DynamoStoreOptions = {}) {
    this.#client = new DynamoDBClient({
      maxAttempts: SDK_MAX_ATTEMPTS,
      retryMode: "adaptive",
      ...options.clientConfig,
    });
    this.#documents = DynamoDBDocumentClient.from(this.#client, {
      // Absent optional fields are left out; nulls are stored as NULL; empty strings stay empty strings.
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    // Every command's input (items, keys, expression values) passes here before it is marshalled:
    // DynamoDB strings are UTF-8, which cannot hold a lone surrogate; NUL goes too, as on Supabase.
    this.#documents.middlewareStack.add((next) => (args) => next({ ...args, input: storable(args.input) }), {
      step: "initialize",
      priority: "high",
      name: "storableText",
    });
    this.#tablePrefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
    const compatibleServer = options.clientConfig?.endpoint !== undefined;
    this.#createTables = options.createTables ?? compatibleServer;
    this.#retentionDays = options.retentionDays ?? 30;
    this.#batchRetry = { ...DEFAULT_BATCH_RETRY, ...options.batchRetry };
    this.#tableActiveTimeoutMs = options.tableActiveTimeoutMs ?? 120_000;
    this.#logger = options.logger;
  }

  // --- lifecycle ---------------------------------------------------------------------------------------

  /** Checks the five tables (key schema included); creates the missing ones when allowed. Idempotent. */
  async init(): Promise<void> {
    const missing: string[] = [];
    for (const table of TABLES) {
      const name = this.#table(table.role);
      const description = await this.#describeTable(name);
      if (description) {
        this.#assertSchema(table, description);
        if (description.TableStatus !== "ACTIVE") await this.#waitUntilActive(name);
      } else if (this.#createTables) {
        await this.#createTable(table);
      } else {
        missing.push(name);
      }
    }
    if (missing.length > 0) {
      throw new StorageError(
        `DynamoDB table(s) missing: ${missing.join(", ")}. Deploy the stack, or check TABLE_PREFIX and AWS_REGION`,
        { retryable: false },
      );
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  // --- fills -------------------------------------------------------------------------------------------

  async putFills(fills: readonly Fill[]): Promise<void> {
    await this.#batchPut("fills", fills.map(fillToItem), fillKey);
  }

  async listFills(account: string, range: Range = {}): Promise<Fill[]> {
    if (isEmptyRange(range)) return [];
    const items = await this.#query({
      TableName: this.#table("fills"),
      IndexName: FILLS_BY_TIME_INDEX,
      KeyConditionExpression: "#account = :account AND #time BETWEEN :from AND :to",
      ExpressionAttributeNames: { "#account": "account", "#time": "time" },
      ExpressionAttributeValues: { ":account": account, ...rangeValues(range) },
    });
    // The index orders by time; within one millisecond its order is unspecified, so fix it by fillId.
    return items.map(itemToFill).sort((a, b) => a.time - b.time || compareStrings(a.fillId, b.fillId));
  }

  // --- fill cursor -------------------------------------------------------------------------------------

  async getFillCursor(account: string): Promise<FillCursor | null> {
    return (await this.#readStoredCursor(account))?.cursor ?? null;
  }

  async setFillCursor(cursor: FillCursor): Promise<void> {
    // The common case, a cursor moving forward, is one conditional write.
    if (await this.#advanceCursor(cursor)) return;
    for (let attempt = 1; attempt <= CURSOR_MERGE_ATTEMPTS; attempt++) {
      const stored = await this.#readStoredCursor(cursor.account);
      if (!stored || stored.cursor.time < cursor.time) {
        if (await this.#advanceCursor(cursor)) return;
        continue;
      }
      if (stored.cursor.time > cursor.time) {
        this.#logger?.debug({ account: cursor.account, time: cursor.time }, "older fill cursor ignored");
        return;
      }
      if (await this.#mergeCursorIds(stored, cursor)) return;
    }
    throw new StorageError(
      `fill cursor of ${cursor.account} changed under ${CURSOR_MERGE_ATTEMPTS} merge attempts in a row`,
      { retryable: true },
    );
  }

  // --- positions ---------------------------------------------------------------------------------------

  async loadPositionStates(account: string): Promise<PositionState[]> {
    const items = await this.#queryByPrefix("positions", account, positionKeyPrefix.current);
    return items.map(itemToPositionState);
  }

  async savePositions(states: readonly PositionState[], closed: readonly ClosedPosition[]): Promise<void> {
    const items = [...closed.map(closedPositionToItem), ...states.map(positionStateToItem)];
    await this.#batchPut("positions", items, positionKey);
  }

  async listClosedPositions(account: string): Promise<ClosedPosition[]> {
    const items = await this.#queryByPrefix("positions", account, positionKeyPrefix.closed);
    // Stored by coin, then close time; callers want one timeline.
    return items
      .map(itemToClosedPosition)
      .sort((a, b) => a.closedAt - b.closedAt || compareStrings(a.positionId, b.positionId));
  }

  // --- orders ------------------------------------------------------------------------------------------

  async putOrders(orders: readonly OrderState[]): Promise<void> {
    await forEachConcurrently(newestPerOrder(orders), ITEM_CONCURRENCY, (order) =>
      this.#putOrderIfNewer(order),
    );
  }

  async listOrders(account: string): Promise<OrderState[]> {
    const items = await this.#query({
      TableName: this.#table("orders"),
      KeyConditionExpression: "#account = :account",
      ExpressionAttributeNames: { "#account": "account" },
      ExpressionAttributeValues: { ":account": account },
    });
    return items.map(itemToOrder);
  }

  // --- account snapshots -------------------------------------------------------------------------------

  async putAccountSnapshot(snapshot: AccountSnapshot): Promise<void> {
    const table = this.#table("dashboard");
    await this.#call(`PutItem ${table}`, () =>
      this.#documents.send(
        new PutCommand({ TableName: table, Item: snapshotToItem(snapshot, this.#retentionDays) }),
      ),
    );
  }

  async latestAccountSnapshot(account: string): Promise<AccountSnapshot | null> {
    const [latest] = await this.#queryByPrefix("dashboard", account, SNAPSHOT_PREFIX, { count: 1 });
    return latest ? itemToSnapshot(latest) : null;
  }

  // --- alert claims ------------------------------------------------------------------------------------

  async claimAlert(record: AlertRecord): Promise<AlertRecord | null> {
    const table = this.#table("dashboard");
    const created = await this.#conditionalPut({
      TableName: table,
      Item: alertToItem(record, this.#retentionDays),
      ConditionExpression: "attribute_not_exists(#sk)",
      ExpressionAttributeNames: { "#sk": "sk" },
    });
    if (created) return null;
    const existing = await this.getAlert(record.owner, record.key);
    // Gone between the two requests only if its TTL expired: claim again next time.
    return existing ?? { ...record, status: "pending", leaseUntil: Number.MAX_SAFE_INTEGER };
  }

  async updateAlert(
    owner: string,
    key: string,
    expectedLeaseUntil: number,
    change: AlertChange,
  ): Promise<boolean> {
    const entries = Object.entries(change).filter(([, value]) => value !== undefined);
    if (entries.length === 0) return true;
    const names: Record<string, string> = { "#status": "status", "#leaseUntil": "leaseUntil" };
    const values: Record<string, unknown> = { ":pending": "pending", ":expected": expectedLeaseUntil };
    const sets = entries.map(([name, value], index) => {
      names[`#c${index}`] = name;
      values[`:c${index}`] = value;
      return `#c${index} = :c${index}`;
    });
    return this.#conditionalUpdate({
      TableName: this.#table("dashboard"),
      Key: alertKey(owner, key),
      UpdateExpression: `SET ${sets.join(", ")}`,
      ConditionExpression: "#status = :pending AND #leaseUntil = :expected",
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  async getAlert(owner: string, key: string): Promise<AlertRecord | null> {
    const item = await this.#getDashboardItem(alertKey(owner, key));
    return item ? itemToAlert(item) : null;
  }

  async listPendingAlerts(owner: string): Promise<AlertRecord[]> {
    const items = await this.#queryByPrefix("dashboard", owner, ALERT_PREFIX, undefined, {
      status: "pending",
    });
    return items.map(itemToAlert).sort((a, b) => a.createdAt - b.createdAt);
  }

  // --- cvd ---------------------------------------------------------------------------------------------

  async putCvdBuckets(buckets: readonly CvdBucket[]): Promise<void> {
    const items = buckets.map((bucket) => cvdBucketToItem(bucket, this.#retentionDays));
    await this.#batchPut("cvd", items, cvdBucketKey);
  }

  async latestCvdBuckets(coins: readonly string[]): Promise<Map<string, CvdBucket>> {
    const latest = new Map<string, CvdBucket>();
    const unique = [...new Set(coins)];
    const found = new Array<CvdBucket | undefined>(unique.length);
    await forEachConcurrently(unique, ITEM_CONCURRENCY, async (coin, index) => {
      [found[index]] = await this.#queryCvd(coin, {}, { count: 1 });
    });
    // Filled in the callers' coin order, whatever order the queries finished in.
    unique.forEach((coin, index) => {
      const bucket = found[index];
      if (bucket) latest.set(coin, bucket);
    });
    return latest;
  }

  listCvdBuckets(coin: string, range: Range = {}): Promise<CvdBucket[]> {
    return this.#queryCvd(coin, range);
  }

  // --- private: table management -----------------------------------------------------------------------

  #table(role: TableRole): string {
    return tableName(this.#tablePrefix, role);
  }

  /** The table's description, or null when it does not exist. */
  async #describeTable(name: string): Promise<TableDescription | null> {
    try {
      const { Table } = await this.#client.send(new DescribeTableCommand({ TableName: name }));
      return Table ?? null;
    } catch (error) {
      if ((error as Error).name === "ResourceNotFoundException") return null;
      throw toStorageError(`DescribeTable ${name}`, error);
    }
  }

  #assertSchema(table: TableDefinition, description: TableDescription): void {
    const mismatch = schemaMismatch(table, description);
    if (mismatch) {
      throw new StorageError(`DynamoDB table ${description.TableName} cannot be used: ${mismatch}`, {
        retryable: false,
      });
    }
  }

  async #createTable(table: TableDefinition): Promise<void> {
    const name = this.#table(table.role);
    try {
      await this.#client.send(new CreateTableCommand(createTableInput(this.#tablePrefix, table)));
      this.#logger?.info({ table: name }, "DynamoDB table created");
    } catch (error) {
      // Another process created it between our describe and create: the same outcome.
      if ((error as Error).name !== "ResourceInUseException") {
        throw toStorageError(`CreateTable ${name}`, error);
      }
    }
    await this.#waitUntilActive(name);
    if (table.ttlAttribute) await this.#enableTimeToLive(name, table.ttlAttribute);
  }

  async #waitUntilActive(name: string): Promise<void> {
    const deadline = Date.now() + this.#tableActiveTimeoutMs;
    for (let poll = 0; poll < 1_000; poll++) {
      const description = await this.#describeTable(name);
      if (description?.TableStatus === "ACTIVE") return;
      if (Date.now() >= deadline) break;
      await sleep(Math.min(2_000, 50 * 2 ** poll));
    }
    throw new StorageError(
      `DynamoDB table ${name} is not ACTIVE after ${Math.round(this.#tableActiveTimeoutMs / 1000)} s`,
      { retryable: true },
    );
  }

  async #enableTimeToLive(name: string, attribute: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
        }),
      );
    } catch (error) {
      const { name: errorName, message } = error as Error;
      // DynamoDB-compatible servers without a TTL sweeper do not know the operation; the items still carry
      // the attribute, so they expire once they live in AWS. Enabling it twice is not a failure either.
      if (errorName === "UnknownOperationException") return;
      if (errorName === "ValidationException" && /already enabled/i.test(message)) return;
      throw toStorageError(`UpdateTimeToLive ${name}`, error);
    }
  }

  // --- private: writes ---------------------------------------------------------------------------------

  /** Puts items with BatchWriteItem: the last item of each key only, 25 a request, a few requests at once. */
  async #batchPut(role: TableRole, items: readonly Item[], keyOf: (item: Item) => string): Promise<void> {
    const table = this.#table(role);
    // DynamoDB rejects a batch naming one key twice; the last item of a key is the one meant.
    const batches = chunk(lastPerKey(items, keyOf), BATCH_WRITE_LIMIT);
    await forEachConcurrently(batches, BATCH_CONCURRENCY, (batch) => this.#writeBatch(table, batch));
  }

  /** One BatchWriteItem, then its UnprocessedItems again with backoff until none are left (bounded). */
  async #writeBatch(table: string, items: readonly Item[]): Promise<void> {
    let requests: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; attempt <= this.#batchRetry.attempts; attempt++) {
      if (attempt > 1) await sleep(backoffDelayMs(attempt - 1, this.#batchRetry));
      const result = await this.#call(`BatchWriteItem ${table}`, () =>
        this.#documents.send(new BatchWriteCommand({ RequestItems: { [table]: requests } })),
      );
      requests = result.UnprocessedItems?.[table] ?? [];
      if (requests.length === 0) return;
      this.#logger?.debug(
        { table, unprocessed: requests.length, attempt },
        "BatchWriteItem left items unprocessed; retrying them",
      );
    }
    throw new StorageError(
      `DynamoDB BatchWriteItem ${table}: ${requests.length} of ${items.length} item(s) still unprocessed after ${this.#batchRetry.attempts} attempts`,
      { retryable: true },
    );
  }

  async #putOrderIfNewer(order: OrderState): Promise<void> {
    const written = await this.#conditionalPut({
      TableName: this.#table("orders"),
      Item: orderToItem(order),
      ConditionExpression: "attribute_not_exists(#version) OR #version < :version",
      ExpressionAttributeNames: { "#version": ORDER_VERSION_ATTRIBUTE },
      ExpressionAttributeValues: { ":version": orderVersion(order) },
    });
    if (!written) {
      this.#logger?.debug({ account: order.account, oid: order.oid }, "order state not newer; ignored");
    }
  }

  /** Writes `cursor` if there is none yet or the stored one is older; false when the stored one is not older. */
  #advanceCursor(cursor: FillCursor): Promise<boolean> {
    return this.#conditionalUpdate({
      TableName: this.#table("dashboard"),
      Key: cursorKey(cursor.account),
      UpdateExpression:
        "SET #time = :time, #fillIds = :fillIds, #updatedAt = :updatedAt, #revision = if_not_exists(#revision, :zero) + :one",
      ConditionExpression: "attribute_not_exists(#time) OR #time < :time",
      ExpressionAttributeNames: {
        "#time": "time",
        "#fillIds": "fillIds",
        "#updatedAt": "updatedAt",
        "#revision": CURSOR_REVISION_ATTRIBUTE,
      },
      ExpressionAttributeValues: {
        ":time": cursor.time,
        ":fillIds": cursor.fillIds,
        ":updatedAt": cursor.updatedAt,
        ":zero": 0,
        ":one": 1,
      },
    });
  }

  /**
   * Same time as stored: adds the cursor's fill ids to the stored ones, if nobody wrote since we read
   * (`revision` unchanged). True when done or nothing was new; false when it has to be read again.
   */
  async #mergeCursorIds(stored: StoredCursor, cursor: FillCursor): Promise<boolean> {
    const storedIds = new Set(stored.cursor.fillIds);
    const added = cursor.fillIds.filter((id) => !storedIds.has(id));
    if (added.length === 0) return true;
    return this.#conditionalUpdate({
      TableName: this.#table("dashboard"),
      Key: cursorKey(cursor.account),
      UpdateExpression: "SET #fillIds = :fillIds, #updatedAt = :updatedAt, #revision = :next",
      ConditionExpression:
        stored.revision === 0
          ? "#time = :time AND (attribute_not_exists(#revision) OR #revision = :revision)"
          : "#time = :time AND #revision = :revision",
      ExpressionAttributeNames: {
        "#time": "time",
        "#fillIds": "fillIds",
        "#updatedAt": "updatedAt",
        "#revision": CURSOR_REVISION_ATTRIBUTE,
      },
      ExpressionAttributeValues: {
        ":time": stored.cursor.time,
        ":fillIds": [...stored.cursor.fillIds, ...added],
        ":updatedAt": Math.max(stored.cursor.updatedAt, cursor.updatedAt),
        ":revision": stored.revision,
        ":next": stored.revision + 1,
      },
    });
  }

  /** PutItem with a condition; false (not an error) when the condition says the stored item wins. */
  async #conditionalPut(input: PutCommandInput): Promise<boolean> {
    try {
      await this.#documents.send(new PutCommand(input));
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw toStorageError(`PutItem ${input.TableName}`, error);
    }
  }

  /** UpdateItem with a condition; false (not an error) when the condition says the stored item wins. */
  async #conditionalUpdate(input: UpdateCommandInput): Promise<boolean> {
    try {
      await this.#documents.send(new UpdateCommand(input));
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw toStorageError(`UpdateItem ${input.TableName}`, error);
    }
  }

  // --- private: reads ----------------------------------------------------------------------------------

  async #readStoredCursor(account: string): Promise<StoredCursor | null> {
    const item = await this.#getDashboardItem(cursorKey(account));
    return item ? itemToStoredCursor(item) : null;
  }

  /** A strongly consistent GetItem on the dashboard table (cursor and alert records). */
  async #getDashboardItem(key: Record<string, unknown>): Promise<Item | undefined> {
    const table = this.#table("dashboard");
    const { Item } = await this.#call(`GetItem ${table}`, () =>
      this.#documents.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true })),
    );
    return Item;
  }

  /**
   * Items of one account whose sort key starts with `prefix` (and, with `where`, whose attribute equals
   * the value); oldest first, or only the newest `count`, newest first.
   */
  #queryByPrefix(
    role: TableRole,
    account: string,
    prefix: string,
    newest?: { count: number },
    where?: { status: string },
  ): Promise<Item[]> {
    return this.#query(
      {
        TableName: this.#table(role),
        KeyConditionExpression: "#account = :account AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: {
          "#account": "account",
          "#sk": "sk",
          ...(where ? { "#status": "status" } : {}),
        },
        ExpressionAttributeValues: {
          ":account": account,
          ":prefix": prefix,
          ...(where ? { ":status": where.status } : {}),
        },
        ...(where ? { FilterExpression: "#status = :status" } : {}),
        ...(newest ? { ScanIndexForward: false, Limit: newest.count } : {}),
      },
      newest?.count,
    );
  }

  async #queryCvd(coin: string, range: Range, newest?: { count: number }): Promise<CvdBucket[]> {
    if (isEmptyRange(range)) return [];
    const items = await this.#query(
      {
        TableName: this.#table("cvd"),
        KeyConditionExpression: "#coin = :coin AND #bucket BETWEEN :from AND :to",
        ExpressionAttributeNames: { "#coin": "coin", "#bucket": "bucket" },
        ExpressionAttributeValues: { ":coin": coin, ...rangeValues(range) },
        ...(newest ? { ScanIndexForward: false, Limit: newest.count } : {}),
      },
      newest?.count,
    );
    return items.map(itemToCvdBucket);
  }

  /** A strongly consistent Query, following pages until done or `limit` items are in hand. */
  async #query(input: QueryCommandInput, limit?: number): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_QUERY_PAGES; page++) {
      const result = await this.#call(`Query ${input.TableName}`, () =>
        this.#documents.send(
          new QueryCommand({ ...input, ConsistentRead: true, ExclusiveStartKey: startKey }),
        ),
      );
      items.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey;
      if (!startKey || (limit !== undefined && items.length >= limit)) break;
    }
    return limit === undefined ? items : items.slice(0, limit);
  }

  /** Runs one SDK call; any failure leaves as a classified StorageError without request details. */
  async #call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw toStorageError(operation, error);
    }
  }
}

// --- module helpers ----------------------------------------------------------------------------------

function isConditionalCheckFailure(error: unknown): boolean {
  return (error as Error | undefined)?.name === "ConditionalCheckFailedException";
}

/** DynamoDB rejects BETWEEN with the bounds reversed; such a range simply holds nothing. */
function isEmptyRange(range: Range): boolean {
  return range.from !== undefined && range.to !== undefined && range.from > range.to;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Inclusive time bounds for BETWEEN; open ends cover every epoch-ms time. */
function rangeValues(range: Range): { ":from": number; ":to": number } {
  return { ":from": range.from ?? 0, ":to": range.to ?? Number.MAX_SAFE_INTEGER };
}

/**
 * Runs `task` over `items`, at most `concurrency` at a time. After a failure no new task starts; the
 * running ones finish, then the first error is thrown.
 */
async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < items.length) {
      const index = next++;
      try {
        await task(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
