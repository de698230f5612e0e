/**
 * The commands Lambda as deployed: bundled by esbuild as the stack's NodejsFunction does (CJS, the AWS
 * SDK left to the runtime, the chart assets copied beside it by the stack's own afterBundling hook), then
 * run from the bundle in a separate Node process: a Discord PING signed with a fresh key, a Telegram /help
 * through the loopback Bot API, and `/pnl` with its chart on both, read from dynalite.
 */
import { execFile, execFileSync } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART_ASSETS_FOLDER, chartAssetsBundling } from "../../lib/chartAssetsBundling.ts";
import { DynamoStore } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { type EmbeddedDynamo, startInMemoryDynamo } from "../../monitor/src/storage/local.ts";
import { DiscordStandIn } from "../support/discordStandIn.ts";
import { bundleLambda } from "../support/lambdaBundle.ts";
import { pngSize } from "../support/multipart.ts";
import { TelegramStandIn } from "../support/telegramStandIn.ts";
import { ACCOUNT, closedPosition, snapshot } from "./records.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// Inside the project, so that the external AWS SDK resolves from node_modules as the runtime provides it.
const OUT = join(ROOT, "data", `commands-bundle-${process.pid}`);
const WEBHOOK_SECRET = "bundle_secret";
const keys = generateKeyPairSync("ed25519");
const publicKey = keys.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("hex");

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  await bundleLambda("lambda-commands/src/handler.ts", join(OUT, "index.cjs"));
  // The stack's own hook (lib/chartAssetsBundling.ts), run as the CDK runs it: shell commands.
  execFileSync("sh", ["-c", chartAssetsBundling().commandHooks.afterBundling(ROOT, OUT).join(" && ")]);
}, 60_000);
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

const functionUrlEvent = (rawPath: string, headers: Record<string, string>, body: string) => ({
  rawPath,
  headers,
  body,
  isBase64Encoded: false,
  requestContext: { http: { method: "POST" } },
});

function discordEvent(body: string) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = sign(null, Buffer.from(timestamp + body), keys.privateKey).toString("hex");
  return functionUrlEvent(
    "/discord",
    { "x-signature-ed25519": signature, "x-signature-timestamp": timestamp },
    body,
  );
}

const telegramEvent = (text: string, chatId: string) =>
  functionUrlEvent(
    "/telegram",
    { "x-telegram-bot-api-secret-token": WEBHOOK_SECRET },
    JSON.stringify({
      update_id: 1,
      message: { message_id: 1, date: 1, text, chat: { id: Number(chatId), type: "supergroup" } },
    }),
  );

/**
 * Runs the events one after another in one Node process on the bundle (as one execution environment
 * would), printing each result and the process's resident memory before and after each.
 */
async function runBundle(events: unknown[], env: Record<string, string>) {
  const runner = join(OUT, `run-${Math.random().toString(36).slice(2)}.cjs`);
  writeFileSync(
    runner,
    `const rss = () => process.memoryUsage().rss;
const before = rss();
const { handler } = require("./index.cjs");
(async () => {
  process.stdout.write("RSS " + JSON.stringify({ start: before, loaded: rss() }) + "\\n");
  for (const e of ${JSON.stringify(events)}) {
    const r = await handler(e, { getRemainingTimeInMillis: () => 10000 });
    process.stdout.write("RESULT " + JSON.stringify(r) + "\\n");
    process.stdout.write("RSS " + JSON.stringify({ after: rss() }) + "\\n");
  }
})().catch((e) => { console.error(e.message); process.exit(1); });`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, [runner], {
    env: { PATH: process.env.PATH ?? "", ...env },
    timeout: 30_000,
  });
  const lines = stdout.split("\n");
  const tagged = (tag: string) =>
    lines.filter((line) => line.startsWith(`${tag} `)).map((line) => JSON.parse(line.slice(tag.length + 1)));
  const logs = lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
  return { stdout, results: tagged("RESULT"), rss: tagged("RSS"), logs };
}

