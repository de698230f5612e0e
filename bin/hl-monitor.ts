/**
 * The CDK app: `npx cdk synth|deploy --context db_mode=dynamodb|supabase [--context stage=…]
 * [--context alert_email=…] [--context shards=N] [--context spot=false]`.
 * A bad context value ends synthesis with one line saying what is allowed.
 */
import { buildApp } from "../lib/app.ts";
import { ContextError } from "../lib/deploymentSettings.ts";

try {
  buildApp().app.synth();
} catch (error) {
  if (!(error instanceof ContextError)) throw error;
  process.stderr.write(`hl-monitor: ${error.message}\n`);
  process.exit(1);
}
