/**
 * A monitor wired to real servers on loopback: the Hyperliquid stand-in (WebSocket + /info) and dynalite
 * (the DynamoDB API), with fast keep-alive and reconnect settings so fault tests finish in seconds.
 */
import { loadConfig, type MonitorConfig } from "../../monitor/src/config/config.ts";
import { ConnectionGate } from "../../monitor/src/runtime/connectionGate.ts";
import { Monitor, type MonitorOptions } from "../../monitor/src/runtime/monitor.ts";
import { HyperliquidStandIn, type StandInOptions } from "../../monitor/src/standin/server.ts";
import { DynamoStore } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { type EmbeddedDynamo, startEmbeddedDynamo } from "../../monitor/src/storage/local.ts";
import { RetryingStore, type RetryingStoreOptions } from "../../monitor/src/storage/retryingStore.ts";
import type { MonitorStore } from "../../monitor/src/storage/store.ts";
import { createLogger, silentLogger } from "../../monitor/src/telemetry/logger.ts";
import { Metrics } from "../../monitor/src/telemetry/metrics.ts";

/**
 * The stand-in's new-connections-per-IP window and the monitor's gate window in tests: Hyperliquid's
 * limits (30 new connections per minute) on a 2-second clock, so reconnect-heavy tests stay fast.
 */
export const TEST_CONNECTION_WINDOW_MS = 2_000;

export const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"; // the public test address of the real ack sample

let prefixCounter = 0;

export interface Harness {
  standIn: HyperliquidStandIn;
  dynamo: EmbeddedDynamo;
  urls: { wsUrl: string; apiUrl: string };
  tablePrefix: string;
  config: MonitorConfig;
  /** A store on the same tables, for assertions (not the monitor's own). */
  reader: DynamoStore;
  /**
   * A monitor's store on the same tables reached through `endpoint` (a fault proxy), with few SDK
   * attempts (default 1) so that RetryingStore is what rides out the faults, retrying fast.
   */
  storeVia(
    endpoint: string,
    options?: { sdkAttempts?: number; retrying?: RetryingStoreOptions },
  ): RetryingStore;
  startMonitor(options?: {
    store?: MonitorStore;
    env?: Record<string, string>;
    restBudget?: { capacity: number; periodMs: number };
    monitorOptions?: Partial<MonitorOptions>;
  }): Promise<RunningMonitor>;
  close(): Promise<void>;
}

export interface RunningMonitor {
  monitor: Monitor;
  metrics: Metrics;
  store: MonitorStore;
  stop(): Promise<void>;
}

export async function startHarness(
  options: { standIn?: StandInOptions; env?: Record<string, string>; dynamo?: EmbeddedDynamo } = {},
): Promise<Harness> {
  // State re-pushed every 250 ms (the real ~4 s, scaled like the keep-alive): readiness needs data
  // younger than readyMaxFrameAgeMs (1 s here).
  const standIn = new HyperliquidStandIn({
    statePushIntervalMs: 250,
    newConnectionWindowMs: TEST_CONNECTION_WINDOW_MS,
    ...options.standIn,
  });
  const urls = await standIn.start();
  const dynamo = options.dynamo ?? (await startEmbeddedDynamo({ dataDir: null }));
  const tablePrefix = `t${process.pid}-${++prefixCounter}-`;
  const env = {
    ACCOUNT_ADDRESS: ACCOUNT,
    HYPERLIQUID_WS_URL: urls.wsUrl,
    HYPERLIQUID_API_URL: urls.apiUrl,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    TABLE_PREFIX: tablePrefix,
    HEALTH_PORT: "0",
    CVD_COINS: "BTC",
    ...options.env,
  };
  const config = loadConfig(env);
  const clientConfig = {
    endpoint: dynamo.endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
  const reader = new DynamoStore({ clientConfig, tablePrefix, createTables: true });
  const running: RunningMonitor[] = [];
  return {
    standIn,
    dynamo,
    urls,
    tablePrefix,
    config,
    reader,
    storeVia(endpoint, { sdkAttempts = 1, retrying = {} } = {}) {
      return new RetryingStore(
        new DynamoStore({
          clientConfig: { ...clientConfig, endpoint, maxAttempts: sdkAttempts },
          tablePrefix,
          createTables: true,
        }),
        { baseDelayMs: 20, maxDelayMs: 200, ...retrying },
      );
    },
    async startMonitor(start = {}) {
      const monitorConfig = start.env ? loadConfig({ ...env, ...start.env }) : config;
      const store =
        start.store ??
        new RetryingStore(new DynamoStore({ clientConfig, tablePrefix, createTables: true }), {
          baseDelayMs: 20,
          maxDelayMs: 200,
        });
      const metrics = new Metrics(() => {});
      const monitor = new Monitor({
        config: monitorConfig,
        store,
        // HL_TEST_LOG=debug shows the monitor's log lines while debugging a test.
        logger: process.env.HL_TEST_LOG ? createLogger({ level: process.env.HL_TEST_LOG }) : silentLogger(),
        metrics,
        keepAlive: { intervalMs: 200, timeoutMs: 300 },
        reconnect: { baseDelayMs: 20, maxDelayMs: 100 },
        readyMaxFrameAgeMs: 1_000,
        ackTimeoutMs: 1_000,
        connectionGate: new ConnectionGate({ windowMs: TEST_CONNECTION_WINDOW_MS }),
        ...(start.restBudget ? { restBudget: start.restBudget } : {}),
        ...start.monitorOptions,
      });
      try {
        await monitor.start();
      } catch (error) {
        await monitor.stop(5_000); // its health server and sockets, whatever the start got to
        throw error;
      }
      const handle = { monitor, metrics, store, stop: () => monitor.stop(5_000) };
      running.push(handle);
      return handle;
    },
    async close() {
      for (const handle of running) await handle.stop();
      await reader.close();
      await standIn.stop();
      if (!options.dynamo) await dynamo.close();
    },
  };
}

/** Polls `check` until it returns true (bounded: `timeoutMs`), then returns; throws with `what` if not. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for: ${what}`);
}
