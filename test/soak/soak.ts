/**
 * `npm run soak -- --minutes N [--seed S] [--json]`: the real monitor process, as the image runs it (the
 * bundle its build stage makes, started with the Dockerfile's CMD: test/support/imageEntry.ts)
 * against the loopback Hyperliquid stand-in and a real DynamoDB-API store (dynalite on disk, behind a
 * fault proxy), with its alerts going through SNS → the real alert Lambda → Discord/Telegram stand-ins,
 * while a fault injector keeps breaking things:
 *   dropped sockets; gaps in which new connections are refused, so fills exist only over REST; stalled
 *   sockets (no pong, only in runs of 3 minutes or more: detection takes the 40 s keep-alive); /info
 *   answering 500, and 429 whenever the backfill outruns the stand-in's weight budget; storage throttling,
 *   failing and resetting for seconds; malformed and unknown frames; SIGTERM and SIGKILL with restarts;
 *   resubscribes refused (the real error frame) or never acknowledged after a reconnect; a fill the
 *   schema refuses, on the socket and in the REST history; fills that were part of someone else's
 *   liquidation, and the accounts' own liquidations; a position on a builder-deployed perp dex (HIP-3);
 *   a Telegram chat that blocks the bot for a while, then a Discord webhook deleted for the rest of the
 *   run (permanent refusals: each alert must reach the other channel exactly once, and no invocation may
 *   be retried for them).
 * Ground truth is the stand-in's own record of every fill it made. At the end it prints fills expected /
 * stored / missing / duplicated, position and PnL mismatches, alerts expected / sent / duplicated /
 * unexpected (a LIQUIDATION alert for a counterparty's liquidation is a false one), the skipped-fill
 * alerts, the HIP-3 position in the stored snapshot, restarts and the monitor's peak memory, and exits 1
 * on any missing, duplicated or false fill or alert.
 */
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { TASK_MALLOC_TUNABLES, TASK_NODE_OPTIONS } from "../../lib/monitorService.ts";
import { parseCommandLine } from "../../monitor/src/commandLine.ts";
import { normalizeFill, orderFills } from "../../monitor/src/domain/fill.ts";
import { HyperliquidStandIn } from "../../monitor/src/standin/server.ts";
import { DynamoStore } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { startEmbeddedDynamo } from "../../monitor/src/storage/local.ts";
import { startAlertPipeline } from "../support/alertPipeline.ts";
import { DynamoFaultProxy, type FaultKind } from "../support/dynamoFaultProxy.ts";
import { fixture } from "../support/fixtures.ts";
import { buildImageEntry } from "../support/imageEntry.ts";
import { type MonitorProcess, startMonitorProcess } from "../support/monitorProcess.ts";
import { groundTruth, HIP3_COIN, HIP3_DEX, SimulatedExchange, seededRandom } from "./exchange.ts";

const values = parseCommandLine({
  name: "soak",
  command: "npm run soak --",
  summary:
    "Runs the monitor against a simulated exchange with injected faults for the given time, then checks every fill and alert against the ground truth; exits non-zero on any missing, duplicated or false one.",
  describe: {
    minutes: "how long the trading phase runs",
    seed: "random seed, to repeat a run (default: from the clock)",
    json: "print one JSON object instead of the progress lines and summary",
    log: "append every monitor process's output to this file (for a diagnosis)",
  },
  options: {
    minutes: { type: "string", default: "1" },
    seed: { type: "string" },
    json: { type: "boolean", default: false },
    /** Appends every monitor process's output to this file (for a diagnosis). */
    log: { type: "string" },
  },
});
const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) {
  process.stderr.write("soak: --minutes must be a number of minutes above 0 (at most a day)\n");
  process.exit(2);
}
const seed = values.seed ? Number(values.seed) : Date.now() % 1_000_000;
const random = seededRandom(seed);
const say = (line: string) => {
  if (!values.json) process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};

