/**
 * The deployment's secrets, created empty (every key present with an empty value) so that ECS can
 * resolve each key from the first deployment on: a key missing from the JSON stops the task before it
 * starts. The monitor treats an empty value as "not set" and waits, saying what to fix (ON_CONFIG_ERROR).
 * The operator puts the real values with the commands in the stack outputs.
 *
 * CloudFormation writes these values only when the template's value changes, which it never does, so a
 * later `cdk deploy` keeps what the operator put.
 */
import { RemovalPolicy, SecretValue } from "aws-cdk-lib";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import type { DbMode } from "./deploymentSettings.ts";
import type { Naming } from "./naming.ts";

export const SECRET_KEYS = {
  /** HYPERLIQUID_API_KEY is kept for tools that trade; the read-only monitor never receives it. */
  credentials: ["ACCOUNT_ADDRESS", "HYPERLIQUID_API_KEY"],
  supabase: ["SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_KEY"],
  alerts: ["DISCORD_WEBHOOK_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID"],
} as const;

export type SecretPurpose = keyof typeof SECRET_KEYS;

/** What goes where: the example values the put-secret-value commands in the outputs show. */
export const SECRET_EXAMPLES: Record<SecretPurpose, Record<string, string>> = {
  credentials: { ACCOUNT_ADDRESS: "0xYOUR_ACCOUNT_ADDRESS", HYPERLIQUID_API_KEY: "" },
  supabase: {
    SUPABASE_URL: "https://YOUR_PROJECT.supabase.co",
    SUPABASE_ANON_KEY: "YOUR_ANON_KEY",
    SUPABASE_SERVICE_KEY: "YOUR_SERVICE_ROLE_KEY",
  },
  alerts: {
    DISCORD_WEBHOOK_URL: "https://discord.com/api/webhooks/ID/TOKEN",
    TELEGRAM_BOT_TOKEN: "123456:ABC",
    TELEGRAM_CHAT_ID: "-1001234567890",
  },
};

export class MonitorSecrets extends Construct {
  readonly credentials: Secret;
  readonly supabase: Secret | null;
  readonly alerts: Secret;

  constructor(scope: Construct, id: string, props: { naming: Naming; dbMode: DbMode }) {
    super(scope, id);
    const make = (purpose: SecretPurpose, description: string) => {
      const secret = new Secret(this, purpose, {
        secretName: props.naming.secretName(purpose),
        description,
        // Placeholders, not secrets: every key present and empty until the operator puts the values.
        secretObjectValue: Object.fromEntries(
          SECRET_KEYS[purpose].map((key) => [key, SecretValue.unsafePlainText("")]),
        ),
      });
      // Deleting the stack deletes the secrets too: they only hold what the operator can put again.
      secret.applyRemovalPolicy(RemovalPolicy.DESTROY);
      return secret;
    };
    this.credentials = make("credentials", "hl-monitor: the account address(es) to watch (ACCOUNT_ADDRESS)");
    this.supabase =
      props.dbMode === "supabase"
        ? make(
            "supabase",
            "hl-monitor: Supabase project URL and keys (the monitor writes with the service key)",
          )
        : null;
    this.alerts = make("alerts", "hl-monitor: Discord webhook and Telegram bot for the alert Lambda");
  }

  /** Every secret of this deployment with its purpose. */
  get entries(): { purpose: SecretPurpose; secret: Secret }[] {
    return [
      { purpose: "credentials", secret: this.credentials },
      ...(this.supabase ? [{ purpose: "supabase" as const, secret: this.supabase }] : []),
      { purpose: "alerts", secret: this.alerts },
    ];
  }
}
