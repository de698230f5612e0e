/** The DynamoDB adapter against dynalite (the DynamoDB API on loopback): conformance plus what is DynamoDB's own. */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeFill } from "../../monitor/src/domain/fill.ts";
import { DynamoStore, type DynamoStoreOptions } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { createTableInput, TABLES, TTL_ATTRIBUTE } from "../../monitor/src/storage/dynamodb/tables.ts";
import {
  type EmbeddedDynamo,
  startEmbeddedDynamo,
  startInMemoryDynamo,
} from "../../monitor/src/storage/local.ts";
import { StorageError } from "../../monitor/src/storage/store.ts";
import { currentFills } from "../support/fixtures.ts";
import { describeStoreConformance } from "./conformance.ts";

const ACCOUNT = "0xabc0000000000000000000000000000000000000";
const T0 = 1_789_407_000_000;
/** Dynalite checks no signature; a distinctive secret lets tests prove it never reaches a message. */
const credentials = { accessKeyId: "AKIALOCALTESTKEY0000", secretAccessKey: "local-secret-never-logged" };

let dynamo: EmbeddedDynamo;
let prefixCounter = 0;
const freshPrefix = (tag: string) => `${tag}${process.pid}-${++prefixCounter}-`;

beforeAll(async () => {
  dynamo = await startInMemoryDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

function storeAt(endpoint: string, options: DynamoStoreOptions = {}): DynamoStore {
  return new DynamoStore({
    tablePrefix: freshPrefix("s"),
    ...options,
    clientConfig: { endpoint, region: "local", credentials, ...options.clientConfig },
  });
}

function rawClient(endpoint = dynamo.endpoint): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: "local", credentials });
}

describeStoreConformance("DynamoStore", async () => {
  const store = storeAt(dynamo.endpoint);
  return { store, cleanup: () => store.close() };
});

