/**
 * DynamoDB under load and outage: DynamoStore (with RetryingStore on top, as the monitor runs it) behind
 * a loopback proxy that injects DynamoDB's real throttling error, 500s, connection resets and partial
 * batches in front of dynalite. Every wait is bounded.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { normalizeFill } from "../../monitor/src/domain/fill.ts";
import type { CvdBucket, Fill } from "../../monitor/src/domain/types.ts";
import { DynamoStore, type DynamoStoreOptions } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { type EmbeddedDynamo, startInMemoryDynamo } from "../../monitor/src/storage/local.ts";
import {
  RetryingStore,
  type RetryingStoreOptions,
  type WriteKind,
} from "../../monitor/src/storage/retryingStore.ts";
import { StorageError } from "../../monitor/src/storage/store.ts";
import { DynamoFaultProxy } from "../support/dynamoFaultProxy.ts";
import { generatedFills } from "../support/fixtures.ts";

const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const T0 = 1_789_407_000_000;
const SECRET = "fault-test-secret-never-logged";

let dynamo: EmbeddedDynamo;
let proxy: DynamoFaultProxy;
let proxyEndpoint: string;
let prefixCounter = 0;
const openStores: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  dynamo = await startInMemoryDynamo();
  proxy = new DynamoFaultProxy(dynamo.endpoint);
  proxyEndpoint = await proxy.start();
});
afterEach(async () => {
  proxy.heal();
  for (const store of openStores.splice(0)) await store.close();
});
afterAll(async () => {
  await proxy.stop();
  await dynamo.close();
});

/** A DynamoStore through the proxy, tables created, with quick retries so that tests stay short. */
async function proxiedStore(
  options: DynamoStoreOptions & { sdkAttempts?: number; retryMode?: "standard" | "adaptive" } = {},
): Promise<DynamoStore> {
  const store = new DynamoStore({
    tablePrefix: `f${process.pid}-${++prefixCounter}-`,
    createTables: true,
    batchRetry: { attempts: 8, baseDelayMs: 5, maxDelayMs: 40 },
    ...options,
    clientConfig: {
      endpoint: proxyEndpoint,
      region: "local",
      credentials: { accessKeyId: "local", secretAccessKey: SECRET },
      // The SDK's own retries are kept short; RetryingStore is what rides out an outage.
      maxAttempts: options.sdkAttempts ?? 1,
      // Adaptive mode (the production default) also rate-limits the client after throttling, which makes
      // a test slow without changing what it shows; tests about that interplay ask for it.
      retryMode: options.retryMode ?? "standard",
    },
  });
  await store.init();
  return store;
}

interface Recorded {
  retries: number;
  recovered: number;
  dropped: { kind: WriteKind; items: number }[];
}

function retrying(
  inner: DynamoStore,
  options: RetryingStoreOptions = {},
): { store: RetryingStore; seen: Recorded } {
  const seen: Recorded = { retries: 0, recovered: 0, dropped: [] };
  const store = new RetryingStore(inner, {
    baseDelayMs: 10,
    maxDelayMs: 100,
    onRetry: () => {
      seen.retries += 1;
    },
    onRecovered: () => {
      seen.recovered += 1;
    },
    onDropped: (kind, items) => seen.dropped.push({ kind, items }),
    ...options,
  });
  openStores.push(store);
  return { store, seen };
}

const fillsOf = (count: number, firstTid = 1_000_000): Fill[] =>
  generatedFills(count, T0, firstTid).map((wire) => normalizeFill(ACCOUNT, wire));

