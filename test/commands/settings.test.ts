/**
 * The commands Lambda's settings: from the alerts and credentials secrets in AWS (through the
 * loopback Secrets Manager), from the environment locally; mistakes name the variable, never the value.
 */
import { generateKeyPairSync } from "node:crypto";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLambdaLogger } from "../../lambda-alerts/src/logger.ts";
import { createCommandHandler } from "../../lambda-commands/src/handler.ts";
import type { FunctionUrlEvent } from "../../lambda-commands/src/http.ts";
import {
  CommandSettingsProvider,
  commandSettingsFrom,
  SettingsError,
} from "../../lambda-commands/src/settings.ts";
import { SecretsManagerStandIn } from "../support/secretsManagerStandIn.ts";
import { TelegramStandIn } from "../support/telegramStandIn.ts";

const ADDRESS = "0xb7b6f3cea3f66bf525f5d8f965f6dbf6d9b017b2";
const publicKeyHex = generateKeyPairSync("ed25519")
  .publicKey.export({ format: "der", type: "spki" })
  .subarray(-32)
  .toString("hex");

let secrets: SecretsManagerStandIn;
beforeAll(async () => {
  secrets = await SecretsManagerStandIn.start();
});
afterAll(async () => {
  await secrets.close();
});

describe("commands settings", () => {
  it("reads the alerts and credentials secrets in AWS, once an hour", async () => {
    secrets.secrets.set(
      "hl-monitor/alerts",
      JSON.stringify({
        TELEGRAM_BOT_TOKEN: "123:abc",
        TELEGRAM_CHAT_ID: "-1001, 42",
        TELEGRAM_WEBHOOK_SECRET: "s3cret_token",
        DISCORD_PUBLIC_KEY: publicKeyHex,
        DISCORD_APPLICATION_ID: "1187654321098765432",
        SUPABASE_URL: "https://p.supabase.co",
        SUPABASE_ANON_KEY: "anon",
        SUPABASE_READ_KEY: "jwt",
      }),
    );
    secrets.secrets.set(
      "hl-monitor/credentials",
      JSON.stringify({ ACCOUNT_ADDRESS: ADDRESS.toUpperCase().replace("0X", "0x") }),
    );
    // The monitor's Supabase secret, with the service key: the commands never ask for it.
    secrets.secrets.set(
      "hl-monitor/supabase",
      JSON.stringify({ SUPABASE_SERVICE_KEY: "service-never-read" }),
    );
    let now = 0;
    const provider = new CommandSettingsProvider({
      env: {
        ALERTS_SECRET_ID: "hl-monitor/alerts",
        CREDENTIALS_SECRET_ID: "hl-monitor/credentials",
      },
      secretsClient: () =>
        new SecretsManagerClient({
          endpoint: secrets.endpoint,
          region: "eu-west-1",
          credentials: { accessKeyId: "a", secretAccessKey: "b" },
        }),
      now: () => now,
    });
    const settings = await provider.get();
    expect(settings.telegram).toMatchObject({ botToken: "123:abc", webhookSecret: "s3cret_token" });
    expect([...settings.telegram!.chatIds]).toEqual(["-1001", "42"]);
    expect(settings.discord!.publicKey.asymmetricKeyType).toBe("ed25519");
    expect(settings.accounts).toEqual([ADDRESS]);
    expect(settings.supabase).toEqual({ url: "https://p.supabase.co", anonKey: "anon", readKey: "jwt" });
    expect(JSON.stringify(settings)).not.toContain("service-never-read");
    const calls = secrets.getSecretValueCalls;
    now += 59 * 60_000;
    await provider.get();
    expect(secrets.getSecretValueCalls).toBe(calls);
    now += 60_000;
    await provider.get();
    expect(secrets.getSecretValueCalls).toBe(calls + 2);
    // After a refusal newer settings might change: reread, but not within five minutes of the last read.
    now += 4 * 60_000;
    expect(await provider.reloadAfterMiss()).toBeNull();
    expect(secrets.getSecretValueCalls).toBe(calls + 2);
    now += 60_000;
    expect(await provider.reloadAfterMiss()).not.toBeNull();
    expect(secrets.getSecretValueCalls).toBe(calls + 4);
  });

  it("answers with a webhook secret changed minutes ago, and a flood of wrong secrets costs one read per five minutes", async () => {
    const telegram = await TelegramStandIn.start();
    try {
      const alerts = (webhookSecret: string) =>
        JSON.stringify({
          TELEGRAM_BOT_TOKEN: telegram.botToken,
          TELEGRAM_CHAT_ID: telegram.chatId,
          TELEGRAM_WEBHOOK_SECRET: webhookSecret,
        });
      secrets.secrets.set("hl-monitor/alerts", alerts("old_secret"));
      secrets.secrets.set("hl-monitor/credentials", JSON.stringify({ ACCOUNT_ADDRESS: ADDRESS }));
      let now = Date.parse("2026-12-02T12:00:00Z");
      const handler = createCommandHandler({
        env: {
          ALERTS_SECRET_ID: "hl-monitor/alerts",
          CREDENTIALS_SECRET_ID: "hl-monitor/credentials",
          TELEGRAM_API_URL: telegram.url,
        },
        secretsClient: () =>
          new SecretsManagerClient({
            endpoint: secrets.endpoint,
            region: "eu-west-1",
            credentials: { accessKeyId: "a", secretAccessKey: "b" },
          }),
        store: () => null,
        logger: createLambdaLogger({ level: "silent" }),
        now: () => now,
      });
      const help = (secret: string): FunctionUrlEvent => ({
        rawPath: "/telegram",
        headers: { "x-telegram-bot-api-secret-token": secret },
        body: JSON.stringify({
          update_id: 1,
          message: {
            message_id: 1,
            date: 1,
            chat: { id: Number(telegram.chatId), type: "supergroup" },
            text: "/help",
          },
        }),
        isBase64Encoded: false,
        requestContext: { http: { method: "POST" } } as FunctionUrlEvent["requestContext"],
      });
      expect((await handler(help("old_secret"))).statusCode).toBe(200);
      const reads = secrets.getSecretValueCalls;
      // The operator sets a new secret (and re-registers the webhook with it) ten minutes later.
      secrets.secrets.set("hl-monitor/alerts", alerts("new_secret"));
      now += 10 * 60_000;
      expect((await handler(help("new_secret"))).statusCode).toBe(200);
      expect(telegram.messages).toHaveLength(2);
      expect(secrets.getSecretValueCalls).toBe(reads + 2);
      // Twenty forged requests within the next five minutes: refused, and no further reads.
      for (let i = 0; i < 20; i += 1) {
        now += 10_000;
        expect((await handler(help(`forged_${i}`))).statusCode).toBe(401);
      }
      expect(secrets.getSecretValueCalls).toBe(reads + 2);
      expect(telegram.messages).toHaveLength(2);
    } finally {
      await telegram.close();
    }
  });

  it("leaves a platform off when its keys are absent, so /help still works", () => {
    const settings = commandSettingsFrom({}, {}, {});
    expect(settings).toMatchObject({ telegram: null, discord: null, accounts: [], supabase: null });
  });

  it.each([
    [{ TELEGRAM_BOT_TOKEN: "123:abc", TELEGRAM_WEBHOOK_SECRET: "has space" }, /TELEGRAM_WEBHOOK_SECRET/],
    [
      { TELEGRAM_BOT_TOKEN: "123:abc", TELEGRAM_WEBHOOK_SECRET: "ok", TELEGRAM_CHAT_ID: "@channel" },
      /TELEGRAM_CHAT_ID/,
    ],
    [{ DISCORD_PUBLIC_KEY: "zz-not-a-key" }, /DISCORD_PUBLIC_KEY/],
    [{ DISCORD_PUBLIC_KEY: publicKeyHex, DISCORD_APPLICATION_ID: "app" }, /DISCORD_APPLICATION_ID/],
  ])("refuses %j naming the variable, not the value", (alerts, message) => {
    let error: unknown;
    try {
      commandSettingsFrom(alerts, {}, {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as Error).message).toMatch(message);
    for (const value of Object.values(alerts))
      if (value.length > 3) expect((error as Error).message).not.toContain(value);
  });
});
