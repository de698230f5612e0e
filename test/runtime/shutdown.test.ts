/**
 * SIGTERM during a burst of fills: the real `npm start` entry point in a child process, on the embedded
 * on-disk store, against the loopback stand-in. Every fill the stand-in made must end up stored: either
 * flushed before the process exits, or recovered by the backfill of the next start.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
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
const dirs: string[] = [];
afterEach(async () => {
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
});
