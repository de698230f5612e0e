/**
 * Builds the store the configuration asks for, wrapped so that a storage outage delays writes instead of
 * losing them. `local` runs the very same DynamoDB adapter against an embedded DynamoDB-compatible server
 * persisted under DATA_DIR; `supabase` the Supabase adapter.
 */
import type { MonitorConfig } from "../config/config.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import { DynamoStore } from "./dynamodb/dynamoStore.ts";
import { RetryingStore } from "./retryingStore.ts";
import type { MonitorStore } from "./store.ts";

export interface OpenedStore {
  store: MonitorStore;
  /** Stops what the store started (the embedded server); call after `store.close()`. */
  shutdown(): Promise<void>;
}

/** Local-only credentials for DynamoDB-compatible servers, which check none; never used against AWS. */
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export async function openStore(
  config: MonitorConfig,
  logger: Logger,
  metrics: Metrics,
): Promise<OpenedStore> {
  let backend: MonitorStore;
  let shutdown = async () => {};
  if (config.dbMode === "supabase" && config.supabase) {
    // Each back end's client is loaded only in its mode.
    const { SupabaseStore } = await import("./supabase/supabaseStore.ts");
    backend = new SupabaseStore({
      url: config.supabase.url,
      serviceKey: config.supabase.serviceKey,
      retentionDays: config.retentionDays,
      logger,
    });
  } else {
    let endpoint = config.dynamodbEndpoint;
    if (config.dbMode === "local") {
      const { startEmbeddedDynamo } = await import("./local.ts");
      const embedded = await startEmbeddedDynamo({ dataDir: config.dataDir });
      endpoint = embedded.endpoint;
      shutdown = () => embedded.close();
      logger.info({ dataDir: config.dataDir }, "embedded store started");
    }
    backend = new DynamoStore({
      logger,
      tablePrefix: config.tablePrefix,
      retentionDays: config.retentionDays,
      createTables: endpoint !== null,
      clientConfig:
        endpoint !== null
          ? { endpoint, region: config.awsRegion ?? "local", credentials: LOCAL_CREDENTIALS }
          : config.awsRegion
            ? { region: config.awsRegion }
            : {},
    });
  }
  const store = new RetryingStore(backend, {
    maxPendingItems: config.maxPendingWrites,
    onRetry: (error, attempt) => {
      metrics.count("StorageErrors");
      if (attempt === 1 || attempt % 10 === 0) {
        logger.warn(
          { attempt, err: error instanceof Error ? error.message : String(error) },
          "storage write failed; retrying",
        );
      }
    },
    onDropped: (kind, items) => {
      metrics.count("WritesDropped", items);
      logger.error(
        { kind, items },
        "pending-write bound reached; writes refused (fills are recovered by the next backfill)",
      );
    },
    onRecovered: () => logger.info("storage recovered"),
  });
  return { store, shutdown };
}