const ACCOUNTS = ["0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"];
/** Alert kinds whose every key the ground truth predicts; `monitor_degraded` is checked for skipped fills. */
const ALERT_KINDS = new Set(["position_opened", "position_closed", "liquidation"]);
const SKIPPED_FILLS_KEY = "monitor_degraded:fills_skipped:";
const TABLE_PREFIX = "soak-";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- the world ------------------------------------------------------------------------------------------

const dataDir = mkdtempSync(join(tmpdir(), "hl-soak-"));
const entry = await buildImageEntry();
// The stand-in's REST budget is a third of Hyperliquid's (400 per minute), so catching up after gaps and
// restarts meets real 429s.
const standIn = new HyperliquidStandIn({ weightPerMinute: 400 });
const urls = await standIn.start();
const dynamo = await startEmbeddedDynamo({ dataDir });
const proxy = new DynamoFaultProxy(dynamo.endpoint);
const proxyEndpoint = await proxy.start();
const alerts = await startAlertPipeline(dynamo.endpoint, { lambdaRetries: 2 });
const exchange = new SimulatedExchange(standIn, ACCOUNTS, random);
// The first account holds an isolated position on a builder-deployed dex (real state shape, coin renamed:
// test/fixtures/hyperliquid/SOURCES.md); it must reach the stored snapshots.
standIn.addPerpDex(HIP3_DEX);
standIn.setClearinghouseState(ACCOUNTS[0]!, fixture("info-clearinghouseState-hip3-1.json"), {
  dex: HIP3_DEX,
});

const env = {
  ACCOUNT_ADDRESS: ACCOUNTS.join(","),
  HYPERLIQUID_WS_URL: urls.wsUrl,
  HYPERLIQUID_API_URL: urls.apiUrl,
  DB_MODE: "dynamodb",
  DYNAMODB_ENDPOINT: proxyEndpoint,
  TABLE_PREFIX,
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
  AWS_ENDPOINT_URL_SNS: alerts.sns.endpoint,
  ALERT_TOPIC_ARN: alerts.sns.topicArn,
  ALERT_EVENTS: [...ALERT_KINDS, "monitor_degraded"].join(","),
  HEALTH_PORT: "0",
  CVD_COINS: "BTC",
  SNAPSHOT_INTERVAL_SECONDS: "10",
  // The deployed task's heap and allocator settings, so the peak memory reported is the one the task would see.
  NODE_OPTIONS: TASK_NODE_OPTIONS,
  GLIBC_TUNABLES: TASK_MALLOC_TUNABLES,
};

// --- the monitor, restarted by the fault injector ----------------------------------------------------------

let monitor: MonitorProcess | null = null;
let peakRssMb = 0;
const restarts = { SIGTERM: 0, SIGKILL: 0 };
const crashes: string[] = [];

function startMonitor(): void {
  const started = startMonitorProcess(env, { cwd: entry.workdir, args: entry.args });
  monitor = started;
  void started.exited.then(({ code }) => {
    if (values.log) appendFileSync(values.log, `${started.output()}\n--- exit ${code}\n`);
    // An exit the injector did not ask for is a failure of the monitor; like ECS, start it again.
    if (monitor === started) {
      crashes.push(`exit ${code}: ${started.output().slice(-500)}`);
      startMonitor();
    }
  });
}

async function restart(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
  const running = monitor;
  if (!running) return;
  monitor = null;
  running.child.kill(signal);
  const { code } = await running.exited;
  if (signal === "SIGTERM" && code !== 0)
    crashes.push(`SIGTERM exit ${code}: ${running.output().slice(-500)}`);
  restarts[signal] += 1;
  startMonitor();
}

async function healthOf(process: MonitorProcess): Promise<{ rssMb: number } | null> {
  const port = /"healthPort":(\d+)/.exec(process.output())?.[1];
  if (!port) return null;
  try {
    return (await (
      await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) })
    ).json()) as {
      rssMb: number;
    };
  } catch {
    return null;
  }
}

async function waitInSync(process: MonitorProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((process.output().match(/"msg":"fills in sync"/g) ?? []).length >= ACCOUNTS.length) return true;
    await sleep(50);
  }
  return false;
}

// --- faults --------------------------------------------------------------------------------------------