describe("DynamoStore under DynamoDB faults", () => {
  it("retries BatchWriteItem UnprocessedItems until every item of every batch is written", async () => {
    const store = await proxiedStore();
    openStores.push(store);
    const fills = fillsOf(100);
    proxy.partialBatches = 12;
    await store.putFills(fills);
    expect(proxy.partialBatches).toBe(0);
    expect(proxy.unprocessedServed).toBeGreaterThan(100); // items sent back, some more than once
    const stored = await store.listFills(ACCOUNT);
    expect(stored).toStrictEqual(fills);
  });

  it("gives up on UnprocessedItems after its attempts with a retryable StorageError", async () => {
    const store = await proxiedStore({ batchRetry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
    openStores.push(store);
    proxy.partialBatches = 1_000;
    const failure = await store.putFills(fillsOf(25)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageError);
    expect((failure as StorageError).retryable).toBe(true);
    expect((failure as Error).message).toMatch(/22 of 25 item\(s\) still unprocessed after 3 attempts$/);
  });

  it.each([
    ["throttle", "ProvisionedThroughputExceededException, HTTP 400"],
    ["internal", "InternalServerError, HTTP 500"],
    ["reset", "ECONNRESET"],
  ] as const)("classifies %s as a retryable StorageError, without credentials", async (fault, shown) => {
    const store = await proxiedStore();
    openStores.push(store);
    proxy.failNext(fault, 1);
    const failure = await store.putFills(fillsOf(3)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageError);
    expect((failure as StorageError).retryable).toBe(true);
    expect((failure as Error).message).toContain(shown);
    expect((failure as Error).message).not.toContain(SECRET);
    expect(proxy.faultsServed).toBeGreaterThan(0);
  });

  it("rides out throttling within the SDK's own retries", async () => {
    const store = await proxiedStore({ sdkAttempts: 4 });
    openStores.push(store);
    proxy.failNext("throttle", 2, { operation: "BatchWriteItem" });
    await store.putFills(fillsOf(10));
    expect(await store.listFills(ACCOUNT)).toHaveLength(10);
  });
});

describe("RetryingStore over DynamoStore during an outage", () => {
  it("stores every one of 3,000 fills exactly once after throttling, 500s and resets", async () => {
    // The production client configuration: adaptive retries, which also slow the client while throttled.
    const inner = await proxiedStore({ retryMode: "adaptive", sdkAttempts: 2 });
    const { store, seen } = retrying(inner);
    const fills = fillsOf(3_000);
    const faultsBefore = proxy.faultsServed;

    // 1.2 s of throttling, then 1 s of 500s, then a burst of connection resets; writes keep arriving.
    proxy.failFor("throttle", 1_200);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 1_500; i += 100) writes.push(store.putFills(fills.slice(i, i + 100)));
    await sleep(1_200);
    proxy.failFor("internal", 1_000);
    for (let i = 1_500; i < 3_000; i += 100) writes.push(store.putFills(fills.slice(i, i + 100)));
    await sleep(1_000);
    proxy.failNext("reset", 20);
    await Promise.all(writes);

    expect(proxy.faultsServed - faultsBefore).toBeGreaterThan(20);
    expect(seen.retries).toBeGreaterThan(0);
    expect(seen.recovered).toBeGreaterThanOrEqual(1);
    expect(seen.dropped).toEqual([]);
    expect(store.pendingItems).toBe(0);
    const stored = await store.listFills(ACCOUNT);
    expect(stored).toHaveLength(3_000);
    expect(new Set(stored.map((fill) => fill.fillId)).size).toBe(3_000);
    expect(stored).toStrictEqual(fills);
  });

  it("keeps last-write-wins upserts in order while retrying (an older CVD write never lands last)", async () => {
    const inner = await proxiedStore();
    const { store } = retrying(inner, { baseDelayMs: 50, maxDelayMs: 50 });
    proxy.failNext("internal", 1, { operation: "BatchWriteItem" });
    const older = store.putCvdBuckets([cvdBucket("0.1", 1)]); // fails once, then retried
    const newer = store.putCvdBuckets([cvdBucket("0.2", 2)]); // must land after it
    await Promise.all([older, newer]);
    expect(await store.listCvdBuckets("BTC")).toStrictEqual([cvdBucket("0.2", 2)]);
  });

  it("refuses and reports writes past the pending bound, keeps the rest, and frees the bound after", async () => {
    const inner = await proxiedStore();
    const { store, seen } = retrying(inner, { maxPendingItems: 100 });
    const fills = fillsOf(200);
    proxy.fault = "throttle";
    const first = store.putFills(fills.slice(0, 80));
    const refused = await store.putFills(fills.slice(80, 150)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StorageError);
    expect((refused as StorageError).retryable).toBe(false);
    expect((refused as Error).message).toBe(
      "pending-write bound of 100 items reached; 70 fills item(s) refused",
    );
    expect(seen.dropped).toEqual([{ kind: "fills", items: 70 }]);
    expect(store.pendingItems).toBe(80);
    // A write that still fits is accepted.
    const fits = store.putFills(fills.slice(150, 170));
    expect(store.pendingItems).toBe(100);

    await sleep(300);
    proxy.fault = null;
    await Promise.all([first, fits]);
    expect(store.pendingItems).toBe(0);
    expect(seen.recovered).toBe(1);
    const stored = await store.listFills(ACCOUNT);
    expect(stored.map((fill) => fill.fillId)).toEqual(
      [...fills.slice(0, 80), ...fills.slice(150, 170)].map((fill) => fill.fillId),
    );
    // The refused fills are written by a later call (the next backfill), now that the bound is free.
    await store.putFills(fills.slice(80, 150));
    expect(await store.listFills(ACCOUNT)).toHaveLength(170);
  });

  it("takes a single write larger than the bound when nothing else waits", async () => {
    const inner = await proxiedStore();
    const { store, seen } = retrying(inner, { maxPendingItems: 10 });
    await store.putFills(fillsOf(30));
    expect(seen.dropped).toEqual([]);
    expect(await store.listFills(ACCOUNT)).toHaveLength(30);
  });

  it("flush() waits for pending writes, and reports a timeout while storage is still down", async () => {
    const inner = await proxiedStore();
    const { store } = retrying(inner);
    const fills = fillsOf(500);
    proxy.failFor("internal", 800);
    const started = Date.now();
    const writes = [store.putFills(fills.slice(0, 250)), store.putFills(fills.slice(250))];
    expect(await store.flush(100)).toBe(false); // storage still failing: not flushed yet
    expect(store.pendingItems).toBe(500);
    expect(await store.flush(10_000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(790);
    expect(store.pendingItems).toBe(0);
    // Everything flush waited for is readable at once, and the callers were told it is stored.
    expect(await inner.listFills(ACCOUNT)).toHaveLength(500);
    await expect(Promise.all(writes)).resolves.toBeDefined();
  });

  it("close() flushes what it can, then rejects writes still failing (never acknowledging them)", async () => {
    const inner = await proxiedStore();
    const { store } = retrying(inner);
    proxy.fault = "internal";
    const stuck = store.putFills(fillsOf(10)).catch((error: unknown) => error);
    const started = Date.now();
    await store.close(300);
    expect(Date.now() - started).toBeLessThan(3_000);
    const failure = await stuck;
    expect(failure).toBeInstanceOf(StorageError);
    expect((failure as Error).message).toBe("store closed before the write was stored");
    await expect(store.putFills(fillsOf(1))).rejects.toThrow("store is closed; fills not written");
  });

  it("rejects a non-retryable error at once instead of retrying it", async () => {
    const inner = await proxiedStore();
    const { store, seen } = retrying(inner);
    const invalid = { ...fillsOf(1)[0]!, fillId: "" }; // an empty key: ValidationException
    const failure = await store.putFills([invalid]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageError);
    expect((failure as StorageError).retryable).toBe(false);
    expect((failure as Error).message).toContain("ValidationException");
    expect(seen.retries).toBe(0);
    expect(store.pendingItems).toBe(0);
  });

  it("retries reads a few times, then lets the error through", async () => {
    const inner = await proxiedStore();
    const { store } = retrying(inner, { readAttempts: 3 });
    await store.putFills(fillsOf(5));
    proxy.failNext("throttle", 2, { operation: "Query" });
    expect(await store.listFills(ACCOUNT)).toHaveLength(5);
    proxy.failNext("throttle", 3, { operation: "Query" });
    await expect(store.listFills(ACCOUNT)).rejects.toThrow("ProvisionedThroughputExceededException");
  });
});

function cvdBucket(cvd: string, tradeCount: number): CvdBucket {
  return {
    coin: "BTC",
    bucket: T0,
    buyVolume: cvd,
    sellVolume: "0",
    delta: cvd,
    cvd,
    tradeCount,
    gap: false,
    lastTradeTime: T0 + tradeCount,
    lastTids: [tradeCount],
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
