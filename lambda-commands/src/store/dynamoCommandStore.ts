/**
 * CommandStore on the monitor's DynamoDB tables (key design: monitor/src/storage/dynamodb/tables.ts), with
 * Query and GetItem only, so the function's role needs read actions and nothing else. Items are turned
 * back into records by the monitor's own mapping (items.ts), so both sides agree on every attribute.
 *
 * Eventually consistent reads: half the price of the monitor's strongly consistent ones, and a chat reply
 * a second behind the newest write is fine. Each read asks for little (a Limit, a key range), so an
 * answer costs a few read units.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type {
  AccountSnapshot,
  ClosedPosition,
  Fill,
  FillCursor,
  OrderState,
  PositionState,
} from "../../../monitor/src/domain/types.ts";
import {
  cursorKey,
  type Item,
  itemToClosedPosition,
  itemToFill,
  itemToOrder,
  itemToPositionState,
  itemToSnapshot,
  itemToStoredCursor,
  positionKeyPrefix,
  SNAPSHOT_PREFIX,
} from "../../../monitor/src/storage/dynamodb/items.ts";
import {
  DEFAULT_TABLE_PREFIX,
  FILLS_BY_TIME_INDEX,
  type TableRole,
  tableName,
} from "../../../monitor/src/storage/dynamodb/tables.ts";
import type { CommandStore, TimeRange } from "./commandStore.ts";

/** Pages of one read at most (1 MB each): a period's fills or closed positions of a busy account fit. */
const MAX_PAGES = 20;

export interface DynamoCommandStoreOptions {
  clientConfig?: DynamoDBClientConfig;
  tablePrefix?: string;
}

export class DynamoCommandStore implements CommandStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #prefix: string;

  constructor(options: DynamoCommandStoreOptions = {}) {
    // Two attempts: a reply is wanted within seconds, and the caller's deadline bounds the whole read.
    const client = new DynamoDBClient({ maxAttempts: 2, ...options.clientConfig });
    this.#documents = DynamoDBDocumentClient.from(client);
    this.#prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  }

  async openPositions(account: string): Promise<PositionState[]> {
    const items = await this.#query({
      TableName: this.#table("positions"),
      KeyConditionExpression: "#account = :account AND begins_with(#sk, :prefix)",
      FilterExpression: "#isOpen = :open",
      ExpressionAttributeNames: { "#account": "account", "#sk": "sk", "#isOpen": "isOpen" },
      ExpressionAttributeValues: { ":account": account, ":prefix": positionKeyPrefix.current, ":open": true },
    });
    return items.map(itemToPositionState);
  }

  async closedPositions(account: string, range: TimeRange): Promise<ClosedPosition[]> {
    // Sorted by coin, then close time: the time range is a filter over the account's closed positions.
    const items = await this.#query({
      TableName: this.#table("positions"),
      KeyConditionExpression: "#account = :account AND begins_with(#sk, :prefix)",
      FilterExpression: "#closedAt BETWEEN :from AND :to",
      ExpressionAttributeNames: { "#account": "account", "#sk": "sk", "#closedAt": "closedAt" },
      ExpressionAttributeValues: {
        ":account": account,
        ":prefix": positionKeyPrefix.closed,
        ":from": range.from,
        ":to": range.to,
      },
    });
    return items
      .map(itemToClosedPosition)
      .sort((a, b) => a.closedAt - b.closedAt || compare(a.positionId, b.positionId));
  }

  async latestFills(account: string, count: number): Promise<Fill[]> {
    const items = await this.#query(
      {
        TableName: this.#table("fills"),
        IndexName: FILLS_BY_TIME_INDEX,
        KeyConditionExpression: "#account = :account",
        ExpressionAttributeNames: { "#account": "account" },
        ExpressionAttributeValues: { ":account": account },
        ScanIndexForward: false,
        Limit: count,
      },
      count,
    );
    return items.map(itemToFill).sort((a, b) => b.time - a.time || compare(b.fillId, a.fillId));
  }

  async fills(account: string, range: TimeRange): Promise<Fill[]> {
    if (range.from > range.to) return [];
    const items = await this.#query({
      TableName: this.#table("fills"),
      IndexName: FILLS_BY_TIME_INDEX,
      KeyConditionExpression: "#account = :account AND #time BETWEEN :from AND :to",
      ExpressionAttributeNames: { "#account": "account", "#time": "time" },
      ExpressionAttributeValues: { ":account": account, ":from": range.from, ":to": range.to },
    });
    return items.map(itemToFill).sort((a, b) => a.time - b.time || compare(a.fillId, b.fillId));
  }

  async openOrders(account: string): Promise<OrderState[]> {
    const items = await this.#query({
      TableName: this.#table("orders"),
      KeyConditionExpression: "#account = :account",
      FilterExpression: "#isTerminal = :terminal",
      ExpressionAttributeNames: { "#account": "account", "#isTerminal": "isTerminal" },
      ExpressionAttributeValues: { ":account": account, ":terminal": false },
    });
    return items.map(itemToOrder).sort((a, b) => a.timestamp - b.timestamp || a.oid - b.oid);
  }

  latestSnapshot(account: string): Promise<AccountSnapshot | null> {
    return this.#newestSnapshot(account, `${SNAPSHOT_PREFIX}0`, `${SNAPSHOT_PREFIX}9`);
  }

  snapshotWithin(account: string, range: TimeRange): Promise<AccountSnapshot | null> {
    if (range.from > range.to) return Promise.resolve(null);
    return this.#newestSnapshot(account, snapshotKey(range.from), snapshotKey(range.to));
  }

  async fillCursor(account: string): Promise<FillCursor | null> {
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#table("dashboard"), Key: cursorKey(account) }),
    );
    return Item ? itemToStoredCursor(Item).cursor : null;
  }

  async #newestSnapshot(account: string, low: string, high: string): Promise<AccountSnapshot | null> {
    const [item] = await this.#query(
      {
        TableName: this.#table("dashboard"),
        KeyConditionExpression: "#account = :account AND #sk BETWEEN :low AND :high",
        ExpressionAttributeNames: { "#account": "account", "#sk": "sk" },
        ExpressionAttributeValues: { ":account": account, ":low": low, ":high": high },
        ScanIndexForward: false,
        Limit: 1,
      },
      1,
    );
    return item ? itemToSnapshot(item) : null;
  }

  #table(role: TableRole): string {
    return tableName(this.#prefix, role);
  }

  /** A Query followed page by page until done, `limit` items are in hand, or MAX_PAGES. */
  async #query(input: QueryCommandInput, limit?: number): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await this.#documents.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      items.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey;
      if (!startKey || (limit !== undefined && items.length >= limit)) break;
    }
    return limit === undefined ? items : items.slice(0, limit);
  }
}

/** The snapshot sort key of a time (13 digits, as items.ts writes it). */
function snapshotKey(time: number): string {
  return `${SNAPSHOT_PREFIX}${String(Math.max(0, time)).padStart(13, "0")}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
