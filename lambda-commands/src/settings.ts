/**
 * The commands Lambda's settings. As in the alert Lambda (lambda-alerts/src/settings.ts): in AWS from
 * Secrets Manager, each secret a JSON object read once and cached for an hour (reread sooner, at most every
 * five minutes, when a request is refused in a way newer settings could change: see settingsMissResponse);
 * locally (no secret id set) from the same names in the environment.
 *
 * - the alerts secret (`ALERTS_SECRET_ID`): TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID (a comma list),
 *   TELEGRAM_WEBHOOK_SECRET, DISCORD_PUBLIC_KEY, DISCORD_APPLICATION_ID, and in supabase mode the read path:
 *   SUPABASE_URL, SUPABASE_ANON_KEY and SUPABASE_READ_KEY. Not the Supabase secret: that one holds the
 *   monitor's service key, which this function must not be able to read.
 * - the credentials secret (`CREDENTIALS_SECRET_ID`): ACCOUNT_ADDRESS, the accounts the commands cover.
 * TELEGRAM_API_URL and DISCORD_API_URL always come from the environment (the loopback stand-ins in tests).
 *
 * A value present but unusable is a SettingsError naming the variable, never echoing the value.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { TELEGRAM_PUBLIC_API } from "../../lambda-alerts/src/channels/telegram.ts";
import { SettingsError } from "../../lambda-alerts/src/settings.ts";
import { DISCORD_API } from "./discord/register.ts";

export { SettingsError };

/** How long settings are used before they are read again: Secrets Manager bills every read. */
export const SETTINGS_CACHE_MS = 60 * 60_000;
/** The soonest a refusal may cause another read (a flood of bad requests costs one read per 5 min). */
export const SETTINGS_RELOAD_ON_MISS_MS = 5 * 60_000;
/** The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

type Source = Record<string, string | undefined>;

export interface TelegramCommandSettings {
  apiUrl: string;
  botToken: string;
  webhookSecret: string;
  /** The chats that get answers (TELEGRAM_CHAT_ID); any chat may ask `/chatid`. */
  chatIds: ReadonlySet<string>;
}

export interface DiscordCommandSettings {
  publicKey: KeyObject;
  applicationId: string | null;
  /** Discord's API base (DISCORD_API_URL, default https://discord.com/api/v10): the interaction callbacks. */
  apiUrl: string;
}

export interface CommandSettings {
  telegram: TelegramCommandSettings | null;
  discord: DiscordCommandSettings | null;
  accounts: string[];
  supabase: SupabaseReadSettings | null;
}

export interface SupabaseReadSettings {
  url: string;
  /** The project's public anon key: the API gateway wants a project key in `apikey`. */
  anonKey: string;
  /** A JWT for the read-only `hl_reader` role (sql/commands-reader.sql): what PostgREST runs as. */
  readKey: string;
}

export function commandSettingsFrom(alerts: Source, credentials: Source, env: Source): CommandSettings {
  return {
    telegram: telegramSettings(alerts, env),
    discord: discordSettings(alerts, env),
    accounts: accountsFrom(credentials.ACCOUNT_ADDRESS),
    supabase: supabaseSettings(alerts),
  };
}

function telegramSettings(source: Source, env: Source): TelegramCommandSettings | null {
  const token = clean(source.TELEGRAM_BOT_TOKEN);
  const secret = clean(source.TELEGRAM_WEBHOOK_SECRET);
  if (token === null || secret === null) return null;
  if (!/^\d+:[A-Za-z0-9_-]+$/.test(token)) {
    throw new SettingsError(
      "TELEGRAM_BOT_TOKEN is not a bot token (expected <digits>:<letters>, as BotFather gives it)",
    );
  }
  // setWebhook's secret_token: 1-256 characters, A-Z a-z 0-9 _ - (core.telegram.org/bots/api#setwebhook).
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
    throw new SettingsError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -");
  }
  const chatIds = (clean(source.TELEGRAM_CHAT_ID) ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  for (const id of chatIds) {
    if (!/^-?\d+$/.test(id))
      throw new SettingsError("TELEGRAM_CHAT_ID must be numeric chat ids, comma-separated");
  }
  const apiUrl = clean(env.TELEGRAM_API_URL) ?? TELEGRAM_PUBLIC_API;
  return { apiUrl, botToken: token, webhookSecret: secret, chatIds: new Set(chatIds) };
}

