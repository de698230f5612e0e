/**
 * Synthesizes the real CDK app for a context, with cdk-nag's AwsSolutions checks as in `cdk synth`
 * (a finding without an acknowledgement throws). Lambda bundling is skipped (`aws:cdk:bundling-stacks`);
 * the CI's `cdk synth` runs bundle it. Needs neither Docker nor AWS credentials.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { buildApp } from "../../lib/app.ts";
import type { HyperliquidMonitorStack } from "../../lib/hyperliquidMonitorStack.ts";
import { testTempDir } from "./tempDirs.ts";

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation JSON, which the assertions read freely
type CfnJson = any;

export interface NagReport {
  violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  suppressedViolations: {
    ruleName: string;
    acknowledgedId: string;
    reason: string;
    violatingConstructs: { constructPath: string }[];
  }[];
}

export interface Synthesized {
  stack: HyperliquidMonitorStack;
  template: Template;
  json: {
    Resources: Record<string, { Type: string; Properties?: CfnJson; DeletionPolicy?: string }>;
    Outputs: Record<string, CfnJson>;
  };
  nag: NagReport;
  outdir: string;
}

export function synthesize(context: Record<string, string> = {}): Synthesized {
  const outdir = testTempDir("hl-cdk-");
  const { app, stack } = buildApp({ outdir, context: { "aws:cdk:bundling-stacks": [], ...context } });
  const assembly = app.synth();
  const json = assembly.getStackByName(stack.stackName).template;
  const report = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8"));
  const plugin = report.pluginReports.find((p: { pluginName: string }) => p.pluginName === "AwsSolutions");
  return { stack, template: Template.fromJSON(json), json, nag: plugin, outdir };
}

export function resourcesOfType(synth: Synthesized, type: string): [string, CfnJson][] {
  return Object.entries(synth.json.Resources).filter(([, resource]) => resource.Type === type);
}

/**
 * Runs a CDK app entry point (`bin/…`) in a child process the way the CDK CLI does, handing it
 * `context` as the CLI would: what a user sees from a bad `--context`.
 */
export function runAppEntryPoint(entry: string, context: Record<string, unknown>): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH ?? "",
      CDK_CONTEXT_JSON: JSON.stringify(context),
      CDK_OUTDIR: testTempDir("hl-cdk-entry-"),
    },
    encoding: "utf8",
    timeout: 60_000,
  });
}
