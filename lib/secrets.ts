/**
 * The deployment's secrets. The operator puts the real values with the commands in the stack outputs;
 * no later `cdk deploy` may ever write over them.
 *
 * CloudFormation writes a secret's value when the template's `SecretString` (or `GenerateSecretString`)
 * changes, and a secret created without either gets a generated random value. So every secret is
 * created with one fixed value, an empty JSON object (SECRET_INITIAL_VALUE), that does not depend on the
 * keys anyone reads: adding a key to SECRET_KEYS changes the examples and the readers, never the
 * template (test/cdk/stack.test.ts pins it). The task gets each secret whole, as one variable
 * (ECS refuses to start a task whose secret lacks a JSON key it names), and the monitor and the alert
 * Lambda read the keys present and treat absent ones as not set.
 */
import { CfnDeletionPolicy, type CfnResource, RemovalPolicy, SecretValue } from "aws-cdk-lib";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { CREDENTIALS_SECRET, SUPABASE_SECRET } from "../monitor/src/config/secretVariables.ts";
import type { DbMode } from "./deploymentSettings.ts";
import type { Naming } from "./naming.ts";

/** The value every secret is created with. Never change it: see the comment at the top. */
export const SECRET_INITIAL_VALUE = "{}";

/**
 * The keys each secret's readers use. The credentials secret holds the address only: the monitor is
 * read-only and never holds a trading key (it refuses to start with one there).
 */
export const SECRET_KEYS = {
  // What the monitor takes from the secrets it is given whole (monitor/src/config/secretVariables.ts).
  credentials: CREDENTIALS_SECRET.keys,
  supabase: SUPABASE_SECRET.keys,
  // The alert Lambda reads the first three; the commands Lambda the Telegram ones, the Discord
  // application's public key and id, and in supabase mode its read path (the project URL, the public anon
  // key and the read-only hl_reader key: sql/commands-reader.sql), kept here rather than in the Supabase
  // secret so that the commands Lambda cannot read the service key (lambda-commands/src/settings.ts).
  alerts: [
    "DISCORD_WEBHOOK_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_CHAT_ID",
    "TELEGRAM_WEBHOOK_SECRET",
    "DISCORD_PUBLIC_KEY",
    "DISCORD_APPLICATION_ID",
    "SUPABASE_URL",
    "SUPABASE_ANON_KEY",
    "SUPABASE_READ_KEY",
  ],
} as const;

export type SecretPurpose = keyof typeof SECRET_KEYS;

/** What goes where: the example values the put-secret-value commands in the outputs show. */
export const SECRET_EXAMPLES: Record<SecretPurpose, Record<string, string>> = {
  credentials: { ACCOUNT_ADDRESS: "0xYOUR_ACCOUNT_ADDRESS" },
  supabase: {
    SUPABASE_URL: "https://YOUR_PROJECT.supabase.co",
    SUPABASE_ANON_KEY: "YOUR_ANON_KEY",
    SUPABASE_SERVICE_KEY: "YOUR_SERVICE_ROLE_KEY",
  },
  alerts: {
    DISCORD_WEBHOOK_URL: "https://discord.com/api/webhooks/ID/TOKEN",
    TELEGRAM_BOT_TOKEN: "123456:ABC",
    TELEGRAM_CHAT_ID: "-1001234567890",
    TELEGRAM_WEBHOOK_SECRET: "A_RANDOM_SECRET_OF_32_LETTERS_DIGITS_OR_UNDERSCORES",
    DISCORD_PUBLIC_KEY: "YOUR_APPLICATION_PUBLIC_KEY_HEX",
    DISCORD_APPLICATION_ID: "YOUR_APPLICATION_ID",
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
        // Not a secret: an empty object, the same for every secret and every version of this code.
        secretStringValue: SecretValue.unsafePlainText(SECRET_INITIAL_VALUE),
      });
      // Deleting the stack deletes the secrets too: they only hold what the operator can put again.
      secret.applyRemovalPolicy(RemovalPolicy.DESTROY);
      // But a replacement (a renamed secret) keeps the old one with the operator's values, to copy over.
      (secret.node.defaultChild as CfnResource).cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
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
