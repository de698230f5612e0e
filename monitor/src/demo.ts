/**
 * `npm run demo`: replays the recorded demo session (real Hyperliquid payloads) through the local
 * stand-in into a fresh embedded store, then prints what the monitor stored: fills, closed positions with
 * realised PnL, the latest account snapshot and the CVD per coin. Runs offline.
 *
 * The store lives in ./data/demo under the working directory whatever DATA_DIR says: the demo empties its
 * folder on every run, so it must never be a folder the user chose. It removes that folder only when the
 * marker file it wrote there is present, and refuses otherwise.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Decimal } from "decimal.js";
import { parseCommandLine } from "./commandLine.ts";
import { loadConfig } from "./config/config.ts";
import { DEMO_ACCOUNT, DEMO_DIR, DEMO_MARKER } from "./demoSession.ts";
import { Monitor } from "./runtime/monitor.ts";
import { startReplay } from "./standin/replay.ts";
import { openStore } from "./storage/openStore.ts";
import { colourFor, createLogger, logFormatFor } from "./telemetry/logger.ts";
import { Metrics } from "./telemetry/metrics.ts";

const SESSION = fileURLToPath(new URL("../demo/session.jsonl", import.meta.url));

class DemoFolderError extends Error {
  override name = "DemoFolderError";
}

/** Empties the demo's folder for a fresh run: removes it only if the demo made it (its marker is there). */
function freshDemoFolder(dir: string = DEMO_DIR): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) {
      throw new DemoFolderError(`${dir} is a file: move it elsewhere so the demo can make its folder there`);
    }
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes(DEMO_MARKER)) {
      throw new DemoFolderError(
        `${dir} exists and was not made by the demo (no ${DEMO_MARKER} in it), so the demo will not empty it: move it elsewhere, or delete it yourself if it holds nothing you need (a store left by an earlier version of the demo holds nothing else)`,
      );
    }
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    resolve(dir, DEMO_MARKER),
    "Made by `npm run demo`, which empties this folder on every run.\n",
  );
}

parseCommandLine({
  name: "demo",
  command: "npm run demo",
  summary:
    "Replays a recorded Hyperliquid session (real payloads) offline through the monitor into a fresh embedded store in ./data/demo, then prints what it stored: fills, closed positions with realised PnL, the account snapshot and CVD. Sends no alerts. DATA_DIR is not read: nothing outside ./data/demo is touched.",
  options: {},
  notes: [
    "environment: LOG_LEVEL (default error) shows the monitor's log lines during the replay; LOG_FORMAT (auto, pretty or json) their form",
  ],
});

const DATA_DIR = DEMO_DIR;