const faults: Record<string, number> = {};
const resubscribeFaults = { refused: 0, unacknowledged: 0 };
let stalledUntil = 0;
let lastStall = 0;

async function injectFault(): Promise<void> {
  const choices: [string, number][] = [
    ["drop", 3],
    ["gap", 2],
    ["rest500", 2],
    ["storage", 3],
    ["malformed", 2],
    ["sigterm", 1],
    ["sigkill", 1],
    ["resubscribe", 2],
    ["invalidFill", 1],
    ["stall", minutes >= 3 && Date.now() - lastStall > 180_000 ? 1 : 0],
  ];
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let pick = random() * total;
  let fault = choices[0]![0];
  for (const [name, weight] of choices) {
    pick -= weight;
    if (pick < 0) {
      fault = name;
      break;
    }
  }
  faults[fault] = (faults[fault] ?? 0) + 1;
  switch (fault) {
    case "drop":
      standIn.dropConnections();
      break;
    case "gap":
      // New sockets are refused for a while: fills made meanwhile reach the monitor only over REST.
      standIn.rejectConnections(3 + Math.floor(random() * 4));
      standIn.dropConnections();
      break;
    case "rest500":
      standIn.failNextRestRequests(2 + Math.floor(random() * 4));
      break;
    case "storage": {
      const kinds: FaultKind[] = ["throttle", "internal", "reset"];
      proxy.failFor(kinds[Math.floor(random() * kinds.length)]!, 2_000 + Math.floor(random() * 6_000));
      break;
    }
    case "malformed":
      standIn.sendRaw("{not json");
      standIn.sendRaw('{"channel":"somethingNew","data":{"x":1}}');
      // A fill item missing its fields, on the first account's socket: skipped and alerted, if it got there
      // (a raw frame exists nowhere else: during a gap or a restart nobody receives it).
      if (
        standIn.sendTo(
          (s) => s.type === "userFills" && s.user === ACCOUNTS[0],
          `{"channel":"userFills","data":{"user":"${ACCOUNTS[0]}","fills":[{"coin":"BTC"}]}}`,
        ) > 0
      ) {
        exchange.noteInvalidFill(ACCOUNTS[0]!);
      }
      break;
    case "sigterm":
      await restart("SIGTERM");
      break;
    case "sigkill":
      await restart("SIGKILL");
      break;
    case "resubscribe": {
      // After the reconnect a subscription is refused (the real error frame) or never acknowledged: the
      // monitor must re-send it until acknowledged, on the socket it has.
      const types = ["userFills", "orderUpdates", "clearinghouseState"];
      const type = types[Math.floor(random() * types.length)]!;
      const refused = random() < 0.5;
      standIn.faultSubscribes(
        type,
        // The real refusal text of the per-IP user limit (PROTOCOL.md, Pitfalls).
        refused ? { kind: "refuse", text: "Cannot track more than 10 total users." } : { kind: "never" },
        1 + Math.floor(random() * 2),
      );
      resubscribeFaults[refused ? "refused" : "unacknowledged"] += 1;
      standIn.dropConnections();
      break;
    }
    case "invalidFill":
      exchange.invalidFill(ACCOUNTS[Math.floor(random() * ACCOUNTS.length)]!);
      break;
    case "stall":
      // Half-dead sockets: open, silent, no pongs. The monitor's keep-alive must notice (30 s + 10 s).
      lastStall = Date.now();
      stalledUntil = Date.now() + 50_000;
      standIn.setSilent(true);
      break;
  }
}

// --- the run --------------------------------------------------------------------------------------------

say(`soak: ${minutes} min, seed ${seed}, data ${dataDir}`);
startMonitor();
if (!(await waitInSync(monitor!, 60_000)))
  throw new Error(`monitor did not start:\n${monitor!.output().slice(-2_000)}`);

