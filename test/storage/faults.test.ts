/** DynamoDB under load and outage, through a loopback proxy in front of dynalite that injects the faults. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeFill } from "../../monitor/src/domain/fill.ts";
import { DynamoStore } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { type EmbeddedDynamo, startEmbeddedDynamo } from "../../monitor/src/storage/local.ts";
import { RetryingStore } from "../../monitor/src/storage/retryingStore.ts";
import { DynamoFaultProxy } from "../support/dynamoFaultProxy.ts";
import { generatedFills } from "../support/fixtures.ts";

const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
let dynamo: EmbeddedDynamo;
let proxy: DynamoFaultProxy;
let endpoint: string;
let counter = 0;
beforeAll(async () => {
  dynamo = await startEmbeddedDynamo({ dataDir: null });
  proxy = new DynamoFaultProxy(dynamo.endpoint);
  endpoint = await proxy.start();
});
afterAll(async () => {
  await proxy.stop();
  await dynamo.close();
});

function store(maxAttempts = 2) {
  return new DynamoStore({
    clientConfig: {
      endpoint,
      region: "local",
      credentials: { accessKeyId: "l", secretAccessKey: "l" },
      maxAttempts,
    },
    tablePrefix: `f${++counter}-`,
    createTables: true,
  });
}

describe("DynamoDB faults", () => {
  it("retries UnprocessedItems until every item of every batch is written", async () => {
    const dynamoStore = store();
    await dynamoStore.init();
    const fills = generatedFills(100, 1_789_407_000_000).map((w) => normalizeFill(ACCOUNT, w));
    proxy.partialBatches = 6;
    await dynamoStore.putFills(fills);
    expect(proxy.partialBatches).toBe(0);
    expect(await dynamoStore.listFills(ACCOUNT)).toHaveLength(100);
    await dynamoStore.close();
  });

  it("keeps writes while storage is down, refuses and reports past the pending bound, flushes after", async () => {
    const dropped: number[] = [];
    let recovered = 0;
    const inner = store(1);
    await inner.init();
    const retrying = new RetryingStore(inner, {
      maxPendingItems: 100,
      baseDelayMs: 10,
      maxDelayMs: 50,
      onDropped: (_kind, items) => dropped.push(items),
      onRecovered: () => {
        recovered += 1;
      },
    });
    const fills = generatedFills(150, 1_789_407_000_000).map((w) => normalizeFill(ACCOUNT, w));
    proxy.fault = "throttle";
    const first = retrying.putFills(fills.slice(0, 80));
    await expect(retrying.putFills(fills.slice(80, 150))).rejects.toThrow(
      "pending-write bound of 100 items reached",
    );
    expect(dropped).toEqual([70]);
    expect(retrying.pendingItems).toBe(80);
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxy.fault = null;
    await first;
    expect(await retrying.flush(5_000)).toBe(true);
    expect(retrying.pendingItems).toBe(0);
    expect(recovered).toBe(1);
    expect(await inner.listFills(ACCOUNT)).toHaveLength(80);
    await retrying.close();
  });
});
