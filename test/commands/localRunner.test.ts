/**
 * `npm run commands`: the commands Lambda's code against a local embedded store, printing the reply.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { WireFunding } from "../../monitor/src/hyperliquid/info/userFunding.ts";
import { HyperliquidStandIn } from "../../monitor/src/standin/server.ts";
import { DynamoStore } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { startEmbeddedDynamo } from "../../monitor/src/storage/local.ts";
import { pngSize } from "../support/multipart.ts";
import { testTempDir } from "../support/tempDirs.ts";
import { ACCOUNT, closedPosition, snapshot, T0 } from "./records.ts";

function run(
  args: string[],
  cwd = process.cwd(),
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [resolve("bin/commands.ts"), ...args],
      { env: { PATH: dirname(process.execPath) }, encoding: "utf8", timeout: 30_000, cwd },
      (error, stdout, stderr) => done({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("npm run commands", () => {
  it("answers /pnl 30d from a local store and draws its chart (--chart, or ./data/pnl-<period>.png)", async () => {
    const dir = testTempDir("hl-commands-");
    const dataDir = join(dir, "store");
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
    const chart = join(dir, "charts", "month.png");
    const base = ["--data-dir", dataDir, "--account", ACCOUNT, "--now", now];
    const result = await run(["/pnl", "30d", ...base, "--chart", chart]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("PnL last 30d: +6.01");
    expect(result.stdout).toContain("trades: 2 (1 won, 1 lost)");
    // No network unless asked: the funding line says why it is missing.
    expect(result.stdout).toContain("funding: unavailable offline (give --api-url to ask Hyperliquid)");
    expect(result.stdout).toContain(
      `chart: ${chart} (1080×720 PNG, 3 cumulative PnL point(s), 1 account value point(s))`,
    );
    expect(pngSize(readFileSync(chart))).toEqual({ width: 1080, height: 720 });

    // Without --chart: ./data/pnl-<period>.png from where it runs, printed relative to it.
    const byDefault = await run(["/pnl", "7d", ...base], dir);
    expect(byDefault.status).toBe(0);
    expect(byDefault.stdout).toContain(`chart: ${join("data", "pnl-7d.png")} (1080×720 PNG`);
    expect(pngSize(readFileSync(join(dir, "data", "pnl-7d.png")))).toEqual({ width: 1080, height: 720 });

    // --api-url: funding from that API (here the loopback stand-in serving the recorded sample).
    const hyperliquid = new HyperliquidStandIn({ statePushIntervalMs: 0 });
    const { apiUrl } = await hyperliquid.start();
    try {
      const sample = JSON.parse(
        readFileSync(new URL("../fixtures/hyperliquid/info-userFunding-1.json", import.meta.url), "utf8"),
      ) as WireFunding[];
      hyperliquid.addFunding(
        ACCOUNT,
        sample.map((payment) => ({ ...payment, time: T0 - 3_600_000 })),
      );
      const online = await run(["/pnl", "30d", ...base, "--api-url", apiUrl], dir);
      expect(online.stderr).toBe("");
      expect(online.stdout).toContain("funding: +11.897859 (13 payments)");
    } finally {
      await hyperliquid.stop();
    }

    const notPnl = await run(["/orders", ...base, "--chart", join(dir, "orders.png")]);
    expect(notPnl.status).toBe(2);
    expect(notPnl.stderr).toBe("commands: --chart: only /pnl draws a chart\n");
    expect(existsSync(join(dir, "orders.png"))).toBe(false);

    const usage = await run(["/pnl", "3y", "--data-dir", dataDir, "--account", ACCOUNT]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe("commands: usage: /pnl [today|7d|30d|all] [account]\n");
    const missing = await run(["/status", "--data-dir", join(dataDir, "none")]);
    expect(missing.stderr).toMatch(/run `npm run demo` first/);
    const help = await run(["--help"]);
    expect(help.stdout).toMatch(
      /--chart <value>\s+where \/pnl's chart PNG is written \(default \.\/data\/pnl-<period>\.png\)/,
    );
  });
});
