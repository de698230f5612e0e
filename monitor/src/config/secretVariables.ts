/**
 * A deployed task receives each Secrets Manager secret whole, its JSON text in one variable (the CDK
 * stack, lib/monitorService.ts). ECS would refuse to start a task whose secret lacks a JSON key the task
 * definition names, and the secrets are created as `{}` so that no deploy ever rewrites them
 * (lib/secrets.ts): reading the keys here lets a secret hold any subset of them. An absent or empty key
 * is "not set", which the configuration then reports like a missing variable.
 *
 * Only the keys listed are taken; anything else in a secret is ignored, except a trading key in the
 * credentials secret, which is refused: the monitor is read-only and must never hold one.
 */

export interface SecretVariable {
  /** The environment variable ECS fills with the secret's JSON. */
  variable: string;
  /** What the operator calls it (the secret's purpose in its name, hl-monitor/<purpose>). */
  purpose: string;
  /** The keys the monitor takes from it, as variables of the same name. */
  keys: readonly string[];
  /** What to put, for the error message. */
  example: string;
}

export const CREDENTIALS_SECRET: SecretVariable = {
  variable: "CREDENTIALS_SECRET_JSON",
  purpose: "credentials",
  keys: ["ACCOUNT_ADDRESS"],
  example: '{"ACCOUNT_ADDRESS":"0x…"}',
};

export const SUPABASE_SECRET: SecretVariable = {
  variable: "SUPABASE_SECRET_JSON",
  purpose: "supabase",
  keys: ["SUPABASE_URL", "SUPABASE_SERVICE_KEY", "SUPABASE_ANON_KEY"],
  example: '{"SUPABASE_URL":"https://…","SUPABASE_SERVICE_KEY":"…"}',
};

const SECRETS = [CREDENTIALS_SECRET, SUPABASE_SECRET];

/** Key names that would hold what can sign or trade, never what an address-watching monitor needs. */
const TRADING_KEY = /(API_KEY|PRIVATE|SECRET_KEY|MNEMONIC|SEED|WALLET_KEY|AGENT_KEY)/i;

export class SecretVariableError extends Error {
  override name = "SecretVariableError";
}

/**
 * The environment with each secret's keys added as variables (a variable set on its own wins, for
 * local runs). Errors name the secret and the key, never a value.
 */
export function withSecretVariables(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const result = { ...env };
  for (const secret of SECRETS) {
    const raw = env[secret.variable];
    delete result[secret.variable];
    if (raw === undefined || raw.trim() === "") continue;
    const where = `the ${secret.purpose} secret (${secret.variable})`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = null;
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new SecretVariableError(
        `${where} is not a JSON object: put ${secret.example} with the put-secret-value command in the stack outputs`,
      );
    }
    const values = parsed as Record<string, unknown>;
    if (secret === CREDENTIALS_SECRET) {
      const trading = Object.keys(values).find((key) => TRADING_KEY.test(key) && values[key] !== "");
      if (trading) {
        throw new SecretVariableError(
          `${where} holds ${trading.slice(0, 64)}: the monitor is read-only and must not be given a trading key; put the secret again with ACCOUNT_ADDRESS only`,
        );
      }
    }
    for (const key of secret.keys) {
      const value = values[key];
      if (value === undefined || value === null) continue;
      if (typeof value !== "string") {
        throw new SecretVariableError(`${where} has ${key} that is not a string: put it as text`);
      }
      if (result[key] === undefined || result[key] === "") result[key] = value;
    }
  }
  return result;
}
