/**
 * The commands Lambda, behind one Function URL: `POST /telegram` is the Telegram webhook, `POST /discord`
 * the Discord interactions endpoint. Both answer the same commands from a read-only view of the monitor's
 * store (DynamoDB, or Supabase with a read-only key).
 *
 * Before anything is read or sent, in this order: a body over 64 KB → 413; an unknown path → 404; a
 * failed secret or signature check → 401; malformed JSON → 400. Each of those returns at once.
 *
 * Environment: ALERTS_SECRET_ID, CREDENTIALS_SECRET_ID (AWS; locally the same keys as
 * variables: TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID, TELEGRAM_WEBHOOK_SECRET, DISCORD_PUBLIC_KEY,
 * DISCORD_APPLICATION_ID, ACCOUNT_ADDRESS, SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_READ_KEY), TELEGRAM_API_URL,
 * DISCORD_API_URL, HYPERLIQUID_API_URL (`/pnl`'s funding; default mainnet), DB_MODE (dynamodb or supabase), TABLE_PREFIX, DYNAMODB_ENDPOINT (tests), LOG_LEVEL,
 * COMMANDS_VERSION, CHART_ASSETS_DIR (the chart renderer's files; the stack copies them beside the bundle).
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Context } from "aws-lambda";
import { createLambdaLogger, type Logger } from "../../lambda-alerts/src/logger.ts";
import { renderChartLazily } from "../../lambda-alerts/src/render/chartLazily.ts";
import type { PnlChartInput } from "./commands/pnlSeries.ts";
import { handleDiscordInteraction } from "./discord/interactions.ts";
import {
  emptyResponse,
  type FunctionUrlEvent,
  type FunctionUrlResult,
  header,
  isSettingsMiss,
  requestBody,
} from "./http.ts";
import { DEFAULT_HYPERLIQUID_API_URL, FetchInfo } from "./hyperliquid/fetchInfo.ts";
import { RateLimiter } from "./rateLimit.ts";
import { type CommandSettings, CommandSettingsProvider, type SupabaseReadSettings } from "./settings.ts";
import type { CommandStore } from "./store/commandStore.ts";
import { DynamoCommandStore } from "./store/dynamoCommandStore.ts";
import { handleTelegramUpdate, TELEGRAM_SECRET_HEADER } from "./telegram/webhook.ts";

/** Store reads per command: Telegram waits for the webhook up to the function's timeout (10 s). */
export const TELEGRAM_READ_DEADLINE_MS = 5_000;
/** Discord wants the interaction answered within 3 s, cold start and signature check included. */
export const DISCORD_READ_DEADLINE_MS = 2_000;
/**
 * The interaction's answer must be out this long after the handler starts: Discord's 3 s, less what
 * comes before the handler (the way to the Function URL, a cold start's module loading).
 */
export const DISCORD_ANSWER_WITHIN_MS = 2_500;
/** Kept back from the function's remaining time to return cleanly. */
const SAFETY_MARGIN_MS = 1_000;

export interface CommandHandlerDependencies {
  env: Record<string, string | undefined>;
  /** The store view; default from DB_MODE (DynamoDB tables, or Supabase with the read key). */
  store?: (settings: CommandSettings) => CommandStore | null;
  secretsClient?: () => SecretsManagerClient;
  logger?: Logger;
  now?: () => number;
  fetch?: typeof fetch;
  rateLimiter?: RateLimiter;
  /** Draws `/pnl`'s chart (default: the alert Lambda's renderer, loaded on the first chart). */
  renderChart?: (chart: PnlChartInput) => Promise<Uint8Array>;
}

export type CommandHandler = (
  event: FunctionUrlEvent,
  context?: Pick<Context, "getRemainingTimeInMillis">,
) => Promise<FunctionUrlResult>;