function discordSettings(source: Source, env: Source): DiscordCommandSettings | null {
  const key = clean(source.DISCORD_PUBLIC_KEY);
  if (key === null) return null;
  const applicationId = clean(source.DISCORD_APPLICATION_ID);
  if (applicationId !== null && !/^\d{1,20}$/.test(applicationId)) {
    throw new SettingsError("DISCORD_APPLICATION_ID must be the application id (digits)");
  }
  const apiUrl = clean(env.DISCORD_API_URL) ?? DISCORD_API;
  return { publicKey: ed25519PublicKey(key), applicationId, apiUrl };
}

/** The application's public key as Discord shows it (64 hex digits), wrapped as SPKI DER for node:crypto. */
export function ed25519PublicKey(hex: string): KeyObject {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new SettingsError("DISCORD_PUBLIC_KEY must be the application's public key (64 hex digits)");
  }
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, "hex")]),
    format: "der",
    type: "spki",
  });
}

function accountsFrom(value: string | undefined): string[] {
  const accounts = (clean(value) ?? "")
    .split(",")
    .map((account) => account.trim().toLowerCase())
    .filter((account) => account !== "");
  for (const account of accounts) {
    if (!/^0x[0-9a-f]{40}$/.test(account))
      throw new SettingsError("ACCOUNT_ADDRESS must be 0x addresses, comma-separated");
  }
  return [...new Set(accounts)];
}

function supabaseSettings(source: Source): SupabaseReadSettings | null {
  const url = clean(source.SUPABASE_URL);
  const anonKey = clean(source.SUPABASE_ANON_KEY);
  const readKey = clean(source.SUPABASE_READ_KEY);
  if (url === null && readKey === null) return null;
  if (url === null || anonKey === null || readKey === null) {
    throw new SettingsError(
      "the commands read Supabase with SUPABASE_URL, SUPABASE_ANON_KEY and SUPABASE_READ_KEY together (see sql/commands-reader.sql)",
    );
  }
  return { url, anonKey, readKey };
}

function clean(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/** Loads and caches the settings; one instance lives for the life of the execution environment. */
export class CommandSettingsProvider {
  readonly #env: Source;
  readonly #client: () => SecretsManagerClient;
  readonly #now: () => number;
  #cached: { settings: CommandSettings; at: number } | null = null;

  constructor(options: { env: Source; secretsClient: () => SecretsManagerClient; now?: () => number }) {
    this.#env = options.env;
    this.#client = options.secretsClient;
    this.#now = options.now ?? Date.now;
  }

  async get(): Promise<CommandSettings> {
    if (this.#cached && this.#now() - this.#cached.at < SETTINGS_CACHE_MS) return this.#cached.settings;
    return this.#load();
  }

  /** Reads the settings again unless they were read less than `SETTINGS_RELOAD_ON_MISS_MS` ago (then null). */
  async reloadAfterMiss(): Promise<CommandSettings | null> {
    if (this.#cached && this.#now() - this.#cached.at < SETTINGS_RELOAD_ON_MISS_MS) return null;
    return this.#load();
  }

  async #load(): Promise<CommandSettings> {
    const [alerts, credentials] = await Promise.all([
      this.#source(this.#env.ALERTS_SECRET_ID, "alerts"),
      this.#source(this.#env.CREDENTIALS_SECRET_ID, "credentials"),
    ]);
    const settings = commandSettingsFrom(alerts, credentials, this.#env);
    this.#cached = { settings, at: this.#now() };
    return settings;
  }

  /** The secret's keys when its id is set, else the environment. */
  async #source(id: string | undefined, purpose: string): Promise<Source> {
    const secretId = clean(id);
    if (secretId === null) return this.#env;
    const result = await this.#client().send(new GetSecretValueCommand({ SecretId: secretId }));
    let parsed: unknown;
    try {
      parsed = JSON.parse(result.SecretString ?? "");
    } catch {
      throw new SettingsError(`the ${purpose} secret ${secretId} is not a JSON object`);
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new SettingsError(`the ${purpose} secret ${secretId} is not a JSON object`);
    }
    return Object.fromEntries(
      Object.entries(parsed).map(([key, value]) => [key, typeof value === "string" ? value : undefined]),
    );
  }
}
