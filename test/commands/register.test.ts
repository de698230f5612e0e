/**
 * `npm run telegram:webhook` and `npm run discord:register` against the loopback Bot API and Discord API:
 * what they register, that the Discord list is one Discord accepts, and that a token never shows in an
 * error or the output.
 */
import { execFile } from "node:child_process";
import { dirname, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerDiscordCommands } from "../../lambda-commands/src/discord/register.ts";
import { registerTelegramWebhook } from "../../lambda-commands/src/telegram/register.ts";
import { DiscordStandIn } from "../support/discordStandIn.ts";
import { TelegramStandIn } from "../support/telegramStandIn.ts";

let telegram: TelegramStandIn;
let discord: DiscordStandIn;
beforeEach(async () => {
  telegram = await TelegramStandIn.start();
  discord = await DiscordStandIn.start();
});
afterEach(async () => {
  await telegram.close();
  await discord.close();
});

/** The command in a child process, asynchronously: the stand-ins answer from this process's event loop. */
function run(
  entry: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [resolve(entry), ...args],
      { env: { PATH: dirname(process.execPath), ...env }, encoding: "utf8", timeout: 30_000 },
      (error, stdout, stderr) => done({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("telegram:webhook", () => {
  it("sets the webhook with the secret, message updates only, and the command menu", async () => {
    await registerTelegramWebhook({
      apiUrl: telegram.url,
      botToken: telegram.botToken,
      webhookUrl: "https://abc.lambda-url.eu-west-1.on.aws/telegram",
      secretToken: "hook_secret-123",
    });
    expect(telegram.webhook).toEqual({
      url: "https://abc.lambda-url.eu-west-1.on.aws/telegram",
      secretToken: "hook_secret-123",
      allowedUpdates: ["message"],
    });
    expect(telegram.commands!.map((c) => c.command)).toEqual([
      "status",
      "positions",
      "pnl",
      "fills",
      "orders",
      "help",
      "chatid",
    ]);
  });

  it("as a command: prints what it did, never the token; a wrong token fails in one line", async () => {
    const env = {
      TELEGRAM_BOT_TOKEN: telegram.botToken,
      TELEGRAM_WEBHOOK_SECRET: "hook_secret-123",
      TELEGRAM_API_URL: telegram.url,
    };
    const url = "https://abc.lambda-url.eu-west-1.on.aws/telegram";
    const ok = await run("bin/telegram-webhook.ts", ["--url", url], env);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^webhook set to https:\/\/abc/);
    const wrong = await run("bin/telegram-webhook.ts", ["--url", url], {
      ...env,
      TELEGRAM_BOT_TOKEN: "1:wrong-token",
    });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toBe("telegram:webhook: Telegram setWebhook failed: HTTP 401 Unauthorized\n");
    for (const output of [ok.stdout, ok.stderr, wrong.stdout, wrong.stderr]) {
      expect(output).not.toContain(telegram.botToken);
      expect(output).not.toContain("wrong-token");
    }
    const insecure = await run("bin/telegram-webhook.ts", ["--url", "http://example.com/telegram"], env);
    expect(insecure.status).toBe(2);
  });
});

describe("discord:register", () => {
  it("puts the slash commands, which the API accepts", async () => {
    const { commands } = await registerDiscordCommands({
      apiUrl: discord.apiUrl,
      applicationId: discord.applicationId,
      botToken: discord.botToken,
    });
    expect(commands).toEqual(["status", "positions", "pnl", "fills", "orders", "help"]);
    const pnl = discord.applicationCommands!.find((c) => c.name === "pnl")!;
    expect(pnl.options).toEqual([
      expect.objectContaining({ name: "period", type: 3, choices: expect.any(Array) }),
      expect.objectContaining({ name: "account", type: 3, required: false }),
    ]);
  });

  it("as a command: a wrong token fails in one line without it", async () => {
    const env = {
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_URL: discord.apiUrl,
    };
    const ok = await run("bin/discord-register.ts", [], { ...env, DISCORD_BOT_TOKEN: discord.botToken });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe("registered 6 commands: /status /positions /pnl /fills /orders /help\n");
    const wrong = await run("bin/discord-register.ts", [], { ...env, DISCORD_BOT_TOKEN: "not-the-token" });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toBe(
      "discord:register: Discord command registration failed: HTTP 401 401: Unauthorized (code 0)\n",
    );
    expect(`${ok.stdout}${ok.stderr}${wrong.stderr}`).not.toContain(discord.botToken);
    expect((await run("bin/discord-register.ts", [], env)).status).toBe(2);
  });
});
