/**
 * Monitor configuration from the environment (plus a `.env` file, whose values never override the real
 * environment). Every problem becomes one ConfigError line that says what to fix; `main` prints it and
 * exits non-zero, so a misconfigured task fails fast instead of crash-looping on bad input.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { z } from "zod";
import { type AlertConfig, AlertConfigError, loadAlertConfig } from "./alertConfig.ts";
import { wholeNumber } from "./fields.ts";
import { SecretVariableError, withSecretVariables } from "./secretVariables.ts";

export type DbMode = "local" | "dynamodb" | "supabase";
export type Network = "mainnet" | "testnet";

export interface MonitorConfig {
  /** The accounts this task watches: all of ACCOUNT_ADDRESS, or its shard's share. */
  accounts: string[];
  /** This task's shard of the deployment (index 0, count 1 without sharding). */
  shard: { index: number; count: number };
  /** Which figures become CloudWatch metrics (see telemetry/metrics.ts). */
  metricsDetail: "essential" | "all";
  metricNamespace: string;
  network: Network;
  wsUrl: string;
  apiUrl: string;
  dbMode: DbMode;
  dynamodbEndpoint: string | null;
  /** DB_MODE=supabase: the project URL and the service-role key (the anon key is never used to write). */
  supabase: { url: string; serviceKey: string } | null;
  awsRegion: string | null;
  tablePrefix: string;
  dataDir: string;
  /**
   * Explicit CVD coins, or null for the default: BTC, ETH and every coin with an open position; empty
   * with `CVD_COINS=none` (CVD off: no market-data connection, which leaves room for a tenth account);
   * `"all"` with `CVD_COINS=all`: every listed perp of the default dex, as `meta` lists it (refreshed hourly).
   */
  cvdCoins: string[] | typeof CVD_ALL | null;
  snapshotIntervalMs: number;
  healthPort: number;
  /** Lower bound of the first backfill of an empty store (ms), or null for as far back as the API allows. */
  backfillSince: number | null;
  retentionDays: number;
  maxPendingWrites: number;
  logLevel: string;
  /** `auto`: pretty lines on a terminal, JSON otherwise (see telemetry/logger.ts). */
  logFormat: "auto" | "pretty" | "json";
  alerts: AlertConfig;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const ENDPOINTS: Record<Network, { ws: string; api: string }> = {
  mainnet: { ws: "wss://api.hyperliquid.xyz/ws", api: "https://api.hyperliquid.xyz" },
  testnet: { ws: "wss://api.hyperliquid-testnet.xyz/ws", api: "https://api.hyperliquid-testnet.xyz" },
};

export const DEFAULT_CVD_COINS = ["BTC", "ETH"] as const;

/** `CVD_COINS` value that turns CVD off. */
export const CVD_OFF = "none";

/** `CVD_COINS` value that follows every listed perp of the default dex. */
export const CVD_ALL = "all";

/**
 * Hyperliquid's per-IP WebSocket limits (DOCS rate-limits-and-user-limits): 10 unique users across user
 * subscriptions, 10 connections. Each account needs a connection of its own (orderUpdates frames do not
 * name their user), and CVD's public trades one more; a task is one IP.
 */
export const MAX_USERS_PER_IP = 10;
export const MAX_CONNECTIONS_PER_IP = 10;

/** Most accounts one shard (task) can watch: 10 with CVD off, 9 with CVD on (its market connection). */
export function maxAccountsPerShard(cvdOn: boolean): number {
  return Math.min(MAX_USERS_PER_IP, MAX_CONNECTIONS_PER_IP - (cvdOn ? 1 : 0));
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

const addressList = z
  .string({ error: "is required: set it to your account address (0x followed by 40 hex characters)" })
  .transform((raw, ctx) => {
    const parts = raw
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part.length > 0);
    if (parts.length === 0) {
      ctx.addIssue({ code: "custom", message: "is empty: set it to one or more comma-separated addresses" });
      return z.NEVER;
    }
    for (const part of parts) {
      if (!ADDRESS.test(part)) {
        ctx.addIssue({
          code: "custom",
          message: `has "${part.slice(0, 48)}", which is not an address: use 0x followed by 40 hex characters`,
        });
        return z.NEVER;
      }
    }
    return [...new Set(parts.map((part) => part.toLowerCase()))];
  });

