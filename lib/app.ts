/**
 * Builds the CDK app: settings from context, the stack, and cdk-nag's AwsSolutions checks run at
 * synthesis (a finding without an acknowledgement fails `cdk synth`).
 */
import { App, type AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { settingsFromContext } from "./deploymentSettings.ts";
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
