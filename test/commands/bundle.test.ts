/**
 * The commands Lambda as deployed: bundled by esbuild as the stack's NodejsFunction does (CJS, the AWS
 * SDK left to the runtime), then run from the bundle in a separate Node process: a Discord PING signed
 * with a fresh key, and a Telegram /help through the loopback Bot API.
 */
import { execFile } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { TelegramStandIn } from "../support/telegramStandIn.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// Inside the project, so that the external AWS SDK resolves from node_modules as the runtime provides it.
const OUT = join(ROOT, "data", `commands-bundle-${process.pid}`);
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe("commands Lambda bundle", () => {
  it("bundles without the AWS SDK and answers Discord and Telegram from the bundle", async () => {
    mkdirSync(OUT, { recursive: true });
    const outfile = join(OUT, "index.cjs");
    await build({
      entryPoints: [join(ROOT, "lambda-commands/src/handler.ts")],
      bundle: true,
      platform: "node",
      target: "node24",
      format: "cjs",
      minify: true,
      external: ["@aws-sdk/*"],
      outfile,
      logLevel: "silent",
    });
    const kb = statSync(outfile).size / 1024;
    console.log(`commands Lambda bundle: ${kb.toFixed(1)} KB`);
    expect(kb).toBeLessThan(1_000);

    const keys = generateKeyPairSync("ed25519");
    const publicKey = keys.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("hex");
    const timestamp = String(Math.floor(Date.now() / 1000));
    const ping = JSON.stringify({ type: 1, id: "1", application_id: "2", token: "t", version: 1 });
    const signature = sign(null, Buffer.from(timestamp + ping), keys.privateKey).toString("hex");
    const telegram = await TelegramStandIn.start();
    try {
      const events = [
        {
          rawPath: "/discord",
          headers: { "x-signature-ed25519": signature, "x-signature-timestamp": timestamp },
          body: ping,
          isBase64Encoded: false,
          requestContext: { http: { method: "POST" } },
        },
        {
          rawPath: "/telegram",
          headers: { "x-telegram-bot-api-secret-token": "bundle_secret" },
          body: JSON.stringify({
            update_id: 1,
            message: {
              message_id: 1,
              date: 1,
              text: "/help",
              chat: { id: Number(telegram.chatId), type: "supergroup" },
            },
          }),
          isBase64Encoded: false,
          requestContext: { http: { method: "POST" } },
        },
      ];
      const runner = join(OUT, "run.cjs");
      writeFileSync(
        runner,
        `const { handler } = require("./index.cjs");
(async () => { for (const e of ${JSON.stringify(events)}) { const r = await handler(e, { getRemainingTimeInMillis: () => 10000 }); process.stdout.write("RESULT " + JSON.stringify(r) + "\\n"); } })()
  .catch((e) => { console.error(e.message); process.exit(1); });`,
      );
      const { stdout } = await promisify(execFile)(process.execPath, [runner], {
        env: {
          PATH: process.env.PATH,
          LOG_LEVEL: "warn",
          DISCORD_PUBLIC_KEY: publicKey,
          TELEGRAM_BOT_TOKEN: telegram.botToken,
          TELEGRAM_CHAT_ID: telegram.chatId,
          TELEGRAM_WEBHOOK_SECRET: "bundle_secret",
          TELEGRAM_API_URL: telegram.url,
        },
        timeout: 20_000,
      });
      const results = stdout
        .split("\n")
        .filter((line) => line.startsWith("RESULT "))
        .map((line) => JSON.parse(line.slice(7)));
      expect(results[0]).toMatchObject({ statusCode: 200, body: '{"type":1}' });
      expect(results[1]).toMatchObject({ statusCode: 200 });
      expect(telegram.messages).toHaveLength(1);
      expect(telegram.messages[0]!.text).toContain("hl-monitor commands");
      expect(stdout).not.toContain(telegram.botToken);
    } finally {
      await telegram.close();
    }
  });
});
