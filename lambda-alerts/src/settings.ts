/**
 * Channel settings. In AWS they come from the alerts secret (`ALERTS_SECRET_ID`, a JSON object with
 * `DISCORD_WEBHOOK_URL`, `TELEGRAM_BOT_TOKEN`, `TELEGRAM_CHAT_ID`, and optionally `DISCORD_THREAD_ID`
 * (a thread, or a post of a forum channel, which a forum's webhook requires; a `thread_id` already in the
 * webhook URL works too) and `TELEGRAM_THREAD_ID` (a topic of a forum supergroup)), read once and cached for five minutes
 * so warm invocations cost no Secrets Manager call and a changed secret is picked up without a deploy.
 * Locally (no secret id) they come from the same names in the environment, plus `TELEGRAM_API_URL`.
 *
 * A value that is present but unusable is a SettingsError naming the variable, never echoing the value.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { TELEGRAM_PUBLIC_API } from "./channels/telegram.ts";
import type { ChannelSettings } from "./deliver.ts";

const CACHE_MS = 5 * 60_000;

export class SettingsError extends Error {
  override name = "SettingsError";
}

type Source = Record<string, string | undefined>;

export function channelSettingsFrom(source: Source, env: Source = source): ChannelSettings {
  const webhook = clean(source.DISCORD_WEBHOOK_URL);
  const token = clean(source.TELEGRAM_BOT_TOKEN);
  const chatId = clean(source.TELEGRAM_CHAT_ID);
  const apiUrl = clean(env.TELEGRAM_API_URL) ?? TELEGRAM_PUBLIC_API;
  const discordThreadId = clean(source.DISCORD_THREAD_ID);
  const telegramThreadId = clean(source.TELEGRAM_THREAD_ID);
  // Discord ids are snowflakes (digits); the thread id is the last number of the thread's link.
  if (discordThreadId !== null && !/^\d{1,20}$/.test(discordThreadId)) {
    throw new SettingsError("DISCORD_THREAD_ID must be a thread id (digits, from the thread's link)");
  }
  if (discordThreadId !== null && !webhook) {
    throw new SettingsError("DISCORD_THREAD_ID needs DISCORD_WEBHOOK_URL");
  }
  // message_thread_id is an integer; a topic's link ends in /<chat>/<topic id>.
  if (telegramThreadId !== null && !/^[1-9]\d{0,15}$/.test(telegramThreadId)) {
    throw new SettingsError(
      "TELEGRAM_THREAD_ID must be a topic id (a positive number, from the topic's link)",
    );
  }
  if (webhook) checkUrl("DISCORD_WEBHOOK_URL", webhook);
  checkUrl("TELEGRAM_API_URL", apiUrl);
  if ((token === null) !== (chatId === null)) {
    throw new SettingsError(
      "TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID go together: set both to use Telegram, or neither",
    );
  }
  if (token !== null && !/^\d+:[A-Za-z0-9_-]+$/.test(token)) {
    throw new SettingsError(
      "TELEGRAM_BOT_TOKEN is not a bot token (expected <digits>:<letters>, as BotFather gives it)",
    );
  }
  if (chatId !== null && !/^(-?\d+|@[A-Za-z0-9_]{5,})$/.test(chatId)) {
    throw new SettingsError(
      "TELEGRAM_CHAT_ID must be a numeric chat id (e.g. -1001234567890) or @channelname",
    );
  }
  return {
    discordWebhookUrl: webhook,
    discordThreadId,
    telegram: token && chatId ? { apiUrl, botToken: token, chatId, threadId: telegramThreadId } : null,
  };
}

/** HTTPS only, except plain HTTP to a loopback address (tests and local stand-ins). */
function checkUrl(name: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SettingsError(`${name} is not a URL`);
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new SettingsError(`${name} must be an https:// URL`);
  }
}

function clean(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/** Loads and caches the settings; one instance lives for the life of the execution environment. */
export class SettingsProvider {
  readonly #env: Source;
  readonly #client: () => SecretsManagerClient;
  readonly #now: () => number;
  #cached: { settings: ChannelSettings; at: number } | null = null;

  constructor(options: { env: Source; secretsClient: () => SecretsManagerClient; now?: () => number }) {
    this.#env = options.env;
    this.#client = options.secretsClient;
    this.#now = options.now ?? Date.now;
  }

  async get(): Promise<ChannelSettings> {
    if (this.#cached && this.#now() - this.#cached.at < CACHE_MS) return this.#cached.settings;
    const secretId = clean(this.#env.ALERTS_SECRET_ID);
    const settings = secretId ? await this.#fromSecret(secretId) : channelSettingsFrom(this.#env);
    this.#cached = { settings, at: this.#now() };
    return settings;
  }

  async #fromSecret(secretId: string): Promise<ChannelSettings> {
    const result = await this.#client().send(new GetSecretValueCommand({ SecretId: secretId }));
    let parsed: unknown;
    try {
      parsed = JSON.parse(result.SecretString ?? "");
    } catch {
      throw new SettingsError(`the alerts secret ${secretId} is not a JSON object`);
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new SettingsError(`the alerts secret ${secretId} is not a JSON object`);
    }
    const values = Object.fromEntries(
      Object.entries(parsed).map(([key, value]) => [key, typeof value === "string" ? value : undefined]),
    );
    return channelSettingsFrom(values, this.#env);
  }
}
