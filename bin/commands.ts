/**
 * `npm run commands -- /pnl 30d`: runs a chat command with the commands Lambda's own code against a local
 * store (by default the one `npm run demo` fills, in ./data/demo) and prints the reply as a chat would
 * show it; `/pnl` also draws its chart with the Lambda's renderer and writes the PNG. Nothing is sent
 * anywhere, and nothing is asked of the network unless `--api-url` names where `/pnl`'s funding comes from.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { renderChartLazily } from "../lambda-alerts/src/render/chartLazily.ts";
import { CHART_HEIGHT, CHART_WIDTH } from "../lambda-alerts/src/render/pnlChart.ts";
import { parseCommandText } from "../lambda-commands/src/commands/parse.ts";
import { plainReplyText } from "../lambda-commands/src/commands/render.ts";
import { runCommand } from "../lambda-commands/src/commands/runCommand.ts";
import { FetchInfo } from "../lambda-commands/src/hyperliquid/fetchInfo.ts";
import { DynamoCommandStore } from "../lambda-commands/src/store/dynamoCommandStore.ts";
import { parseCommandLineWithArguments } from "../monitor/src/commandLine.ts";
import { DEMO_ACCOUNT, DEMO_DIR, DEMO_MARKER } from "../monitor/src/demoSession.ts";
import { startEmbeddedDynamo } from "../monitor/src/storage/local.ts";

const { values, positionals } = parseCommandLineWithArguments({
  name: "commands",
  command: "npm run commands --",
  positionals: "/command [argument…]",
  summary:
    "Answers a Telegram/Discord command (/status, /positions, /pnl [today|7d|30d|all], /fills [n], /orders, /help) from a local store with the commands Lambda's code, and prints the reply. Run `npm run demo` first to fill ./data/demo.",
  options: {
    "data-dir": { type: "string", default: DEMO_DIR },
    account: { type: "string" },
    now: { type: "string" },
    chart: { type: "string" },
    "api-url": { type: "string" },
  },
  describe: {
    "data-dir": "the embedded store's folder (a DATA_DIR of `DB_MODE=local`)",
    account: "the monitored account(s), comma-separated (default ACCOUNT_ADDRESS, or the demo's account)",
    now: "the time the command runs at, ISO 8601 (default now; for the demo store, the end of its session)",
    // Beside the store's folder rather than in it: that folder is the embedded store's LevelDB.
    chart: "where /pnl's chart PNG is written (default ./data/pnl-<period>.png)",
    // Offline by default: the demo's account is a recorded one, and the demo runs without network.
    "api-url":
      "Hyperliquid's REST endpoint to ask /pnl's funding of (e.g. https://api.hyperliquid.xyz); without it the reply says funding is unavailable offline",
  },
  notes: [
    "example: npm run commands -- /pnl 30d --chart docs/images/pnl-chart.png",
    "environment: TABLE_PREFIX (default hl-), ACCOUNT_ADDRESS",
  ],
});

function fail(message: string): never {
  process.stderr.write(`commands: ${message}\n`);
  process.exit(2);
}

const parsed = parseCommandText(positionals.join(" "));
if (!parsed.ok) fail(parsed.usage ?? "give a command, e.g. /pnl 30d (see --help)");
if (parsed.command.name === "chatid") fail("/chatid answers in a Telegram chat only");
if (values.chart !== undefined && parsed.command.name !== "pnl") fail("--chart: only /pnl draws a chart");
const chartFile =
  parsed.command.name === "pnl"
    ? resolve(values.chart ?? join("data", `pnl-${parsed.command.period}.png`))
    : null;

const dataDir = resolve(values["data-dir"]);
if (!existsSync(dataDir)) fail(`no store in ${dataDir}: run \`npm run demo\` first, or give --data-dir`);
const isDemo = existsSync(join(dataDir, DEMO_MARKER));
const accounts = (values.account ?? process.env.ACCOUNT_ADDRESS ?? (isDemo ? DEMO_ACCOUNT : ""))
  .split(",")
  .map((account) => account.trim().toLowerCase())
  .filter((account) => account !== "");
if (accounts.length === 0) fail("which account? give --account or set ACCOUNT_ADDRESS");
const apiUrl = values["api-url"];
if (apiUrl !== undefined && !/^https?:\/\/[^/]/.test(apiUrl))
  fail("--api-url must be an http:// or https:// URL");
if (values.now !== undefined && Number.isNaN(Date.parse(values.now))) fail("--now must be an ISO 8601 time");

const embedded = await startEmbeddedDynamo({ dataDir });
const store = new DynamoCommandStore({
  tablePrefix: process.env.TABLE_PREFIX || "hl-",
  clientConfig: {
    endpoint: embedded.endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  },
});
try {
  let now = values.now !== undefined ? Date.parse(values.now) : Date.now();
  if (values.now === undefined && isDemo && parsed.command.name !== "status") {
    // The recorded session is from 2023: periods end at its last fill, as if it had just happened.
    // (/status keeps the real time: it is about when the demo last wrote.)
    const newest = await Promise.all(accounts.map((account) => store.latestFills(account, 1)));
    const times = newest.flat().map((fill) => fill.time);
    if (times.length > 0) now = Math.max(...times) + 1;
  }
  const reply = await runCommand(parsed.command, {
    accounts,
    store,
    platform: "telegram",
    now,
    deadlineMs: 10_000,
    version: "local",
    hyperliquid: apiUrl === undefined ? null : new FetchInfo(apiUrl),
  });
  process.stdout.write(`${plainReplyText(reply)}\n`);
  if (reply.chart && chartFile !== null) {
    // Drawn as the Lambda draws it for Telegram and Discord.
    const png = await renderChartLazily(reply.chart);
    await mkdir(dirname(chartFile), { recursive: true });
    await writeFile(chartFile, png);
    const shown = relative(process.cwd(), chartFile);
    const points = reply.chart.cumulativePnl.length;
    const values = reply.chart.accountValue?.length ?? 0;
    process.stdout.write(
      `chart: ${shown.startsWith("..") || isAbsolute(shown) ? chartFile : shown} (${CHART_WIDTH}×${CHART_HEIGHT} PNG, ${points} cumulative PnL point(s), ${values} account value point(s))\n`,
    );
  }
} finally {
  await embedded.close();
}
