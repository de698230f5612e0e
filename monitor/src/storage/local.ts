/**
 * The embedded store for `DB_MODE=local`: dynalite, a DynamoDB API server on LevelDB, persisted on disk
 * and listening on a random loopback port, so the monitor runs the very same DynamoStore as in AWS.
 * Dynalite has no TTL sweeper: items keep their `expiresAt` but are not deleted locally.
 */
import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import dynalite from "dynalite";

export interface EmbeddedDynamo {
  /** `http://127.0.0.1:<port>`, for `DynamoStore`'s `clientConfig.endpoint`. */
  endpoint: string;
  /** Stops the server and closes its database (flushed to disk when persisted); idempotent. */
  close(): Promise<void>;
}

/**
 * Starts dynalite persisted under `dataDir` (created if missing). `dataDir: null` keeps everything in
 * memory, as `startInMemoryDynamo()` does.
 */
export async function startEmbeddedDynamo(options: { dataDir: string | null }): Promise<EmbeddedDynamo> {
  if (options.dataDir !== null) mkdirSync(options.dataDir, { recursive: true });
  const server = dynalite({
    // Tables are usable at once: nothing here waits for a real control plane.
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDir !== null ? { path: options.dataDir } : {}),
  });
  const endpoint = await listenOnLoopback(server);
  let closing: Promise<void> | null = null;
  return { endpoint, close: () => (closing ??= closeServer(server)) };
}

/** Dynalite in memory on a random loopback port (tests): gone when closed. */
export function startInMemoryDynamo(): Promise<EmbeddedDynamo> {
  return startEmbeddedDynamo({ dataDir: null });
}

function listenOnLoopback(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    // Idle keep-alive sockets of SDK clients would otherwise hold the close open.
    server.closeAllConnections();
    // Dynalite's close also waits for pending database operations and closes LevelDB.
    server.close((error) => (error ? reject(error) : resolve()));
  });
}
