/**
 * SIGTERM during a burst of fills: the real `npm start` entry point in a child process, on the embedded
 * on-disk store, against the loopback stand-in. Every fill the stand-in made must end up stored: either
 * flushed before the process exits, or recovered by the backfill of the next start. And SIGTERM while the
 * monitor is still starting is a clean stop too.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HyperliquidStandIn } from "../../monitor/src/standin/server.ts";
import { DynamoStore } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { startEmbeddedDynamo } from "../../monitor/src/storage/local.ts";
import { generatedFills } from "../support/fixtures.ts";
import { ACCOUNT, eventually } from "../support/harness.ts";
import { startMonitorProcess } from "../support/monitorProcess.ts";

const T0 = 1_789_407_000_000;
let standIn: HyperliquidStandIn | null = null;
let cleanupServer: (() => Promise<void>) | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await cleanupServer?.();
  cleanupServer = null;
  await standIn?.stop();
  standIn = null;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function exitOf(child: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, ms: Date.now() - started })));
}

describe("SIGTERM", () => {
  it("during a burst: exits 0 well within 30 s, and no fill is lost across the restart", async () => {
    standIn = new HyperliquidStandIn();
    const urls = await standIn.start();
    const dataDir = mkdtempSync(join(tmpdir(), "hl-sigterm-"));
    dirs.push(dataDir);
    const env = {
      ACCOUNT_ADDRESS: ACCOUNT,
      HYPERLIQUID_WS_URL: urls.wsUrl,
      HYPERLIQUID_API_URL: urls.apiUrl,
      DB_MODE: "local",
      DATA_DIR: dataDir,
      HEALTH_PORT: "0",
      CVD_COINS: "BTC",
      LOG_LEVEL: "info",
    };
    const first = startMonitorProcess(env);
    await eventually("first monitor in sync", () => first.output().includes('"msg":"fills in sync"'), 20_000);

    // A burst of 3,000 fills in 300 frames; SIGTERM lands in the middle of it.
    const fills = generatedFills(3_000, T0);
    const exited = exitOf(first.child);
    for (let frame = 0; frame < 300; frame++) {
      standIn.pushFills(ACCOUNT, fills.slice(frame * 10, frame * 10 + 10));
      if (frame === 150) first.child.kill("SIGTERM");
      if (frame % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const { code, ms } = await exited;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(30_000);
    expect(first.output()).toContain('"msg":"monitor stopped"');

    // The next start backfills from the cursor the first one left.
    const second = startMonitorProcess(env);
    await eventually(
      "second monitor in sync",
      () => second.output().includes('"msg":"fills in sync"'),
      20_000,
    );
    const secondExit = exitOf(second.child);
    second.child.kill("SIGTERM");
    expect((await secondExit).code).toBe(0);

    const dynamo = await startEmbeddedDynamo({ dataDir });
    const reader = new DynamoStore({
      clientConfig: {
        endpoint: dynamo.endpoint,
        region: "local",
        credentials: { accessKeyId: "l", secretAccessKey: "l" },
      },
    });
    try {
      const stored = await reader.listFills(ACCOUNT);
      expect(stored).toHaveLength(3_000);
      expect(new Set(stored.map((f) => f.fillId)).size).toBe(3_000);
      expect((await reader.getFillCursor(ACCOUNT))?.time).toBe(fills.at(-1)!.time);
    } finally {
      await reader.close();
      await dynamo.close();
    }
  }, 90_000);

  it("while still starting (a storage request out): exits 0, not as a failure", async () => {
    standIn = new HyperliquidStandIn();
    const urls = await standIn.start();
    // A loopback server that takes connections and never answers: the start's first storage request
    // is still out when SIGTERM closes the store under it.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    cleanupServer = async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    };
    const monitor = startMonitorProcess({
      ACCOUNT_ADDRESS: ACCOUNT,
      HYPERLIQUID_WS_URL: urls.wsUrl,
      HYPERLIQUID_API_URL: urls.apiUrl,
      DB_MODE: "dynamodb",
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${port}`,
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      HEALTH_PORT: "0",
      LOG_LEVEL: "info",
    });
    await eventually("the start's storage request out", () => sockets.size > 0, 20_000);
    const exited = exitOf(monitor.child);
    monitor.child.kill("SIGTERM");
    const { code, ms } = await exited;
    expect(monitor.output()).not.toContain('"msg":"monitor failed"');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(30_000);
    expect(monitor.output()).toContain('"msg":"monitor stopped"');
  }, 60_000);
});
