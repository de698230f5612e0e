/**
 * `npm start`: runs the monitor until SIGTERM/SIGINT.
 *
 *   --record FILE   also write every raw frame received (JSON lines, with receive time)
 *   --replay FILE   play a recording through a local Hyperliquid stand-in instead of the real API, then exit
 *   --speed N       replay speed factor (default 50)
 *
 * A configuration error exits with status 2 and one line saying what to fix, unless ON_CONFIG_ERROR=wait
 * (set by the CDK stack): then the task stays up and says so in its log (see runtime/unconfigured.ts).
 * The same holds for the errors only the exchange can reveal at start (a CVD coin it does not list).
 */
import { parseCommandLine } from "./commandLine.ts";
import { ConfigError, environmentWithDotEnv, loadConfig } from "./config/config.ts";
import { Monitor } from "./runtime/monitor.ts";
import { healthPortFrom, waitUnconfigured } from "./runtime/unconfigured.ts";
import { openStore } from "./storage/openStore.ts";
import { colourFor, createLogger, logFormatFor } from "./telemetry/logger.ts";
import { Metrics } from "./telemetry/metrics.ts";
import { fatalErrorFields } from "./telemetry/stackTrace.ts";

const values = parseCommandLine({
  name: "monitor",
  command: "npm start --",
  summary:
    "Watches the Hyperliquid accounts in ACCOUNT_ADDRESS until stopped (Ctrl-C or SIGTERM): fills, orders, positions with realised PnL, account health and CVD, stored locally (./data), in DynamoDB or in Supabase. Settings come from the environment and a .env file (see .env.example).",
  options: { record: { type: "string" }, replay: { type: "string" }, speed: { type: "string" } },
  describe: {
    record: "also write every raw frame received to this file (JSON lines)",
    replay: "play this recording through a local Hyperliquid stand-in instead of the real API, then exit",
    speed: "replay speed factor (default 50)",
  },
  notes: [
    "environment: ACCOUNT_ADDRESS (required), DB_MODE (local|dynamodb|supabase), DATA_DIR, LOG_LEVEL,",
    "LOG_FORMAT (pretty|json), HYPERLIQUID_NETWORK; every variable is listed in .env.example",
  ],
});

async function main(): Promise<number> {
  const env = environmentWithDotEnv();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError) || env.ON_CONFIG_ERROR !== "wait") throw error;
    const waiting = await waitUnconfigured({ problem: error.message, healthPort: healthPortFrom(env) });
    await new Promise<void>((resolve) => {
      process.once("SIGTERM", resolve);
      process.once("SIGINT", resolve);
    });
    await waiting.stop();
    return 0;
  }
  const logFormat = logFormatFor(config.logFormat, process.stdout.isTTY === true);
  const logger = createLogger({
    level: config.logLevel,
    format: logFormat,
    colour: colourFor(process.env, process.stdout.isTTY === true),
  });
  // A signal that arrives before the monitor exists (the store still opening, say) is held and carried
  // out as soon as it does: Node's default would end the process on the spot, without a clean stop.
  let signalled: string | null = null;
  let onSignal = (reason: string) => {
    signalled ??= reason;
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  // EMF lines are for CloudWatch; on a terminal the same figures are a debug line (LOG_LEVEL=debug).
  const metricsLine =
    logFormat === "pretty"
      ? (line: string) => {
          const { _aws, ...figures } = JSON.parse(line) as Record<string, unknown>;
          logger.debug(figures, "metrics");
        }
      : undefined;
  const metrics = new Metrics(metricsLine, {
    detail: config.metricsDetail,
    shard: config.shard,
    namespace: config.metricNamespace,
  });
  if (config.shard.count > 1) {
    logger.info({ shard: config.shard, accounts: config.accounts.length }, "watching this shard's accounts");
  }

  // The stand-in and the recorder are loaded only when asked for: a deployed task never needs them.
  const replay = values.replay
    ? await (await import("./standin/replay.ts")).startReplay(values.replay, {
        speed: Number(values.speed ?? 50),
        maxGapMs: 250,
      })
    : null;
  if (replay) {
    config = { ...config, wsUrl: replay.wsUrl, apiUrl: replay.apiUrl };
    logger.info({ file: values.replay }, "replaying a recorded session through the local stand-in");
  }
  const recorder = values.record
    ? new (await import("./standin/recording.ts")).RecordingWriter(values.record)
    : null;
  const { store, shutdown } = await openStore(config, logger, metrics);
  const monitor = new Monitor({ config, store, logger, metrics, recorder });

  let stopping: Promise<void> | null = null;
  const stop = (reason: string) => {
    stopping ??= (async () => {
      logger.info({ reason }, "stopping");
      await monitor.stop();
      await recorder?.close();
      await replay?.stop();
      await shutdown();
    })();
    return stopping;
  };
  onSignal = (reason) => void stop(reason).then(() => process.exit(0));
  if (signalled) {
    await stop(signalled);
    return 0;
  }

  try {
    await monitor.start();
  } catch (error) {
    // A SIGTERM while starting (a Spot interruption, a deployment) closes the store under the start-up
    // reads; that is a clean stop, not a failure.
    if (stopping) {
      await stopping;
      return 0;
    }
    if (!(error instanceof ConfigError) || env.ON_CONFIG_ERROR !== "wait") throw error;
    // The monitor's health server holds the port: stop it first, then wait like an unconfigured task
    // until SIGTERM (whose handler above ends the process).
    await stop("configuration error");
    await waitUnconfigured({ problem: error.message, healthPort: healthPortFrom(env) });
    await new Promise(() => {});
  }
  if (replay) {
    await replay.done;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await monitor.takeSnapshots();
    await stop("replay finished");
    return 0;
  }
  await new Promise(() => {}); // runs until a signal arrives
  return 0;
}

/**
 * The one line written when the monitor fails, with the stack mapped to monitor/src (telemetry/stackTrace.ts:
 * the image runs without --enable-source-maps), then exit 1 so ECS starts a new task.
 */
function failed(error: unknown): never {
  process.stderr.write(
    `${JSON.stringify({ level: "fatal", time: new Date().toISOString(), msg: "monitor failed", err: fatalErrorFields(error) })}\n`,
  );
  process.exit(1);
}
// A throw outside main's promise chain (or a rejection nobody awaits, which Node raises as one) would
// otherwise be printed by Node with the bundle's unmapped positions.
process.on("uncaughtException", failed);

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(2);
    }
    failed(error);
  },
);