function urlWithScheme(schemes: readonly string[]) {
  return z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${schemes.map((s) => `${s}//`).join(" or ")}` },
  );
}

const backfillSince = z.string().transform((raw, ctx) => {
  const trimmed = raw.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) : Date.parse(trimmed);
  if (!Number.isFinite(ms) || ms < 0) {
    ctx.addIssue({ code: "custom", message: "must be an ISO date (2026-01-31) or epoch milliseconds" });
    return z.NEVER;
  }
  return ms;
});

const schema = z.object({
  ACCOUNT_ADDRESS: addressList,
  HYPERLIQUID_NETWORK: z
    .enum(["mainnet", "testnet"], { error: "must be mainnet or testnet" })
    .default("mainnet"),
  HYPERLIQUID_WS_URL: urlWithScheme(["ws:", "wss:"]).optional(),
  HYPERLIQUID_API_URL: urlWithScheme(["http:", "https:"]).optional(),
  DB_MODE: z
    .enum(["local", "dynamodb", "supabase"], { error: "must be local, dynamodb or supabase" })
    .optional(),
  DYNAMODB_ENDPOINT: urlWithScheme(["http:", "https:"]).optional(),
  SUPABASE_URL: urlWithScheme(["http:", "https:"]).optional(),
  SUPABASE_SERVICE_KEY: z.string().optional(),
  // Accepted (the secret carries it for dashboards) and never used: it cannot write.
  SUPABASE_ANON_KEY: z.string().optional(),
  AWS_REGION: z.string().optional(),
  TABLE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{0,200}$/, { message: "may hold only letters, digits, '_', '-' and '.'" })
    .default("hl-"),
  DATA_DIR: z.string().min(1).default("./data"),
  CVD_COINS: z
    .string()
    .transform((raw, ctx) => {
      const coins = raw
        .split(",")
        .map((coin) => coin.trim())
        .filter((coin) => coin.length > 0);
      if (coins.some((coin) => coin.toLowerCase() === CVD_OFF)) {
        if (coins.length > 1) {
          ctx.addIssue({
            code: "custom",
            message: `mixes "${CVD_OFF}" with coins: set it to ${CVD_OFF} (CVD off) or to a list of coins`,
          });
          return z.NEVER;
        }
        return [];
      }
      if (coins.some((coin) => coin.toLowerCase() === CVD_ALL)) {
        if (coins.length > 1) {
          ctx.addIssue({
            code: "custom",
            message: `mixes "${CVD_ALL}" with coins: set it to ${CVD_ALL} (every coin of the default dex) or to a list of coins`,
          });
          return z.NEVER;
        }
        return CVD_ALL;
      }
      // Blank (or only commas) means the default, like an unset variable.
      return coins.length > 0 ? coins : null;
    })
    .optional(),
  SNAPSHOT_INTERVAL_SECONDS: wholeNumber(5, 3600).default(60),
  HEALTH_PORT: wholeNumber(0, 65535).default(8080),
  BACKFILL_SINCE: backfillSince.optional(),
  RETENTION_DAYS: wholeNumber(1, 3650).default(30),
  MAX_PENDING_WRITES: wholeNumber(100, 10_000_000).default(50_000),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  LOG_FORMAT: z.enum(["auto", "pretty", "json"], { error: "must be auto, pretty or json" }).default("auto"),
  METRICS: z.enum(["essential", "all"], { error: "must be essential or all" }).default("essential"),
  METRIC_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9._/#:-]{1,255}$/, { message: "may hold only letters, digits and . _ / # : -" })
    .default("HyperliquidMonitor"),
  SHARD_INDEX: wholeNumber(0, 999).default(0),
  SHARD_COUNT: wholeNumber(1, 1000).default(1),
});

/**
 * Sharding for deployments that outgrow one task: the account at position i of ACCOUNT_ADDRESS (after
 * removing repeats) belongs to shard i mod SHARD_COUNT. Each task has its own public IP, and Hyperliquid
 * counts its limits (10 users in user subscriptions, 10 connections) per IP: see maxAccountsPerShard.
 */
export function accountsOfShard(accounts: readonly string[], index: number, count: number): string[] {
  return accounts.filter((_, position) => position % count === index);
}

/**
 * More accounts in a shard than one IP can serve would not fail loudly at run time: Hyperliquid refuses the
 * eleventh user with an error frame and the connection limit refuses sockets, so an account would go
 * unwatched. Checked for the largest shard (every task sees the same ACCOUNT_ADDRESS, so all fail alike).
 * With the default CVD set (null) any shard may follow a coin (shard 0 the defaults, every shard the coins
 * of its open positions), so every shard keeps room for the market connection.
 */
function checkShardFitsOneIp(
  totalAccounts: number,
  shardCount: number,
  cvdCoins: MonitorConfig["cvdCoins"],
): void {
  const cvdOn = cvdCoins === null || cvdCoins.length > 0;
  const perShard = maxAccountsPerShard(cvdOn);
  const largestShard = Math.ceil(totalAccounts / shardCount);
  if (largestShard <= perShard) return;
  const needed = Math.ceil(totalAccounts / perShard);
  const withCvdOff = Math.ceil(totalAccounts / maxAccountsPerShard(false));
  const limits = `Hyperliquid allows one IP ${MAX_USERS_PER_IP} users and ${MAX_CONNECTIONS_PER_IP} connections, one per account${cvdOn ? " plus one for CVD trades" : ""}`;
  const alternative = cvdOn
    ? withCvdOff === 1
      ? `, or set CVD_COINS=${CVD_OFF} (CVD off: ${maxAccountsPerShard(false)} per shard)`
      : `, or set CVD_COINS=${CVD_OFF} (CVD off: ${maxAccountsPerShard(false)} per shard) with shards=${withCvdOff}`
    : "";
  throw new ConfigError(
    `ACCOUNT_ADDRESS lists ${totalAccounts} accounts, so with ${shardCount} shard(s) one task watches ${largestShard}, more than the ${perShard} it can (${limits}): deploy with --context shards=${needed} (SHARD_COUNT=${needed})${alternative}`,
  );
}

/** Reads `.env` (if present) under the real environment: real variables win. */
export function environmentWithDotEnv(
  env: NodeJS.ProcessEnv = process.env,
  dotEnvPath = ".env",
): Record<string, string | undefined> {
  if (!existsSync(dotEnvPath)) return { ...env };
  const fromFile = parseEnv(readFileSync(dotEnvPath, "utf8"));
  return { ...fromFile, ...env };
}

export function loadConfig(env: Record<string, string | undefined>): MonitorConfig {
  // A deployed task gets each secret as one JSON variable: its keys become variables of their own.
  let expanded: Record<string, string | undefined>;
  try {
    expanded = withSecretVariables(env);
  } catch (error) {
    if (error instanceof SecretVariableError) throw new ConfigError(error.message);
    throw error;
  }
  // Empty strings mean "not set": a CDK or .env template often leaves optional values blank.
  const present = Object.fromEntries(
    Object.entries(expanded).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? "configuration");
    throw new ConfigError(`${variable} ${issue.message}`);
  }
  const v = parsed.data;
  if (v.SHARD_INDEX >= v.SHARD_COUNT) {
    throw new ConfigError(
      `SHARD_INDEX must be below SHARD_COUNT (${v.SHARD_COUNT}): shards are numbered 0 to ${v.SHARD_COUNT - 1}`,
    );
  }
  const accounts = accountsOfShard(v.ACCOUNT_ADDRESS, v.SHARD_INDEX, v.SHARD_COUNT);
  if (accounts.length === 0) {
    throw new ConfigError(
      `ACCOUNT_ADDRESS lists ${v.ACCOUNT_ADDRESS.length} account(s), so shard ${v.SHARD_INDEX} of ${v.SHARD_COUNT} has none: deploy with shards=${v.ACCOUNT_ADDRESS.length} or fewer`,
    );
  }
  checkShardFitsOneIp(v.ACCOUNT_ADDRESS.length, v.SHARD_COUNT, v.CVD_COINS ?? null);
  const dbMode: DbMode = v.DB_MODE ?? (v.DYNAMODB_ENDPOINT ? "dynamodb" : "local");
  let supabase: MonitorConfig["supabase"] = null;
  if (dbMode === "supabase") {
    if (!v.SUPABASE_URL) {
      throw new ConfigError(
        "SUPABASE_URL is required with DB_MODE=supabase: your project's URL, https://<project>.supabase.co",
      );
    }
    if (!v.SUPABASE_SERVICE_KEY) {
      throw new ConfigError(
        "SUPABASE_SERVICE_KEY is required with DB_MODE=supabase: the service-role key (the anon key cannot write)",
      );
    }
    if (v.SUPABASE_ANON_KEY && v.SUPABASE_SERVICE_KEY === v.SUPABASE_ANON_KEY) {
      throw new ConfigError(
        "SUPABASE_SERVICE_KEY is the anon key: use the service-role key (the anon key cannot write)",
      );
    }
    supabase = { url: v.SUPABASE_URL.replace(/\/+$/, ""), serviceKey: v.SUPABASE_SERVICE_KEY };
  }
  const endpoints = ENDPOINTS[v.HYPERLIQUID_NETWORK];
  let alerts: AlertConfig;
  try {
    alerts = loadAlertConfig(present as Record<string, string>);
  } catch (error) {
    if (error instanceof AlertConfigError) throw new ConfigError(error.message);
    throw error;
  }
  return {
    accounts,
    shard: { index: v.SHARD_INDEX, count: v.SHARD_COUNT },
    metricsDetail: v.METRICS,
    metricNamespace: v.METRIC_NAMESPACE,
    network: v.HYPERLIQUID_NETWORK,
    wsUrl: v.HYPERLIQUID_WS_URL ?? endpoints.ws,
    apiUrl: (v.HYPERLIQUID_API_URL ?? endpoints.api).replace(/\/+$/, ""),
    dbMode,
    dynamodbEndpoint: v.DYNAMODB_ENDPOINT ?? null,
    supabase,
    awsRegion: v.AWS_REGION ?? null,
    tablePrefix: v.TABLE_PREFIX,
    dataDir: v.DATA_DIR,
    cvdCoins: v.CVD_COINS ?? null,
    snapshotIntervalMs: v.SNAPSHOT_INTERVAL_SECONDS * 1000,
    healthPort: v.HEALTH_PORT,
    backfillSince: v.BACKFILL_SINCE ?? null,
    retentionDays: v.RETENTION_DAYS,
    maxPendingWrites: v.MAX_PENDING_WRITES,
    logLevel: v.LOG_LEVEL,
    logFormat: v.LOG_FORMAT,
    alerts,
  };
}
