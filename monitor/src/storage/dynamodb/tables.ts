/**
 * The five DynamoDB tables, as data: the monitor creates them from this when it talks to a
 * DynamoDB-compatible server, and the CDK stack declares the same keys in AWS.
 *
 * Key design (all on-demand; decimals are stored as strings, times as numbers):
 * | table        | partition key  | sort key        | items |
 * |--------------|----------------|-----------------|-------|
 * | `hl-fills`     | `account` (S)  | `fillId` (S)    | one per fill; `fillId` = `t:<tid>`, or `c:<digest>` for fills without a tid. LSI `byTime` (account, `time` N) for time ranges. |
 * | `hl-positions` | `account` (S)  | `sk` (S)        | `CUR#<coin>`: the current state per coin (open or flat, with the dedup watermark); `HIST#<coin>#<closedAt 13 digits>#<positionId>`: one per closed position. |
 * | `hl-dashboard` | `account` (S)  | `sk` (S)        | `SNAP#<time 13 digits>`: account snapshots (TTL); `CURSOR#fills`: the fill backfill cursor. |
 * | `hl-orders`    | `account` (S)  | `oid` (N)       | latest state per order; `version` = statusTimestamp·2 + (final ? 1 : 0) guards updates. |
 * | `hl-cvd`       | `coin` (S)     | `bucket` (N)    | one per coin-minute; carries the dedup watermark (`lastTradeTime`, `lastTids`) (TTL). |
 * TTL attribute: `expiresAt` (epoch seconds) on dashboard snapshots and CVD buckets.
 */
import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

export const TTL_ATTRIBUTE = "expiresAt";

export type TableRole = "fills" | "positions" | "dashboard" | "orders" | "cvd";

export interface TableDefinition {
  role: TableRole;
  partitionKey: { name: string; type: "S" | "N" };
  sortKey: { name: string; type: "S" | "N" };
  localIndexes: { name: string; sortKey: { name: string; type: "S" | "N" } }[];
  ttl: boolean;
}

export const TABLES: readonly TableDefinition[] = [
  {
    role: "fills",
    partitionKey: { name: "account", type: "S" },
    sortKey: { name: "fillId", type: "S" },
    localIndexes: [{ name: "byTime", sortKey: { name: "time", type: "N" } }],
    ttl: false,
  },
  {
    role: "positions",
    partitionKey: { name: "account", type: "S" },
    sortKey: { name: "sk", type: "S" },
    localIndexes: [],
    ttl: false,
  },
  {
    role: "dashboard",
    partitionKey: { name: "account", type: "S" },
    sortKey: { name: "sk", type: "S" },
    localIndexes: [],
    ttl: true,
  },
  {
    role: "orders",
    partitionKey: { name: "account", type: "S" },
    sortKey: { name: "oid", type: "N" },
    localIndexes: [],
    ttl: false,
  },
  {
    role: "cvd",
    partitionKey: { name: "coin", type: "S" },
    sortKey: { name: "bucket", type: "N" },
    localIndexes: [],
    ttl: true,
  },
];

export function tableName(prefix: string, role: TableRole): string {
  return `${prefix}${role}`;
}

export function createTableInput(prefix: string, table: TableDefinition): CreateTableCommandInput {
  const attributes = new Map<string, "S" | "N">([
    [table.partitionKey.name, table.partitionKey.type],
    [table.sortKey.name, table.sortKey.type],
    ...table.localIndexes.map((index) => [index.sortKey.name, index.sortKey.type] as [string, "S" | "N"]),
  ]);
  return {
    TableName: tableName(prefix, table.role),
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
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