const runStart = Date.now();
const end = runStart + minutes * 60_000;
// Broken channels, never both at once: Telegram refuses (the bot blocked) from 25 % to 45 % of the run,
// and the Discord webhook is deleted at 60 % (or when Telegram is unblocked, if later) and stays deleted.
// Alerts can be held back for a while by the run's other faults (two restarts in a row meet Hyperliquid's
// REST weight limit, and the next start waits it out), and a block that refused nothing would have tested
// nothing: the block lasts until it has refused a few alerts (at least one after 75 %), and trading goes on
// past the end, up to 40 s, until it has. Alerts still pending at the end reach the deleted webhook.
const TELEGRAM_REFUSALS_WANTED = 3;
const telegramBlocked = {
  from: runStart + minutes * 15_000,
  until: runStart + minutes * 27_000,
  latest: runStart + minutes * 45_000,
  last: end + 40_000,
};
const telegramRefusedSoFar = () => alerts.telegram.rejected.filter((answer) => answer.status === 403).length;
let discordDeletedAt = runStart + minutes * 36_000;
const channelFaults = { telegramBlocked: false, telegramUnblocked: false, discordDeleted: false };
let nextFault = Date.now() + 3_000;
let nextHealth = Date.now();
while (Date.now() < end || (!channelFaults.discordDeleted && Date.now() < telegramBlocked.last + 5_000)) {
  exchange.step();
  const now = Date.now();
  if (!channelFaults.telegramBlocked && now >= telegramBlocked.from) {
    alerts.telegram.blockBot();
    channelFaults.telegramBlocked = true;
    say("telegram: the bot is blocked (403) until later");
  }
  if (
    channelFaults.telegramBlocked &&
    !channelFaults.telegramUnblocked &&
    ((now >= telegramBlocked.until && telegramRefusedSoFar() >= TELEGRAM_REFUSALS_WANTED) ||
      (now >= telegramBlocked.latest && telegramRefusedSoFar() >= 1) ||
      now >= telegramBlocked.last)
  ) {
    alerts.telegram.unblockBot();
    channelFaults.telegramUnblocked = true;
    telegramBlocked.until = now;
    say("telegram: unblocked");
  }
  if (!channelFaults.discordDeleted && channelFaults.telegramUnblocked && now >= discordDeletedAt) {
    discordDeletedAt = now;
    alerts.discord.deleteWebhook();
    channelFaults.discordDeleted = true;
    say("discord: the webhook is deleted (404, code 10015) for the rest of the run");
  }
  if (stalledUntil && Date.now() > stalledUntil) {
    standIn.setSilent(false);
    stalledUntil = 0;
  }
  if (Date.now() >= nextFault && !stalledUntil) {
    await injectFault();
    nextFault = Date.now() + 2_000 + random() * 6_000;
  }
  if (Date.now() >= nextHealth && monitor) {
    const health = await healthOf(monitor);
    if (health) peakRssMb = Math.max(peakRssMb, health.rssMb);
    nextHealth = Date.now() + 2_000;
  }
  await sleep(200);
}

// Calm: no more trading or faults; the monitor must catch up on its own.
say(
  `trading stopped after ${exchange.fillsMade} fills; faults ${JSON.stringify(faults)}; waiting for the monitor to catch up`,
);
standIn.setSilent(false);
proxy.heal();
const reader = new DynamoStore({
  clientConfig: {
    endpoint: dynamo.endpoint,
    region: "local",
    credentials: { accessKeyId: "l", secretAccessKey: "l" },
  },
  tablePrefix: TABLE_PREFIX,
  createTables: false,
});
const storedFills = async () =>
  (await Promise.all(ACCOUNTS.map((account) => reader.listFills(account)))).flat();