export function createCommandHandler(deps: CommandHandlerDependencies): CommandHandler {
  const env = deps.env;
  const logger = deps.logger ?? createLambdaLogger({ level: env.LOG_LEVEL ?? "info" });
  const now = deps.now ?? Date.now;
  const rateLimiter = deps.rateLimiter ?? new RateLimiter();
  let secrets: SecretsManagerClient | null = null;
  const settingsProvider = new CommandSettingsProvider({
    env,
    secretsClient: deps.secretsClient ?? (() => (secrets ??= new SecretsManagerClient({}))),
    now,
  });
  const makeStore = deps.store ?? ((settings: CommandSettings) => defaultStore(env, settings));
  let store: { store: CommandStore | null; settings: CommandSettings } | null = null;
  const storeFor = (settings: CommandSettings) => {
    // Rebuilt only when the settings were reloaded (a changed Supabase key is picked up).
    if (store?.settings !== settings) store = { store: makeStore(settings), settings };
    return store.store;
  };
  const version = env.COMMANDS_VERSION ?? "dev";
  const renderChart = deps.renderChart ?? renderChartLazily;
  // `/pnl`'s funding comes from Hyperliquid's API: the store records none.
  const hyperliquid = new FetchInfo(env.HYPERLIQUID_API_URL || DEFAULT_HYPERLIQUID_API_URL);

  return async (event, context) => {
    const started = now();
    const raw = requestBody(event);
    if (raw === null) return emptyResponse(413);
    const method = event.requestContext?.http?.method ?? "POST";
    const path = event.rawPath ?? "/";
    if (method !== "POST" || (path !== "/telegram" && path !== "/discord")) return emptyResponse(404);

    const answer = (settings: CommandSettings) => {
      const remaining = context?.getRemainingTimeInMillis() ?? 10_000;
      const deadline = now() + remaining - SAFETY_MARGIN_MS;
      const commandContext = (readDeadlineMs: number) => ({
        accounts: settings.accounts,
        store: storeFor(settings),
        deadlineMs: Math.max(0, Math.min(readDeadlineMs, remaining - 2 * SAFETY_MARGIN_MS)),
        version,
        hyperliquid,
      });
      if (path === "/telegram") {
        return handleTelegramUpdate(header(event, TELEGRAM_SECRET_HEADER), raw, {
          settings: settings.telegram,
          rateLimiter,
          logger,
          now,
          deadline,
          command: commandContext(TELEGRAM_READ_DEADLINE_MS),
          renderChart,
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
        });
      }
      return handleDiscordInteraction(
        {
          signature: header(event, "x-signature-ed25519"),
          timestamp: header(event, "x-signature-timestamp"),
        },
        raw,
        {
          settings: settings.discord,
          rateLimiter,
          logger,
          now,
          answerBy: Math.min(started + DISCORD_ANSWER_WITHIN_MS, deadline),
          command: commandContext(DISCORD_READ_DEADLINE_MS),
          renderChart,
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
        },
      );
    };

    const response = await answer(await settingsProvider.get());
    if (!isSettingsMiss(response)) return response;
    // Refused with settings up to an hour old: a secret just changed would be refused until they expire.
    const fresh = await settingsProvider.reloadAfterMiss();
    return fresh === null ? response : answer(fresh);
  };
}

/** The store view DB_MODE names; null when it cannot be built (then only `/help` and `/chatid` answer). */
function defaultStore(
  env: Record<string, string | undefined>,
  settings: CommandSettings,
): CommandStore | null {
  if (env.DB_MODE === "supabase") {
    if (settings.supabase === null) return null;
    return new LazySupabaseStore(settings.supabase);
  }
  return new DynamoCommandStore({
    ...(env.TABLE_PREFIX ? { tablePrefix: env.TABLE_PREFIX } : {}),
    clientConfig: env.DYNAMODB_ENDPOINT
      ? {
          endpoint: env.DYNAMODB_ENDPOINT,
          region: env.AWS_REGION ?? "local",
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
        }
      : {},
  });
}

/** Loads supabase-js only in supabase mode, on the first read. */
class LazySupabaseStore implements CommandStore {
  readonly #options: SupabaseReadSettings;
  #store: Promise<CommandStore> | null = null;
  constructor(options: SupabaseReadSettings) {
    this.#options = options;
  }
  #get(): Promise<CommandStore> {
    this.#store ??= import("./store/supabaseCommandStore.ts").then(
      ({ SupabaseCommandStore }) => new SupabaseCommandStore(this.#options),
    );
    return this.#store;
  }
  openPositions: CommandStore["openPositions"] = async (...args) =>
    (await this.#get()).openPositions(...args);
  closedPositions: CommandStore["closedPositions"] = async (...args) =>
    (await this.#get()).closedPositions(...args);
  latestFills: CommandStore["latestFills"] = async (...args) => (await this.#get()).latestFills(...args);
  fills: CommandStore["fills"] = async (...args) => (await this.#get()).fills(...args);
  openOrders: CommandStore["openOrders"] = async (...args) => (await this.#get()).openOrders(...args);
  latestSnapshot: CommandStore["latestSnapshot"] = async (...args) =>
    (await this.#get()).latestSnapshot(...args);
  snapshotWithin: CommandStore["snapshotWithin"] = async (...args) =>
    (await this.#get()).snapshotWithin(...args);
  fillCursor: CommandStore["fillCursor"] = async (...args) => (await this.#get()).fillCursor(...args);
}

export const handler = createCommandHandler({ env: process.env });
