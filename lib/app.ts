/**
 * Builds the CDK apps: settings from context, the stack, and cdk-nag's AwsSolutions checks run at
 * synthesis (a finding without an acknowledgement fails `cdk synth`). `buildApp` is the monitor
 * (`bin/hl-monitor.ts`); `buildDeployAccessApp` the one-off GitHub deploy access (`bin/deploy-access.ts`).
 */
import { App, type AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import {
  DEPLOY_ACCESS_STACK_NAME,
  DeployAccessStack,
  deployAccessSettingsFromContext,
} from "./deployAccessStack.ts";
import { ContextError, settingsFromContext } from "./deploymentSettings.ts";
import { HyperliquidMonitorStack } from "./hyperliquidMonitorStack.ts";
import { Naming } from "./naming.ts";

export interface BuiltApp {
  app: App;
  stack: HyperliquidMonitorStack;
}

export function buildApp(props: AppProps = {}, options: { nag?: boolean } = {}): BuiltApp {
  const app = new App(props);
  const settings = settingsFromContext(
    (key) => app.node.tryGetContext(key),
    Object.keys(app.node.getAllContext()),
  );
  const naming = new Naming(settings.stage);
  const stack = new HyperliquidMonitorStack(app, naming.stackName, {
    settings,
    stackName: naming.stackName,
    description:
      `hl-monitor (${settings.stage}, ${settings.dbMode}): Hyperliquid account monitor on Fargate ${settings.spot ? "Spot" : ""} ARM64`.replace(
        "  ",
        " ",
      ),
    // Account and region come from the AWS CLI profile at deploy time; synthesis needs neither.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    tags: { app: "hl-monitor", stage: settings.stage },
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

export interface BuiltDeployAccessApp {
  app: App;
  stack: DeployAccessStack;
}

export function buildDeployAccessApp(
  props: AppProps = {},
  options: { nag?: boolean } = {},
): BuiltDeployAccessApp {
  const app = new App(props);
  const settings = deployAccessSettingsFromContext(
    (key) => app.node.tryGetContext(key),
    Object.keys(app.node.getAllContext()),
  );
  const stack = new DeployAccessStack(app, DEPLOY_ACCESS_STACK_NAME, {
    settings,
    stackName: DEPLOY_ACCESS_STACK_NAME,
    description: `hl-monitor: GitHub Actions OIDC deploy role for ${settings.repository} (staging and production environments)`,
    // The role's policy names the bootstrap roles of the account and region it is deployed to.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    tags: { app: "hl-monitor", purpose: "github-deploy-access" },
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

/**
 * What a `bin/` entry point runs: builds and synthesizes an app; a bad `--context` value ends the
 * process with its one line (exit 1) instead of a stack trace.
 */
export function synthOrExplain(build: () => { app: App }): void {
  try {
    build().app.synth();
  } catch (error) {
    if (!(error instanceof ContextError)) throw error;
    process.stderr.write(`hl-monitor: ${error.message}\n`);
    process.exit(1);
  }
}