for (let i = 0; i < 600 && (await storedFills()).length < exchange.fillsMade; i++) await sleep(200);
// Stored is not yet applied: the positions have caught up once every account's cursor has passed its
// newest fill. A sync may be waiting out a 429 pause (a new process does not know what the one before it
// spent), so this allows a few minutes.
// Trading has stopped: each account's newest fill is known once.
const newestFills = ACCOUNTS.map((account) => ({
  account,
  newest: orderFills(standIn.fillsOf(account).map((wire) => normalizeFill(account, wire))).at(-1),
}));
const caughtUp = async () => {
  for (const { account, newest } of newestFills) {
    if (!newest) continue;
    const cursor = await reader.getFillCursor(account);
    if (!cursor || cursor.time < newest.time) return false;
    if (cursor.time === newest.time && !cursor.fillIds.includes(newest.fillId)) return false;
  }
  return true;
};
for (let i = 0; i < 900 && !(await caughtUp()); i++) await sleep(200);
// Alerts claimed by a task that was killed go out once its lease (60 s) has passed: wait for the outbox
// to empty (bounded), then stop gracefully.
const pendingAlerts = async () =>
  (await Promise.all([...ACCOUNTS, "_monitor"].map((owner) => reader.listPendingAlerts(owner)))).flat()
    .length;
for (let i = 0; i < 900 && (await pendingAlerts()) > 0; i++) await sleep(200);
// The HIP-3 position: followed (a clearinghouseState subscription with its dex) and in a stored snapshot
// (taken every 10 s here).
const hip3Snapshot = async () =>
  (await reader.latestAccountSnapshot(ACCOUNTS[0]!))?.positions.some((p) => p.coin === HIP3_COIN) ?? false;
for (let i = 0; i < 150 && !(await hip3Snapshot()); i++) await sleep(200);
const hip3Followed = standIn.hasSubscriber(
  (s) => s.type === "clearinghouseState" && s.user === ACCOUNTS[0] && s.dex === HIP3_DEX,
);
const hip3InSnapshot = await hip3Snapshot();
await sleep(3_000);
const last = monitor as MonitorProcess | null;
if (last) {
  const health = await healthOf(last);
  if (health) peakRssMb = Math.max(peakRssMb, health.rssMb);
  monitor = null;
  last.child.kill("SIGTERM");
  const { code } = await last.exited;
  if (code !== 0) crashes.push(`final SIGTERM exit ${code}`);
}
await alerts.sns.settled();

// --- the verdict ------------------------------------------------------------------------------------------

const truth = groundTruth(standIn, ACCOUNTS, ALERT_KINDS);
const stored = await storedFills();
const storedTids = new Set(stored.map((fill) => fill.tid));
const fillsMissing = [...truth.tids].filter((tid) => !storedTids.has(tid)).length;
// A fill stored twice (under two ids) leaves fewer distinct tids than stored fills.
const fillsDuplicated = stored.length - storedTids.size;

const storedStates = (
  await Promise.all(ACCOUNTS.map((account) => reader.loadPositionStates(account)))
).flat();
const stateKey = (state: { account: string; coin: string }) => `${state.account}|${state.coin}`;
const storedStateByKey = new Map(storedStates.map((state) => [stateKey(state), state]));
const mismatchedStates = truth.states.filter((state) => {
  const mine = storedStateByKey.get(stateKey(state));
  return !mine || mine.size !== state.size || mine.isOpen !== state.isOpen || mine.entryPx !== state.entryPx;
});
const positionMismatches = mismatchedStates.length;
const storedClosed = (
  await Promise.all(ACCOUNTS.map((account) => reader.listClosedPositions(account)))
).flat();
const closedById = new Map(
  storedClosed.map((position) => [`${position.account}|${position.positionId}`, position]),
);
const mismatchedClosed = truth.closed.filter((position) => {
  const mine = closedById.get(`${position.account}|${position.positionId}`);
  return !mine || mine.realizedPnl !== position.realizedPnl || mine.closedSize !== position.closedSize;
});
const pnlMismatches = mismatchedClosed.length + Math.max(0, storedClosed.length - truth.closed.length);

