/**
 * The GitHub deploy access app, deployed once per account and region after `cdk bootstrap`:
 * `npx cdk --app "node bin/deploy-access.ts" deploy --context github_repo=owner/name
 * [--context github_oidc_provider_arn=…]`. A bad context value ends synthesis with one line.
 */
import { buildDeployAccessApp, synthOrExplain } from "../lib/app.ts";

synthOrExplain(() => buildDeployAccessApp());