describe("commands Lambda bundle", () => {
  it("bundles without the AWS SDK and answers Discord and Telegram from the bundle", async () => {
    const kb = statSync(join(OUT, "index.cjs")).size / 1024;
    console.log(`commands Lambda bundle: ${kb.toFixed(1)} KB`);
    expect(kb).toBeLessThan(1_000);

    const ping = JSON.stringify({ type: 1, id: "1", application_id: "2", token: "t", version: 1 });
    const telegram = await TelegramStandIn.start();
    try {
      const { results, stdout } = await runBundle(
        [discordEvent(ping), telegramEvent("/help", telegram.chatId)],
        {
          LOG_LEVEL: "warn",
          DISCORD_PUBLIC_KEY: publicKey,
          TELEGRAM_BOT_TOKEN: telegram.botToken,
          TELEGRAM_CHAT_ID: telegram.chatId,
          TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
          TELEGRAM_API_URL: telegram.url,
        },
      );
      expect(results[0]).toMatchObject({ statusCode: 200, body: '{"type":1}' });
      expect(results[1]).toMatchObject({ statusCode: 200 });
      expect(telegram.messages).toHaveLength(1);
      expect(telegram.messages[0]!.text).toContain("hl-monitor commands");
      expect(stdout).not.toContain(telegram.botToken);
    } finally {
      await telegram.close();
    }
  });

  describe("with a store", () => {
    let dynamo: EmbeddedDynamo;
    const tablePrefix = `bundle${process.pid}-`;
    beforeAll(async () => {
      dynamo = await startInMemoryDynamo();
      const writer = new DynamoStore({
        tablePrefix,
        clientConfig: {
          endpoint: dynamo.endpoint,
          region: "local",
          credentials: { accessKeyId: "l", secretAccessKey: "l" },
        },
      });
      await writer.init();
      const now = Date.now();
      await writer.savePositions(
        [],
        Array.from({ length: 12 }, (_, i) =>
          closedPosition({
            coin: i % 2 === 0 ? "BTC" : "ETH",
            closedAt: now - (12 - i) * 2 * 86_400_000,
            realizedPnl: i % 3 === 0 ? "-4.25" : "7.5",
          }),
        ),
      );
      await writer.putAccountSnapshot(snapshot(now - 3_600_000, "1000.5"));
      await writer.close();
    });
    afterAll(async () => {
      await dynamo.close();
    });

    it("draws /pnl's chart from the bundle with the copied assets: a Telegram photo, a Discord callback", async () => {
      const telegram = await TelegramStandIn.start();
      const discord = await DiscordStandIn.start();
      try {
        const interaction = discord.openInteraction();
        const pnl = JSON.stringify({
          type: 2,
          id: interaction.id,
          token: interaction.token,
          application_id: "2",
          version: 1,
          member: { user: { id: "53908232506183680" } },
          data: { type: 1, name: "pnl", id: "3", options: [{ type: 3, name: "period", value: "30d" }] },
        });
        const { results, rss, logs, stdout } = await runBundle(
          [
            // First a command without a chart: the store client is loaded, the renderer not yet.
            telegramEvent("/status", telegram.chatId),
            telegramEvent("/pnl 30d", telegram.chatId),
            telegramEvent("/pnl 7d", telegram.chatId),
            discordEvent(pnl),
          ],
          {
            LOG_LEVEL: "info",
            ACCOUNT_ADDRESS: ACCOUNT,
            DB_MODE: "dynamodb",
            TABLE_PREFIX: tablePrefix,
            DYNAMODB_ENDPOINT: dynamo.endpoint,
            AWS_REGION: "local",
            CHART_ASSETS_DIR: join(OUT, CHART_ASSETS_FOLDER),
            DISCORD_PUBLIC_KEY: publicKey,
            DISCORD_API_URL: discord.apiUrl,
            TELEGRAM_BOT_TOKEN: telegram.botToken,
            TELEGRAM_CHAT_ID: telegram.chatId,
            TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
            TELEGRAM_API_URL: telegram.url,
          },
        );
        expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 202]);
        expect(telegram.messages.map((m) => m.text)).toEqual([
          expect.stringContaining("Monitor: "),
          expect.stringContaining("PnL last 30d"),
          expect.stringContaining("PnL last 7d"),
        ]);
        expect(telegram.photos.map((p) => pngSize(p.bytes))).toEqual([
          { width: 1080, height: 720 },
          { width: 1080, height: 720 },
        ]);
        const [answer] = discord.interactionResponses;
        expect(answer!.data.embeds[0]!.image).toEqual({ url: "attachment://pnl.png" });
        expect(pngSize(answer!.data.files![0]!.bytes)).toEqual({ width: 1080, height: 720 });
        expect(stdout).not.toContain(telegram.botToken);
        expect(stdout).not.toContain(interaction.token);

        const drawn = logs.filter((log) => log.msg === "chart drawn").map((log) => log.chartMs as number);
        expect(drawn).toHaveLength(3);
        const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
        const [{ loaded }, status, ...charts] = rss as [{ loaded: number }, ...{ after: number }[]];
        const peak = Math.max(...charts.map((c) => c.after));
        console.log(
          `chart from the bundle: first ${drawn[0]} ms (loads resvg.wasm and the fonts), then ${drawn.slice(1).join(", ")} ms; ` +
            `RSS ${mb(loaded)} MB loaded, ${mb(status!.after)} MB after /status, ` +
            `${charts.map((c) => mb(c.after)).join(" → ")} MB after each /pnl (at most ${mb(peak - status!.after)} MB more)`,
        );
      } finally {
        await telegram.close();
        await discord.close();
      }
    });
  });
});