// Sent = posted by the alert Lambda (its ledger keeps retries and republishes to one post per channel).
// One channel is broken for part of the run, so an alert counts as sent when either channel posted it,
// and as duplicated when one channel posted it twice.
const posts = { discord: new Map<string, number>(), telegram: new Map<string, number>() };
const refusals = { discord: 0, telegram: 0 };
for (const report of alerts.delivered) {
  for (const channel of ["discord", "telegram"] as const) {
    if (report[channel] === "sent") posts[channel].set(report.key, (posts[channel].get(report.key) ?? 0) + 1);
  }
  for (const failure of report.permanentFailures) refusals[failure.channel] += 1;
}
const alertPosts = new Map<string, number>();
for (const channel of ["discord", "telegram"] as const) {
  for (const [key, count] of posts[channel]) alertPosts.set(key, Math.max(alertPosts.get(key) ?? 0, count));
}
// A permanent refusal must never fail an invocation (Lambda would retry it into the same broken channel).
const retriedForRefusal = alerts.attemptErrors.filter((error) =>
  /10015|Unknown Webhook|bot was blocked/.test(error),
).length;
const missingAlertKeys = [...truth.alertKeys].filter((key) => !alertPosts.has(key));
const alertsMissing = missingAlertKeys.length;
const checkedKey = (key: string) =>
  [...ALERT_KINDS].some((kind) => key.startsWith(`${kind}:`)) || key.startsWith(SKIPPED_FILLS_KEY);
const alertsDuplicated = [...alertPosts].filter(([key, count]) => checkedKey(key) && count > 1).length;
// Skipped-fill alerts: one per account (and UTC day) that was sent an invalid fill, none for the others.
const skippedAlertAccounts = new Set(
  [...alertPosts.keys()]
    .filter((key) => key.startsWith(SKIPPED_FILLS_KEY))
    .map((key) => key.slice(SKIPPED_FILLS_KEY.length).split(":")[0]!),
);
const skippedAlertsMissing = [...exchange.invalidFills.keys()].filter((a) => !skippedAlertAccounts.has(a));
const unexpectedAlertKeys = [
  ...[...alertPosts.keys()].filter(
    (key) => checkedKey(key) && !key.startsWith(SKIPPED_FILLS_KEY) && !truth.alertKeys.has(key),
  ),
  ...[...skippedAlertAccounts]
    .filter((account) => !exchange.invalidFills.has(account))
    .map((account) => `${SKIPPED_FILLS_KEY}${account}`),
];
const alertsUnexpected = unexpectedAlertKeys.length;
// Independent of the domain rule the truth is computed with: a LIQUIDATION alert is right only for the
// accounts' own liquidations (each closes its position), never for a counterparty's.
const liquidationAlerts = [...alertPosts.keys()].filter((key) => key.startsWith("liquidation:")).length;
const falseLiquidations = Math.max(0, liquidationAlerts - exchange.ownLiquidations);
const invalidTidsStored = stored.filter((fill) => fill.coin === "SOL").length;

const result = {
  minutes,
  seed,
  machine: `${cpus()[0]?.model.trim() ?? "unknown"}, ${cpus().length} cores`,
  fillsExpected: truth.fills,
  fillsStored: stored.length,
  fillsMissing,
  fillsDuplicated,
  positionsCompared: truth.states.length,
  positionMismatches,
  closedPositionsExpected: truth.closed.length,
  pnlMismatches,
  alertsExpected: truth.alertKeys.size,
  // Posts of the kinds checked here (other health alerts, e.g. a long gap's "degraded", are not counted).
  alertsSent: [...alertPosts.keys()].filter(checkedKey).length,
  alertsDuplicated,
  alertsMissing,
  alertsUnexpected,
  liquidationAlerts,
  ownLiquidations: exchange.ownLiquidations,
  counterpartyLiquidations: exchange.counterpartyLiquidations,
  falseLiquidations,
  invalidFills: [...exchange.invalidFills.values()].reduce((a, b) => a + b, 0),
  invalidFillsStored: invalidTidsStored,
  skippedFillAlertsMissing: skippedAlertsMissing.length,
  resubscribeFaults,
  hip3Followed,
  hip3InSnapshot,
  channelRefusals: refusals,
  retriedForRefusal,
  postsByChannel: { discord: posts.discord.size, telegram: posts.telegram.size },
  snsPublishes: alerts.sns.published.length,
  lambdaDeadLetters: alerts.failedInvocations.length,
  restarts: restarts.SIGTERM + restarts.SIGKILL,
  restartsBySignal: restarts,
  faults,
  rest429: standIn.rateLimitedCount,
  unexpectedExits: crashes.length,
  peakRssMb,
};

