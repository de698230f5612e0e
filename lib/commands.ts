/**
 * The chat commands Lambda (lambda-commands/): one Function URL that Telegram's webhook and Discord's
 * interactions endpoint both call (`/telegram`, `/discord`), answering from a read-only view of the store.
 *
 * The URL's auth type is NONE: Telegram and Discord cannot sign AWS requests. The function authenticates
 * every request itself before doing anything (Telegram's secret token, Discord's Ed25519 signature).
 * A forged request costs one short invocation that reads nothing; `--context commands_concurrency=N`
 * additionally caps the instances (and so the per-instance rate limit's total), where the account's
 * Lambda quota allows a reservation (a new account's 10 does not).
 *
 * It reads the alerts secret (chat settings, and in supabase mode the read-only Supabase key) and the
 * credentials secret (the accounts), never the Supabase secret with the monitor's service key.
 */
import { CfnOutput, Duration } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { FILLS_BY_TIME_INDEX, TABLES } from "../monitor/src/storage/dynamodb/tables.ts";
import { createBundledFunction } from "./bundledFunction.ts";
import type { DbMode } from "./deploymentSettings.ts";
import type { Naming } from "./naming.ts";
import type { MonitorTables } from "./tables.ts";

/** What DynamoCommandStore calls: reads only. */
export const COMMANDS_TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:Query"] as const;
export const COMMANDS_MEMORY_MB = 256;
export const COMMANDS_TIMEOUT_SECONDS = 10;

export interface CommandsProps {
  naming: Naming;
  dbMode: DbMode;
  alertsSecret: ISecret;
  credentialsSecret: ISecret;
  tables: MonitorTables | null;
  version: string;
  /** Reserved concurrency, or null for none (DeploymentSettings.commandsConcurrency). */
  reservedConcurrency: number | null;
}

export class Commands extends Construct {
  readonly function: NodejsFunction;
  readonly url: string;

  constructor(scope: Construct, id: string, props: CommandsProps) {
    super(scope, id);
    const { naming } = props;
    const { function: fn, role } = createBundledFunction(this, {
      functionName: naming.commandsFunctionName,
      logGroupName: naming.commandsLogGroupName,
      description: "hl-monitor: Telegram and Discord commands answered from the monitor's store (read-only)",
      roleDescription:
        "hl-monitor commands Lambda: its log group, the secrets it reads, read-only table access",
      entry: "lambda-commands/src/handler.ts",
      // More memory is more CPU: the cold start and the Ed25519 check fit Discord's 3 s comfortably.
      // Drawing /pnl's chart (resvg in WebAssembly) adds ~85 MB to the process at most: 256 MB holds it.
      memorySize: COMMANDS_MEMORY_MB,
      timeout: Duration.seconds(COMMANDS_TIMEOUT_SECONDS),
      // Synchronous (Function URL) invocations are never retried by Lambda.
      retryAttempts: 0,
      // Only when asked (--context commands_concurrency): a new account's quota cannot hold a reservation.
      ...(props.reservedConcurrency === null
        ? {}
        : { extra: { reservedConcurrentExecutions: props.reservedConcurrency } }),
      environment: {
        ALERTS_SECRET_ID: naming.secretName("alerts"),
        CREDENTIALS_SECRET_ID: naming.secretName("credentials"),
        DB_MODE: props.dbMode,
        TABLE_PREFIX: naming.tablePrefix,
        COMMANDS_VERSION: props.version,
        LOG_LEVEL: "info",
      },
      // `/pnl`'s chart, as the alert Lambda's daily summary.
      drawsCharts: true,
    });
    this.function = fn;
    props.alertsSecret.grantRead(this.function);
    props.credentialsSecret.grantRead(this.function);
    if (props.tables) {
      const resources: string[] = [];
      for (const definition of TABLES) {
        if (definition.role === "cvd") continue; // the commands never read CVD
        const table = props.tables.tables.get(definition.role)!;
        resources.push(table.tableArn);
        if (definition.role === "fills") resources.push(`${table.tableArn}/index/${FILLS_BY_TIME_INDEX}`);
      }
      role.addToPrincipalPolicy(new PolicyStatement({ actions: [...COMMANDS_TABLE_ACTIONS], resources }));
    }

    const functionUrl = this.function.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    this.url = functionUrl.url;

    const out = (outputId: string, value: string, description: string) =>
      new CfnOutput(scope, outputId, { value, description });
    out("CommandsUrl", functionUrl.url, "the commands Function URL: /telegram and /discord");
    out(
      "TelegramWebhookCommand",
      `TELEGRAM_BOT_TOKEN=… TELEGRAM_WEBHOOK_SECRET=… npm run telegram:webhook -- --url ${functionUrl.url}telegram`,
      "register the Telegram webhook (token and secret as in the alerts secret)",
    );
    out(
      "DiscordInteractionsUrl",
      `${functionUrl.url}discord`,
      "Discord Developer Portal → your application → Interactions Endpoint URL",
    );
    out(
      "DiscordRegisterCommand",
      "DISCORD_APPLICATION_ID=… DISCORD_BOT_TOKEN=… npm run discord:register",
      "register the slash commands (bot token from the Developer Portal, never stored)",
    );
  }
}
