/**
 * The CDK app: `npx cdk synth|deploy --context db_mode=dynamodb|supabase [--context stage=…]
 * [--context alert_email=…] [--context shards=N] [--context spot=false]`.
 * A bad context value ends synthesis with one line saying what is allowed.
 */
import { buildApp, synthOrExplain } from "../lib/app.ts";

synthOrExplain(() => buildApp());
