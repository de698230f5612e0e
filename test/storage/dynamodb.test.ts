/** The DynamoDB adapter against dynalite (the DynamoDB API on loopback): conformance plus what is DynamoDB's own. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeTableCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeFill } from "../../monitor/src/domain/fill.ts";
import { DynamoStore } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { createTableInput, TABLES } from "../../monitor/src/storage/dynamodb/tables.ts";
import { type EmbeddedDynamo, startEmbeddedDynamo } from "../../monitor/src/storage/local.ts";
import { currentFills } from "../support/fixtures.ts";
import { describeStoreConformance } from "./conformance.ts";

let dynamo: EmbeddedDynamo;
let counter = 0;
const credentials = { accessKeyId: "local", secretAccessKey: "local" };
beforeAll(async () => {
  dynamo = await startEmbeddedDynamo({ dataDir: null });
});
afterAll(async () => {
  await dynamo.close();
});

function storeFor(endpoint: string, tablePrefix: string) {
  return new DynamoStore({
    clientConfig: { endpoint, region: "local", credentials },
    tablePrefix,
    createTables: true,
  });
}

describeStoreConformance("DynamoStore", async () => {
  const store = storeFor(dynamo.endpoint, `c${++counter}-`);
  return { store, cleanup: () => store.close() };
});

describe("DynamoStore specifics", () => {
  it("declares the five tables on demand with the documented keys", () => {
    const inputs = TABLES.map((table) => createTableInput("hl-", table));
    expect(inputs.map((i) => i.TableName)).toEqual([
      "hl-fills",
      "hl-positions",
      "hl-dashboard",
      "hl-orders",
      "hl-cvd",
    ]);
    for (const input of inputs) expect(input.BillingMode).toBe("PAY_PER_REQUEST");
    expect(inputs[0]!.KeySchema).toEqual([
      { AttributeName: "account", KeyType: "HASH" },
      { AttributeName: "fillId", KeyType: "RANGE" },
    ]);
    expect(inputs[4]!.KeySchema).toEqual([
      { AttributeName: "coin", KeyType: "HASH" },
      { AttributeName: "bucket", KeyType: "RANGE" },
    ]);
    expect(TABLES.filter((t) => t.ttl).map((t) => t.role)).toEqual(["dashboard", "cvd"]);
  });

  it("creates missing tables idempotently, and refuses to start without them when it may not create", async () => {
    const prefix = `i${++counter}-`;
    const store = storeFor(dynamo.endpoint, prefix);
    await store.init();
    await store.init();
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: "local", credentials });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: `${prefix}fills` }));
    expect(Table?.LocalSecondaryIndexes?.[0]?.IndexName).toBe("byTime");
    const strict = new DynamoStore({
      clientConfig: { endpoint: dynamo.endpoint, region: "local", credentials },
      tablePrefix: "absent-",
    });
    await expect(strict.init()).rejects.toThrow(
      "table absent-fills does not exist: deploy the stack, or check TABLE_PREFIX and AWS_REGION",
    );
    client.destroy();
    await store.close();
    await strict.close();
  });

  it("stores decimals as strings and sets the TTL attribute from the retention", async () => {
    const prefix = `d${++counter}-`;
    const store = new DynamoStore({
      clientConfig: { endpoint: dynamo.endpoint, region: "local", credentials },
      tablePrefix: prefix,
      createTables: true,
      retentionDays: 7,
    });
    await store.init();
    const fill = normalizeFill("0xabc0000000000000000000000000000000000000", currentFills()[0]!);
    await store.putFills([fill]);
    await store.putCvdBuckets([
      {
        coin: "BTC",
        bucket: 1_789_407_000_000,
        buyVolume: "1.5",
        sellVolume: "0",
        delta: "1.5",
        cvd: "1.5",
        tradeCount: 1,
        gap: false,
        lastTradeTime: 1_789_407_000_001,
        lastTids: [1],
      },
    ]);
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: "local", credentials });
    const raw = await client.send(
      new GetItemCommand({
        TableName: `${prefix}fills`,
        Key: { account: { S: fill.account }, fillId: { S: fill.fillId } },
      }),
    );
    expect(raw.Item?.px).toEqual({ S: "78751.0" });
    expect(raw.Item?.fee).toEqual({ S: "-0.012639" });
    const bucket = await client.send(
      new GetItemCommand({
        TableName: `${prefix}cvd`,
        Key: { coin: { S: "BTC" }, bucket: { N: "1789407000000" } },
      }),
    );
    expect(bucket.Item?.expiresAt).toEqual({ N: String(1_789_407_000 + 7 * 86_400) });
    client.destroy();
    await store.close();
  });

  it("keeps data on disk across a restart of the embedded store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hl-local-"));
    try {
      const first = await startEmbeddedDynamo({ dataDir: dir });
      const writer = storeFor(first.endpoint, "hl-");
      await writer.init();
      await writer.putFills(
        currentFills().map((w) => normalizeFill("0xabc0000000000000000000000000000000000000", w)),
      );
      await writer.close();
      await first.close();
      const second = await startEmbeddedDynamo({ dataDir: dir });
      const reader = storeFor(second.endpoint, "hl-");
      await reader.init();
      expect(await reader.listFills("0xabc0000000000000000000000000000000000000")).toHaveLength(2);
      await reader.close();
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
