/**
 * `npm run commands`: the commands Lambda's code against a local embedded store, printing the reply.
 */
import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DynamoStore } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { startEmbeddedDynamo } from "../../monitor/src/storage/local.ts";
import { testTempDir } from "../support/tempDirs.ts";
import { ACCOUNT, closedPosition, snapshot, T0 } from "./records.ts";

function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [resolve("bin/commands.ts"), ...args],
      { env: { PATH: dirname(process.execPath) }, encoding: "utf8", timeout: 30_000 },
      (error, stdout, stderr) => done({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("npm run commands", () => {
  it("answers /pnl 30d from a local store, with the chart's data", async () => {
    const dataDir = join(testTempDir("hl-commands-"), "store");
    const embedded = await startEmbeddedDynamo({ dataDir });
    const writer = new DynamoStore({
      clientConfig: {
        endpoint: embedded.endpoint,
        region: "local",
        credentials: { accessKeyId: "l", secretAccessKey: "l" },
      },
    });
    await writer.init();
    await writer.savePositions(
      [],
      [
        closedPosition({
          closedAt: T0 - 86_400_000,
          realizedPnl: "10.006",
          closedPnl: "10.1",
          fees: "0.094",
        }),
        closedPosition({
          coin: "ETH",
          closedAt: T0 - 3_600_000,
          realizedPnl: "-4",
          closedPnl: "-3.9",
          fees: "0.1",
        }),
      ],
    );
    await writer.putAccountSnapshot(snapshot(T0 - 7_200_000, "1000"));
    await writer.close();
    await embedded.close();

    const now = new Date(T0).toISOString();
    const result = await run(["/pnl", "30d", "--data-dir", dataDir, "--account", ACCOUNT, "--now", now]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("PnL last 30d: +6.01");
    expect(result.stdout).toContain("trades: 2 (1 won, 1 lost)");
    expect(result.stdout).toContain("chart data: 3 cumulative PnL point(s), 1 account value point(s)");

    const usage = await run(["/pnl", "3y", "--data-dir", dataDir, "--account", ACCOUNT]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe("commands: usage: /pnl [today|7d|30d|all] [account]\n");
    const missing = await run(["/status", "--data-dir", join(dataDir, "none")]);
    expect(missing.stderr).toMatch(/run `npm run demo` first/);
  });
});