describe("DynamoDB tables", () => {
  it("declares the five tables, on demand, with the documented keys, index and TTL", () => {
    const inputs = TABLES.map((table) => createTableInput("hl-", table));
    expect(inputs.map((input) => input.TableName)).toEqual([
      "hl-fills",
      "hl-positions",
      "hl-dashboard",
      "hl-orders",
      "hl-cvd",
    ]);
    const keys = inputs.map((input) => [
      input.KeySchema?.map((key) => `${key.KeyType}:${key.AttributeName}`),
      input.AttributeDefinitions?.map((a) => `${a.AttributeName}:${a.AttributeType}`),
    ]);
    expect(keys).toEqual([
      [
        ["HASH:account", "RANGE:fillId"],
        ["account:S", "fillId:S", "time:N"],
      ],
      [
        ["HASH:account", "RANGE:sk"],
        ["account:S", "sk:S"],
      ],
      [
        ["HASH:account", "RANGE:sk"],
        ["account:S", "sk:S"],
      ],
      [
        ["HASH:account", "RANGE:oid"],
        ["account:S", "oid:N"],
      ],
      [
        ["HASH:coin", "RANGE:bucket"],
        ["coin:S", "bucket:N"],
      ],
    ]);
    for (const input of inputs) expect(input.BillingMode).toBe("PAY_PER_REQUEST");
    expect(inputs[0]!.LocalSecondaryIndexes).toEqual([
      {
        IndexName: "byTime",
        KeySchema: [
          { AttributeName: "account", KeyType: "HASH" },
          { AttributeName: "time", KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      },
    ]);
    expect(inputs.slice(1).every((input) => input.LocalSecondaryIndexes === undefined)).toBe(true);
    expect(TABLES.map((table) => [table.role, table.ttlAttribute])).toEqual([
      ["fills", null],
      ["positions", null],
      ["dashboard", "expiresAt"],
      ["orders", null],
      ["cvd", "expiresAt"],
    ]);
    expect(createTableInput("prod-", TABLES[4]!).TableName).toBe("prod-cvd");
  });

  it("init() creates missing tables idempotently, also when two stores race", async () => {
    const tablePrefix = freshPrefix("i");
    const first = storeAt(dynamo.endpoint, { tablePrefix, createTables: true });
    const second = storeAt(dynamo.endpoint, { tablePrefix, createTables: true });
    await Promise.all([first.init(), second.init()]);
    await first.init();
    const client = rawClient();
    for (const table of TABLES) {
      const { Table } = await client.send(
        new DescribeTableCommand({ TableName: `${tablePrefix}${table.role}` }),
      );
      expect(Table?.TableStatus).toBe("ACTIVE");
      expect(Table?.BillingModeSummary?.BillingMode ?? "PAY_PER_REQUEST").toBe("PAY_PER_REQUEST");
    }
    const { Table: fills } = await client.send(
      new DescribeTableCommand({ TableName: `${tablePrefix}fills` }),
    );
    expect(fills?.LocalSecondaryIndexes?.[0]?.IndexName).toBe("byTime");
    client.destroy();
    await first.close();
    await second.close();
  });

  it("init() names every missing table when it may not create them", async () => {
    const strict = storeAt(dynamo.endpoint, { tablePrefix: "absent-", createTables: false });
    const failure = await strict.init().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageError);
    expect((failure as StorageError).retryable).toBe(false);
    expect((failure as Error).message).toBe(
      "DynamoDB table(s) missing: absent-fills, absent-positions, absent-dashboard, absent-orders, absent-cvd. " +
        "Deploy the stack, or check TABLE_PREFIX and AWS_REGION",
    );
    await strict.close();
  });

  it("init() refuses an existing table whose key schema differs", async () => {
    const tablePrefix = freshPrefix("w");
    const client = rawClient();
    await client.send(
      new CreateTableCommand({
        TableName: `${tablePrefix}fills`,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      }),
    );
    const store = storeAt(dynamo.endpoint, { tablePrefix, createTables: true });
    await expect(store.init()).rejects.toThrow(
      `DynamoDB table ${tablePrefix}fills cannot be used: key is id/none but hl-monitor expects account (S)/fillId (S)`,
    );
    client.destroy();
    await store.close();
  });
});

describe("DynamoDB items", () => {
  let store: DynamoStore;
  let tablePrefix: string;
  let client: DynamoDBClient;
  beforeAll(async () => {
    tablePrefix = freshPrefix("d");
    store = storeAt(dynamo.endpoint, { tablePrefix, retentionDays: 7 });
    await store.init();
    client = rawClient();
  });
  afterAll(async () => {
    client.destroy();
    await store.close();
  });

  const getRaw = async (table: string, key: Record<string, { S: string } | { N: string }>) =>
    (await client.send(new GetItemCommand({ TableName: `${tablePrefix}${table}`, Key: key }))).Item;

  it("stores decimals as strings, times as numbers, lists as lists and nulls as NULL", async () => {
    const fill = normalizeFill(ACCOUNT, currentFills()[0]!);
    await store.putFills([fill]);
    const raw = await getRaw("fills", { account: { S: ACCOUNT }, fillId: { S: fill.fillId } });
    expect(raw).toMatchObject({
      account: { S: ACCOUNT },
      fillId: { S: "t:1109765720343214" },
      tid: { N: "1109765720343214" },
      time: { N: "1789407361368" },
      coin: { S: "BTC" },
      side: { S: "B" },
      px: { S: "78751.0" },
      sz: { S: "0.00535" },
      dir: { S: "Open Long" },
      closedPnl: { S: "0.0" },
      fee: { S: "-0.012639" },
      oid: { N: "544900123760" },
      hash: { S: fill.hash },
      builderFee: { NULL: true },
      liquidation: { NULL: true },
    });
    expect(raw?.[TTL_ATTRIBUTE]).toBeUndefined(); // fills are kept
  });

  it("sets expiresAt = time/1000 + retentionDays·86400 on snapshots and CVD buckets only", async () => {
    await store.putCvdBuckets([
      {
        coin: "BTC",
        bucket: T0,
        buyVolume: "1.5",
        sellVolume: "0",
        delta: "1.5",
        cvd: "1.5",
        tradeCount: 1,
        gap: false,
        lastTradeTime: T0 + 1,
        lastTids: [1, 2],
      },
    ]);
    const bucket = await getRaw("cvd", { coin: { S: "BTC" }, bucket: { N: String(T0) } });
    expect(bucket?.expiresAt).toEqual({ N: String(T0 / 1000 + 7 * 86_400) });
    expect(bucket?.lastTids).toEqual({ L: [{ N: "1" }, { N: "2" }] });

    const snapshotTime = T0 + 1_234; // not on a whole second: the TTL is rounded down
    await store.putAccountSnapshot({
      account: ACCOUNT,
      time: snapshotTime,
      accountValue: "30.1",
      totalMarginUsed: "0.0",
      totalNtlPos: "0.0",
      withdrawable: "30.1",
      totalUnrealizedPnl: "0.0",
      leverage: null,
      crossMarginRatio: null,
      healthScore: "100",
      positionsCount: 0,
      minLiquidationDistance: null,
      positions: [],
    });
    const snapshot = await getRaw("dashboard", {
      account: { S: ACCOUNT },
      sk: { S: `SNAP#${snapshotTime}` },
    });
    expect(snapshot?.expiresAt).toEqual({ N: String(Math.floor(snapshotTime / 1000) + 7 * 86_400) });
    expect(snapshot?.positions).toEqual({ L: [] });

    await store.setFillCursor({ account: ACCOUNT, time: T0, fillIds: ["t:1"], updatedAt: T0 });
    const cursor = await getRaw("dashboard", { account: { S: ACCOUNT }, sk: { S: "CURSOR#fills" } });
    expect(cursor?.fillIds).toEqual({ L: [{ S: "t:1" }] });
    expect(cursor?.[TTL_ATTRIBUTE]).toBeUndefined(); // the cursor must outlive any retention
  });

  it("keys closed positions as HIST#<coin>#<closedAt>#<positionId> and orders with a version", async () => {
    await store.savePositions(
      [],
      [
        {
          account: ACCOUNT,
          coin: "BTC",
          positionId: `BTC#${T0}#t:1`,
          side: "long",
          maxSize: "0.001",
          closedSize: "0.001",
          entryPx: "78751.0",
          exitPx: "78800.0",
          openedAt: T0,
          closedAt: T0 + 60_000,
          durationMs: 60_000,
          fees: "0.0",
          closedPnl: "0.049",
          realizedPnl: "0.049",
          fillCount: 2,
          liquidated: false,
          partialHistory: false,
        },
      ],
    );
    const { Items } = await client.send(
      new QueryCommand({
        TableName: `${tablePrefix}positions`,
        KeyConditionExpression: "account = :a",
        ExpressionAttributeValues: { ":a": { S: ACCOUNT } },
      }),
    );
    expect(Items?.[0]).toMatchObject({
      sk: { S: `HIST#BTC#${T0 + 60_000}#BTC#${T0}#t:1` },
      account: { S: ACCOUNT },
      coin: { S: "BTC" },
      isOpen: { BOOL: false },
      realizedPnl: { S: "0.049" },
    });

    await store.putOrders([
      {
        account: ACCOUNT,
        oid: 42,
        coin: "BTC",
        side: "B",
        limitPx: "1.0",
        sz: "0.0",
        origSz: "1.0",
        status: "filled",
        statusTimestamp: 1_000,
        timestamp: 900,
        cloid: null,
        isTerminal: true,
      },
    ]);
    const order = await getRaw("orders", { account: { S: ACCOUNT }, oid: { N: "42" } });
    expect(order?.version).toEqual({ N: "2001" });
  });
});

describe("DynamoDB errors", () => {
  it("reports a validation error as a non-retryable StorageError", async () => {
    const store = storeAt(dynamo.endpoint);
    await store.init();
    const bad = { ...normalizeFill(ACCOUNT, currentFills()[0]!), fillId: "" };
    const failure = await store.putFills([bad]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageError);
    expect((failure as StorageError).retryable).toBe(false);
    expect((failure as Error).message).toMatch(
      /^DynamoDB BatchWriteItem s\S+fills failed \(ValidationException, HTTP 400\): /,
    );
    expect((failure as Error).message).not.toContain(credentials.secretAccessKey);
    await store.close();
  });

  it("reports an unreachable server as a retryable StorageError without credentials", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const store = storeAt(`http://127.0.0.1:${port}`, { clientConfig: { maxAttempts: 1 } });
    const failure = await store.listFills(ACCOUNT).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageError);
    expect((failure as StorageError).retryable).toBe(true);
    expect((failure as Error).message).toContain("ECONNREFUSED");
    expect((failure as Error).message).not.toContain(credentials.secretAccessKey);
    expect((failure as Error).message).not.toContain(credentials.accessKeyId);
    await store.close();
  });
});

describe("embedded store", () => {
  it("keeps data on disk across a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hl-local-"));
    const dataDir = join(dir, "nested", "data"); // created on demand
    try {
      const first = await startEmbeddedDynamo({ dataDir });
      const writer = storeAt(first.endpoint, { tablePrefix: "hl-" });
      await writer.init();
      const fills = currentFills().map((wire) => normalizeFill(ACCOUNT, wire));
      await writer.putFills(fills);
      await writer.setFillCursor({ account: ACCOUNT, time: T0, fillIds: ["t:1"], updatedAt: T0 });
      await writer.close();
      await first.close();
      await first.close(); // idempotent

      const second = await startEmbeddedDynamo({ dataDir });
      expect(second.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const reader = storeAt(second.endpoint, { tablePrefix: "hl-" });
      await reader.init(); // tables exist: nothing to create
      expect(await reader.listFills(ACCOUNT)).toStrictEqual([...fills].sort((a, b) => a.time - b.time));
      expect((await reader.getFillCursor(ACCOUNT))?.time).toBe(T0);
      await reader.close();
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