await alerts.close();
await proxy.stop();
await reader.close();
await dynamo.close();
await standIn.stop();
rmSync(dataDir, { recursive: true, force: true });
entry.remove();

const failed =
  fillsMissing > 0 ||
  fillsDuplicated > 0 ||
  alertsMissing > 0 ||
  alertsDuplicated > 0 ||
  alertsUnexpected > 0 ||
  retriedForRefusal > 0 ||
  refusals.discord === 0 ||
  refusals.telegram === 0 ||
  falseLiquidations > 0 ||
  invalidTidsStored > 0 ||
  skippedAlertsMissing.length > 0 ||
  !hip3Followed ||
  !hip3InSnapshot ||
  positionMismatches > 0 ||
  pnlMismatches > 0 ||
  crashes.length > 0;
if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const lines = [
    `hl-monitor soak — ${minutes} min, seed ${seed}, ${result.machine}`,
    `fills    expected ${result.fillsExpected}  stored ${result.fillsStored}  missing ${fillsMissing}  duplicated ${fillsDuplicated}`,
    `positions compared ${result.positionsCompared}  mismatched ${positionMismatches};  closed positions expected ${result.closedPositionsExpected}  PnL mismatches ${pnlMismatches}`,
    `alerts   expected ${result.alertsExpected}  sent ${result.alertsSent}  duplicated ${alertsDuplicated}  missing ${alertsMissing}  unexpected ${alertsUnexpected}  (SNS publishes ${result.snsPublishes}, dead letters ${result.lambdaDeadLetters})`,
    `liquidations own ${exchange.ownLiquidations} (LIQUIDATION alerts ${liquidationAlerts}, false ${falseLiquidations}), counterparty ${exchange.counterpartyLiquidations};  invalid fills ${result.invalidFills} (stored ${invalidTidsStored}, accounts without their alert ${skippedAlertsMissing.length})`,
    `channels: Telegram blocked for ${Math.round((telegramBlocked.until - telegramBlocked.from) / 1000)} s (refusals ${refusals.telegram}), Discord webhook deleted at ${Math.round((discordDeletedAt - runStart) / 1000)} s (refusals ${refusals.discord}); posts Discord ${posts.discord.size}, Telegram ${posts.telegram.size}; invocations retried for a refusal ${retriedForRefusal}`,
    `resubscribes refused ${resubscribeFaults.refused}, unacknowledged ${resubscribeFaults.unacknowledged};  HIP-3 ${HIP3_COIN} followed ${hip3Followed}, in the stored snapshot ${hip3InSnapshot}`,
    `restarts ${result.restarts} (SIGTERM ${restarts.SIGTERM}, SIGKILL ${restarts.SIGKILL});  /info 429s ${result.rest429};  faults ${Object.entries(
      faults,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")};  unexpected exits ${crashes.length}`,
    `peak monitor RSS ${peakRssMb} MB`,
    failed ? "FAILED" : "passed: nothing missing, nothing duplicated, nothing false",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  for (const crash of crashes) process.stderr.write(`unexpected exit: ${crash}\n`);
  // The first few differences, to start a diagnosis from (the seed repeats the run's choices).
  const brief = (value: unknown) => JSON.stringify(value).slice(0, 400);
  for (const state of mismatchedStates.slice(0, 3)) {
    process.stderr.write(
      `position expected ${brief(state)}\n  stored   ${brief(storedStateByKey.get(stateKey(state)) ?? null)}\n`,
    );
  }
  for (const position of mismatchedClosed.slice(0, 3)) {
    const mine = closedById.get(`${position.account}|${position.positionId}`) ?? null;
    process.stderr.write(`closed expected ${brief(position)}\n  stored   ${brief(mine)}\n`);
  }
  for (const key of missingAlertKeys.slice(0, 3)) process.stderr.write(`alert missing ${key}\n`);
  for (const key of unexpectedAlertKeys.slice(0, 3)) process.stderr.write(`alert unexpected ${key}\n`);
}
process.exit(failed ? 1 : 0);
