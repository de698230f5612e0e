/**
 * The five DynamoDB tables, as data: the monitor creates them from this when it talks to a
 * DynamoDB-compatible server (local mode, tests), checks AWS tables against it, and the CDK stack can
 * declare the very same keys from it.
 *
 * Key design (all tables on-demand; decimals are stored as strings, never numbers; times are epoch ms
 * numbers; TTL attribute `expiresAt` in epoch seconds = time/1000 + RETENTION_DAYS·86400):
 *
 * | table          | partition key | sort key     | items                                                        |
 * |----------------|---------------|--------------|--------------------------------------------------------------|
 * | `hl-fills`     | `account` (S) | `fillId` (S) | one per fill, every Fill field; `fillId` = `t:<tid>`, or `c:<digest>` for fills without a tid. LSI `byTime` (`account`, `time` N, all attributes) for time ranges. |
 * | `hl-positions` | `account` (S) | `sk` (S)     | `CUR#<coin>`: current PositionState per coin, open or flat (`isOpen`), with its dedup watermark; `HIST#<coin>#<closedAt, 13 digits>#<positionId>`: one per ClosedPosition (`isOpen: false`, `realizedPnl`, …), written once. |
 * | `hl-dashboard` | `account` (S) | `sk` (S)     | `SNAP#<time, 13 digits>`: account snapshots (TTL); `CURSOR#fills`: the fill backfill cursor (no TTL; `revision` guards merges); `ALERT#<key>`: alert claims, the outbox that sends each alert once (TTL; account `_monitor` for alerts about the monitor). |
 * | `hl-orders`    | `account` (S) | `oid` (N)    | latest state per order; `version` = statusTimestamp·2 + (terminal ? 1 : 0), so one condition (`version` absent or lower) lets the newest state win and a terminal status win a tie. |
 * | `hl-cvd`       | `coin` (S)    | `bucket` (N) | one per coin-minute (`bucket` = minute start, ms) with the dedup watermark (`lastTradeTime`, `lastTids`) (TTL). |
 *
 * Every read is a Query on one partition (strongly consistent); nothing scans a table.
 */
import type { CreateTableCommandInput, TableDescription } from "@aws-sdk/client-dynamodb";

export const DEFAULT_TABLE_PREFIX = "hl-";
export const TTL_ATTRIBUTE = "expiresAt";
/** Local secondary index of the fills table, sorted by fill time. */
export const FILLS_BY_TIME_INDEX = "byTime";

export type TableRole = "fills" | "positions" | "dashboard" | "orders" | "cvd";
export type KeyAttributeType = "S" | "N";

export interface KeyAttribute {
  name: string;
  type: KeyAttributeType;
}

export interface TableDefinition {
  role: TableRole;
  partitionKey: KeyAttribute;
  sortKey: KeyAttribute;
  /** Local secondary indexes: same partition key, another sort key, all attributes projected. */
  localIndexes: readonly { name: string; sortKey: KeyAttribute }[];
  /** The TTL attribute (epoch seconds), or null when items never expire. */
  ttlAttribute: string | null;
}

export const TABLES: readonly TableDefinition[] = [
  {
    role: "fills",
    partitionKey: { name: "account", type: "S" },
    sortKey: { name: "fillId", type: "S" },
    localIndexes: [{ name: FILLS_BY_TIME_INDEX, sortKey: { name: "time", type: "N" } }],
    ttlAttribute: null,
  },
  {
    role: "positions",
    partitionKey: { name: "account", type: "S" },
    sortKey: { name: "sk", type: "S" },
    localIndexes: [],
    ttlAttribute: null,
  },
  {
    role: "dashboard",
    partitionKey: { name: "account", type: "S" },
    sortKey: { name: "sk", type: "S" },
    localIndexes: [],
    ttlAttribute: TTL_ATTRIBUTE,
  },
  {
    role: "orders",
    partitionKey: { name: "account", type: "S" },
    sortKey: { name: "oid", type: "N" },
    localIndexes: [],
    ttlAttribute: null,
  },
  {
    role: "cvd",
    partitionKey: { name: "coin", type: "S" },
    sortKey: { name: "bucket", type: "N" },
    localIndexes: [],
    ttlAttribute: TTL_ATTRIBUTE,
  },
];

export function tableName(prefix: string, role: TableRole): string {
  return `${prefix}${role}`;
}

/** The CreateTable request for one table: on-demand billing, the key schema and its local indexes. */
export function createTableInput(prefix: string, table: TableDefinition): CreateTableCommandInput {
  // Every key attribute is declared once, whether it keys the table or an index.
  const keyAttributes = new Map<string, KeyAttributeType>();
  for (const key of [
    table.partitionKey,
    table.sortKey,
    ...table.localIndexes.map((index) => index.sortKey),
  ]) {
    keyAttributes.set(key.name, key.type);
  }
  return {
    TableName: tableName(prefix, table.role),
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [...keyAttributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: [
      { AttributeName: table.partitionKey.name, KeyType: "HASH" },
      { AttributeName: table.sortKey.name, KeyType: "RANGE" },
    ],
    ...(table.localIndexes.length > 0
      ? {
          LocalSecondaryIndexes: table.localIndexes.map((index) => ({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: table.partitionKey.name, KeyType: "HASH" as const },
              { AttributeName: index.sortKey.name, KeyType: "RANGE" as const },
            ],
            Projection: { ProjectionType: "ALL" as const },
          })),
        }
      : {}),
  };
}

/**
 * Why an existing table cannot serve as `table` (keys or indexes differ), or null when it can. Catches a
 * TABLE_PREFIX that points at somebody else's tables before the first write fails on a key error.
 */
export function schemaMismatch(table: TableDefinition, description: TableDescription): string | null {
  const typeOf = (name: string) =>
    description.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType;
  const keyOf = (schema: TableDescription["KeySchema"], keyType: "HASH" | "RANGE") =>
    schema?.find((k) => k.KeyType === keyType)?.AttributeName;
  const describeKey = (key: KeyAttribute) => `${key.name} (${key.type})`;

  const hash = keyOf(description.KeySchema, "HASH");
  const range = keyOf(description.KeySchema, "RANGE");
  if (
    hash !== table.partitionKey.name ||
    typeOf(hash) !== table.partitionKey.type ||
    range !== table.sortKey.name ||
    typeOf(range) !== table.sortKey.type
  ) {
    return (
      `key is ${hash ?? "?"}/${range ?? "none"} but hl-monitor expects ` +
      `${describeKey(table.partitionKey)}/${describeKey(table.sortKey)}`
    );
  }
  for (const index of table.localIndexes) {
    const found = description.LocalSecondaryIndexes?.find((i) => i.IndexName === index.name);
    if (!found || keyOf(found.KeySchema, "RANGE") !== index.sortKey.name) {
      return `local index ${index.name} on ${describeKey(index.sortKey)} is missing`;
    }
  }
  return null;
}
