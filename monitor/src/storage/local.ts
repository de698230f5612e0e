/**
 * The embedded store for `DB_MODE=local`: dynalite, a DynamoDB API server on LevelDB, persisted on disk
 * and listening on a random loopback port, so the monitor runs the very same DynamoStore as in AWS.
 * Dynalite has no TTL sweeper: items keep their `expiresAt` but are not deleted locally.
 */
import { mkdirSync } from "node:fs";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import dynalite from "dynalite";
import { ConfigError } from "../config/config.ts";

/** How long a close waits for requests in flight (each takes milliseconds; this only bounds a stuck one). */
const IN_FLIGHT_WAIT_MS = 5_000;

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
  if (options.dataDir !== null) {
    mkdirSync(options.dataDir, { recursive: true });
    await checkNotInUse(options.dataDir);
  }
  const server = dynalite({
    // Tables are usable at once: nothing here waits for a real control plane.
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDir !== null ? { path: options.dataDir } : {}),
  });
  const inFlight = countRequestsInFlight(server);
  const endpoint = await listenOnLoopback(server);
  let closing: Promise<void> | null = null;
  return { endpoint, close: () => (closing ??= closeServer(server, inFlight)) };
}

/**
 * LevelDB lets one process open a folder (its LOCK file). Dynalite opens it lazily and, when a second
 * monitor finds it locked, throws "Database is closed" out of its first request, ending the process with
 * a stack trace. So the folder is opened once here first, with the same LevelDB binding dynalite uses
 * (its own `level` dependency), and a lock held elsewhere becomes one line saying what to do.
 */
async function checkNotInUse(dataDir: string): Promise<void> {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve("dynalite"));
  const { Level } = fromDynalite("level") as {
    Level: new (path: string) => { open(): Promise<void>; close(): Promise<void> };
  };
  const db = new Level(dataDir);
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause;
    if (cause?.code === "LEVEL_LOCKED") {
      throw new ConfigError(
        `DATA_DIR ${dataDir} is in use by another monitor (its LevelDB lock is held): stop the other monitor, or give this one a DATA_DIR of its own`,
      );
    }
    throw error;
  }
  await db.close();
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

/**
 * Counts requests dynalite has taken and not yet answered. A request whose client went away (a client
 * closed at shutdown) is still being worked on, and dynalite's own close does not wait for work that has
 * not reached its database yet: closing then makes that work throw "Database is not open" out of
 * dynalite, which ends the process. A request counts as answered when dynalite ends its response, which
 * it does whether or not the socket is still there.
 */
function countRequestsInFlight(server: Server): { count: number } {
  const inFlight = { count: 0 };
  server.on("request", (_request: IncomingMessage, response: ServerResponse) => {
    inFlight.count += 1;
    const end = response.end.bind(response);
    let ended = false;
    response.end = ((...args: Parameters<ServerResponse["end"]>) => {
      if (!ended) {
        ended = true;
        inFlight.count -= 1;
      }
      return end(...args);
    }) as ServerResponse["end"];
  });
  return inFlight;
}

/** Waits (bounded) for the requests in flight to be answered, then stops the server and its database. */
async function closeServer(server: Server, inFlight: { count: number }): Promise<void> {
  const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
  while (inFlight.count > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return new Promise((resolve, reject) => {
    // Idle keep-alive sockets of SDK clients would otherwise hold the close open.
    server.closeAllConnections();
    // Dynalite's close also waits for pending database operations and closes LevelDB.
    server.close((error) => (error ? reject(error) : resolve()));
  });
}