async function demo(): Promise<void> {
  // A fresh store each run, so the summary shows exactly what this replay produced.
  freshDemoFolder();
  // Snapshots of 100 fills: like the real service's, they hold only the newest fills, so the replay also
  // shows the REST backfill closing the gap behind them.
  const replay = await startReplay(SESSION, { speed: 200, maxGapMs: 20, snapshotSize: 100 });
  const config = loadConfig({
    ACCOUNT_ADDRESS: DEMO_ACCOUNT,
    DB_MODE: "local",
    DATA_DIR,
    HEALTH_PORT: "0",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "error", // the summary reports what the warnings would
    ...(process.env.LOG_FORMAT ? { LOG_FORMAT: process.env.LOG_FORMAT } : {}),
    // The recorded fills are from 2023: let them raise alerts as if they were happening now.
    ALERT_MAX_EVENT_AGE_SECONDS: "0",
  });
  const runConfig = { ...config, wsUrl: replay.wsUrl, apiUrl: replay.apiUrl };
  const logger = createLogger({
    level: config.logLevel,
    format: logFormatFor(config.logFormat, process.stdout.isTTY === true),
    colour: colourFor(process.env, process.stdout.isTTY === true),
  });
  const metrics = new Metrics(() => {}); // the summary below replaces the EMF lines in a demo
  const { store, shutdown } = await openStore(runConfig, logger, metrics);
  const monitor = new Monitor({
    config: runConfig,
    store,
    logger,
    metrics,
    reconnect: { baseDelayMs: 50, maxDelayMs: 200 },
  });
  const started = Date.now();
  await monitor.start();
  await replay.done;
  // Let the last frames be stored, then take a final snapshot.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await monitor.takeSnapshots();
  await monitor.stop();
  await shutdown();

  // Read back through a freshly opened store: the summary shows what is durably stored, not memory.
  const reader = await openStore(runConfig, logger, new Metrics(() => {}));
  const fills = await reader.store.listFills(DEMO_ACCOUNT);
  const closed = await reader.store.listClosedPositions(DEMO_ACCOUNT);
  const open = (await reader.store.loadPositionStates(DEMO_ACCOUNT)).filter((p) => p.isOpen);
  const snapshot = await reader.store.latestAccountSnapshot(DEMO_ACCOUNT);
  const coins = [...new Set(fills.map((fill) => fill.coin))].sort();
  const cvd = await reader.store.latestCvdBuckets(coins);
  const orders = await reader.store.listOrders(DEMO_ACCOUNT);
  await reader.store.close();
  await reader.shutdown();
  await replay.stop();

  const out: string[] = [];
  const line = (text = "") => out.push(text);
  line(
    `hl-monitor demo: recorded session replayed offline in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  line(`account ${DEMO_ACCOUNT}`);
  line();
  line(
    `frames received ${metrics.total("FramesReceived")}, malformed skipped ${metrics.total("FramesMalformed")}, unknown skipped ${metrics.total("FramesUnknown")}, reconnects ${metrics.total("Reconnects")}`,
  );
  line(
    `fills stored ${fills.length} (unique by id: ${new Set(fills.map((f) => f.fillId)).size}), of which backfilled over REST ${metrics.total("BackfilledFills")}`,
  );
  line(`orders stored ${orders.length}`);
  const alerts = monitor.alerts.outbox.published;
  const byKind = Object.entries(Object.groupBy(alerts, (alert) => alert.kind))
    .map(([kind, list]) => `${kind} ${list?.length ?? 0}`)
    .join(", ");
  // The demo never delivers: these are 2023's events replayed, and sending them to a real chat would
  // page someone for positions that closed long ago. `npm start` delivers what it raises.
  line(
    `alerts raised ${alerts.length} (${byKind || "none"}); the demo sends none of them: \`npm start\` delivers alerts to ALERT_TOPIC_ARN, or else to DISCORD_WEBHOOK_URL / TELEGRAM_BOT_TOKEN with TELEGRAM_CHAT_ID`,
  );
  line();
  line(`positions closed ${closed.length}`);
  let total = new Decimal(0);
  for (const position of closed) {
    total = total.plus(position.realizedPnl);
    line(
      `  ${position.coin.padEnd(6)} ${position.side.padEnd(5)} size ${position.maxSize.padStart(10)}  entry ${position.entryPx.padStart(12)}  exit ${position.exitPx.padStart(12)}  fees ${position.fees.padStart(10)}  realised ${position.realizedPnl.padStart(12)}${position.liquidated ? "  LIQUIDATED" : ""}${position.partialHistory ? "  (history before the first fill not available)" : ""}`,
    );
  }
  line(`  total realised PnL ${total.toFixed()}`);
  line(`positions open ${open.length}${open.map((p) => `  ${p.coin} ${p.size} @ ${p.entryPx}`).join("")}`);
  line();
  if (snapshot) {
    line(`latest account snapshot (${new Date(snapshot.time).toISOString()})`);
    line(
      `  account value ${snapshot.accountValue}, margin used ${snapshot.totalMarginUsed}, withdrawable ${snapshot.withdrawable}`,
    );
    line(
      `  unrealised PnL ${snapshot.totalUnrealizedPnl}, leverage ${snapshot.leverage ?? "-"}, cross margin ratio ${snapshot.crossMarginRatio ?? "-"}, health ${snapshot.healthScore}`,
    );
    line(
      `  positions ${snapshot.positionsCount}, nearest liquidation distance ${snapshot.minLiquidationDistance ?? "none"}`,
    );
  } else {
    line("latest account snapshot: none");
  }
  line();
  line(
    `CVD (trades counted ${metrics.total("TradesCounted")}, replayed duplicates ignored ${metrics.total("TradesDuplicate")})`,
  );
  for (const [coin, bucket] of [...cvd.entries()].sort()) {
    line(
      `  ${coin.padEnd(6)} cvd ${bucket.cvd.padStart(14)}  last minute ${new Date(bucket.bucket).toISOString()}  buy ${bucket.buyVolume} sell ${bucket.sellVolume}${bucket.gap ? "  (gap marked)" : ""}`,
    );
  }
  process.stdout.write(`${out.join("\n")}\n`);
}

demo().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof DemoFolderError) {
      process.stderr.write(`demo: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
