/**
 * The deployment's choices, read from CDK context (`--context key=value` or cdk.json). Each bad value
 * fails synthesis with one line that names the key, the value and what is allowed; nothing is guessed.
 */

export type DbMode = "dynamodb" | "supabase";

export const DB_MODES: readonly DbMode[] = ["dynamodb", "supabase"];
/**
 * Accounts one task (one IP) can watch: Hyperliquid allows 10 users and 10 WebSocket connections per IP,
 * each account takes a connection and CVD's public trades one more, so 9 with CVD on (the default) and 10
 * with CVD_COINS=none. The monitor checks the same at start (monitor/src/config/config.ts).
 */
export const ACCOUNTS_PER_SHARD = { cvdOn: 9, cvdOff: 10 } as const;
/**
 * Enough tasks for 9 × 20 = 180 accounts with CVD on (10 × 20 = 200 with CVD off); more is a different
 * design.
 */
export const MAX_SHARDS = 20;

export interface DeploymentSettings {
  dbMode: DbMode;
  /** Lower-case name used in every resource name (`prod` keeps the plain names). */
  stage: string;
  alertEmail: string | null;
  shards: number;
  /** FARGATE_SPOT when true (about 70 % cheaper; two minutes' warning before an interruption). */
  spot: boolean;
  /**
   * ECS Exec (`aws ecs execute-command`) on, every session logged to the monitor's log group; false
   * turns it off and runs the container with a read-only root filesystem and no Linux capabilities
   * (ECS Exec needs a writable root filesystem for its agent, so the two go together).
   */
  exec: boolean;
  /**
   * Tasks per service: 1, or 0 for a stage deployed stopped (the pipeline's staging, which
   * bin/smoke-check.ts --scale-from-zero runs only while it is checked). A stopped stage has no alarms.
   */
  desiredCount: 0 | 1;
  /**
   * Reserved concurrency of the commands Lambda, or null for none (the default). A reservation caps what
   * a flood of requests can run at once, but Lambda keeps 100 units of the account's quota unreserved, and
   * a new account's quota is 10: any reservation there fails the deploy.
   */
  commandsConcurrency: number | null;
}

/** A cap, not a target: two instances already answer more commands than a chat can send. */
export const MAX_COMMANDS_CONCURRENCY = 50;

export class ContextError extends Error {
  override name = "ContextError";
}

const STAGE = /^[a-z][a-z0-9-]{0,19}$/;
// Deliberately loose: SNS validates the address and sends a confirmation mail to it.
const EMAIL = /^[^\s@",;]+@[^\s@",;]+\.[^\s@",;]+$/;

export const CONTEXT_KEYS = [
  "db_mode",
  "stage",
  "alert_email",
  "shards",
  "spot",
  "exec",
  "desired_count",
  "commands_concurrency",
] as const;

const normalised = (key: string) => key.toLowerCase().replace(/[-_]/g, "").replace(/s$/, "");

/**
 * A misspelt key (`dbMode`, `db-mode`, `shard`) would otherwise be ignored silently and deploy the
 * default; CDK's own keys (`aws:cdk:…`, `@aws-cdk/…`, lookups) never look like ours.
 */
export function checkContextKeys(keys: readonly string[]): void {
  for (const key of keys) {
    if ((CONTEXT_KEYS as readonly string[]).includes(key)) continue;
    const meant = CONTEXT_KEYS.find((known) => normalised(known) === normalised(key));
    if (meant) throw new ContextError(`--context ${key} is not a setting: did you mean ${meant}?`);
  }
}

/** Reads and validates the context; `read` is `node.tryGetContext` in the app. */
export function settingsFromContext(
  read: (key: string) => unknown,
  allKeys: readonly string[] = [],
): DeploymentSettings {
  checkContextKeys(allKeys);
  const text = (key: string): string | null => {
    const value = read(key);
    if (value === undefined || value === null || value === "") return null;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      return String(value).trim();
    }
    throw new ContextError(`--context ${key} must be a plain value, not ${JSON.stringify(value)}`);
  };

  const dbMode = text("db_mode") ?? "dynamodb";
  if (!(DB_MODES as readonly string[]).includes(dbMode)) {
    throw new ContextError(`--context db_mode=${dbMode} is not allowed: use dynamodb or supabase`);
  }

  const stage = text("stage") ?? "prod";
  if (!STAGE.test(stage)) {
    throw new ContextError(
      `--context stage=${stage} is not allowed: use 1 to 20 lower-case letters, digits or '-', starting with a letter (e.g. prod, staging)`,
    );
  }

  const alertEmail = text("alert_email");
  if (alertEmail !== null && !EMAIL.test(alertEmail)) {
    throw new ContextError(
      `--context alert_email=${alertEmail} is not allowed: use one e-mail address, or leave it out for no e-mail`,
    );
  }

  const shardsText = text("shards") ?? "1";
  const shards = Number(shardsText);
  if (!/^\d+$/.test(shardsText) || shards < 1 || shards > MAX_SHARDS) {
    throw new ContextError(
      `--context shards=${shardsText} is not allowed: use a whole number from 1 to ${MAX_SHARDS}`,
    );
  }

  const spotText = (text("spot") ?? "true").toLowerCase();
  if (spotText !== "true" && spotText !== "false") {
    throw new ContextError(`--context spot=${spotText} is not allowed: use true or false`);
  }

  const execText = (text("exec") ?? "true").toLowerCase();
  if (execText !== "true" && execText !== "false") {
    throw new ContextError(
      `--context exec=${execText} is not allowed: use true (ECS Exec on, sessions logged) or false (no ECS Exec, read-only root filesystem)`,
    );
  }

  const desiredCountText = text("desired_count") ?? "1";
  if (desiredCountText !== "0" && desiredCountText !== "1") {
    throw new ContextError(
      `--context desired_count=${desiredCountText} is not allowed: use 1 (every service runs its task) or 0 (deployed stopped, as the pipeline deploys staging)`,
    );
  }

  const concurrencyText = text("commands_concurrency");
  const concurrency = concurrencyText === null ? null : Number(concurrencyText);
  if (
    concurrencyText !== null &&
    (!/^\d+$/.test(concurrencyText) || concurrency! < 1 || concurrency! > MAX_COMMANDS_CONCURRENCY)
  ) {
    throw new ContextError(
      `--context commands_concurrency=${concurrencyText} is not allowed: use a whole number from 1 to ${MAX_COMMANDS_CONCURRENCY} (instances of the commands Lambda at most; the account must have 100 more than all reservations), or leave it out for no reservation`,
    );
  }

  return {
    dbMode: dbMode as DbMode,
    stage,
    alertEmail,
    shards,
    spot: spotText === "true",
    exec: execText === "true",
    desiredCount: desiredCountText === "1" ? 1 : 0,
    commandsConcurrency: concurrency,
  };
}
