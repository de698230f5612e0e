/**
 * DeployAccessStack, synthesized for real (aws-cdk-lib/assertions) with cdk-nag's AwsSolutions checks as
 * `cdk synth` runs them: GitHub's OIDC provider, and a deploy role that only the fork's staging and
 * production environments can assume and that can only assume the CDK bootstrap roles and make the
 * smoke check's read-only calls.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { smokeCheck } from "../../bin/smoke-check.ts";
import { buildDeployAccessApp } from "../../lib/app.ts";
import {
  CDK_BOOTSTRAP_ROLE_PURPOSES,
  DEPLOY_ACCESS_STACK_NAME,
  DEPLOY_ENVIRONMENTS,
  deployAccessSettingsFromContext,
} from "../../lib/deployAccessStack.ts";
import { ContextError } from "../../lib/deploymentSettings.ts";
import { Naming } from "../../lib/naming.ts";
import { type NagReport, runAppEntryPoint } from "../support/cdkApp.ts";

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation JSON, which the assertions read freely
type CfnJson = any;

interface Synthesized {
  template: Template;
  json: {
    Resources: Record<string, { Type: string; Properties: CfnJson }>;
    Outputs: Record<string, CfnJson>;
  };
  nag: NagReport;
}

function synthesize(context: Record<string, string>, env: Record<string, string> = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), "hl-cdk-access-"));
  const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  Object.assign(process.env, env);
  try {
    const { app } = buildDeployAccessApp({ outdir, context: { "aws:cdk:bundling-stacks": [], ...context } });
    const json = app.synth().getStackByName(DEPLOY_ACCESS_STACK_NAME).template;
    const report = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8"));
    const nag = report.pluginReports.find((p: { pluginName: string }) => p.pluginName === "AwsSolutions");
    return { template: Template.fromJSON(json), json, nag };
  } finally {
    for (const [key, value] of [
      ["CDK_DEFAULT_ACCOUNT", saved.account],
      ["CDK_DEFAULT_REGION", saved.region],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(outdir, { recursive: true, force: true });
  }
}

const ofType = (synth: Synthesized, type: string) =>
  Object.values(synth.json.Resources).filter((resource) => resource.Type === type);

/** A synthesized string or Fn::Join as text, references shown as <AWS::…> or <LogicalId.Attribute>. */
function text(value: CfnJson): string {
  if (typeof value === "string") return value;
  if (value?.Ref) return `<${value.Ref}>`;
  if (value?.["Fn::GetAtt"]) return `<${value["Fn::GetAtt"].join(".")}>`;
  if (value?.["Fn::Join"]) return value["Fn::Join"][1].map(text).join(value["Fn::Join"][0]);
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

function policyStatements(synth: Synthesized): { actions: string[]; resources: string[] }[] {
  return ofType(synth, "AWS::IAM::Policy").flatMap((policy) =>
    policy.Properties.PolicyDocument.Statement.map(
      (statement: { Effect: string; Action: string | string[]; Resource: CfnJson }) => {
        expect(statement.Effect).toBe("Allow");
        return { actions: list(statement.Action), resources: list(statement.Resource).map(text) };
      },
    ),
  );
}

let plain: Synthesized;
let immutableIds: Synthesized;
let reusedProvider: Synthesized;
let concreteEnv: Synthesized;

beforeAll(() => {
  plain = synthesize({ github_repo: "octocat/hl-monitor" });
  immutableIds = synthesize({ github_repo: "octocat@583231/hl-monitor@1296269" });
  reusedProvider = synthesize({
    github_repo: "octocat/hl-monitor",
    github_oidc_provider_arn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
  });
  concreteEnv = synthesize(
    { github_repo: "octocat/hl-monitor" },
    { CDK_DEFAULT_ACCOUNT: "123456789012", CDK_DEFAULT_REGION: "eu-west-1" },
  );
}, 120_000);

describe("cdk-nag AwsSolutions", () => {
  it("reports nothing unacknowledged, whether account and region are known at synthesis or not", () => {
    for (const synth of [plain, immutableIds, reusedProvider, concreteEnv]) {
      expect(synth.nag.violations).toEqual([]);
      for (const suppressed of synth.nag.suppressedViolations) {
        expect(suppressed.reason.length).toBeGreaterThan(60);
      }
    }
  });

  it("accepts only the wildcards of the smoke check's read-only calls", () => {
    const ids = [...new Set(plain.nag.suppressedViolations.map((s) => s.acknowledgedId))].sort();
    expect(ids).toEqual(
      [
        "Resource::*",
        "Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/HyperliquidMonitor-staging/*",
        "Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/HyperliquidMonitor/*",
        "Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/HyperliquidMonitor-*",
        "Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/HyperliquidMonitor-staging-*",
      ]
        .map((finding) => `AwsSolutions::AwsSolutions-IAM5[${finding}]`)
        .sort(),
    );
  });
});

describe("GitHub OIDC provider", () => {
  it("is created for token.actions.githubusercontent.com with the STS audience", () => {
    plain.template.resourceCountIs("AWS::IAM::OIDCProvider", 1);
    plain.template.hasResourceProperties("AWS::IAM::OIDCProvider", {
      Url: "https://token.actions.githubusercontent.com",
      ClientIdList: ["sts.amazonaws.com"],
    });
  });

  it("is reused by ARN instead when the account has one already", () => {
    reusedProvider.template.resourceCountIs("AWS::IAM::OIDCProvider", 0);
    const [role] = ofType(reusedProvider, "AWS::IAM::Role");
    expect(role!.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Federated).toBe(
      "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    );
  });
});

describe("deploy role trust", () => {
  it("trusts only jobs of the fork's staging and production environments, with the STS audience", () => {
    const roles = ofType(plain, "AWS::IAM::Role");
    expect(roles).toHaveLength(1);
    const statements = roles[0]!.Properties.AssumeRolePolicyDocument.Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0]).toEqual({
      Action: "sts:AssumeRoleWithWebIdentity",
      Effect: "Allow",
      Principal: { Federated: { Ref: expect.stringMatching(/^GitHubOidcProvider/) } },
      Condition: {
        StringEquals: {
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
          "token.actions.githubusercontent.com:sub": [
            "repo:octocat/hl-monitor:environment:staging",
            "repo:octocat/hl-monitor:environment:production",
          ],
        },
      },
    });
    expect(roles[0]!.Properties.MaxSessionDuration).toBe(3600);
    expect(roles[0]!.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it("matches the immutable subject (owner@id/name@id) of repositories created after 15 July 2026", () => {
    const [role] = ofType(immutableIds, "AWS::IAM::Role");
    const condition = role!.Properties.AssumeRolePolicyDocument.Statement[0].Condition;
    expect(condition.StringEquals["token.actions.githubusercontent.com:sub"]).toEqual([
      "repo:octocat@583231/hl-monitor@1296269:environment:staging",
      "repo:octocat@583231/hl-monitor@1296269:environment:production",
    ]);
    // gh takes the plain owner/name.
    expect(text(immutableIds.json.Outputs.SetRepositoryVariablesCommand.Value)).toContain(
      "gh variable set AWS_DEPLOY_ROLE_ARN --repo octocat/hl-monitor --body ",
    );
  });
});

describe("deploy role permissions", () => {
  it("may assume the four CDK bootstrap roles of its account and region, and nothing else", () => {
    const assume = policyStatements(concreteEnv).filter((s) => s.actions.includes("sts:AssumeRole"));
    expect(assume).toHaveLength(1);
    expect(assume[0]!.actions).toEqual(["sts:AssumeRole"]);
    expect(assume[0]!.resources.sort()).toEqual(
      CDK_BOOTSTRAP_ROLE_PURPOSES.map(
        (purpose) =>
          `arn:<AWS::Partition>:iam::123456789012:role/cdk-hnb659fds-${purpose}-role-123456789012-eu-west-1`,
      ).sort(),
    );
  });

  it("reads only this app's two stages: stack outputs, their services, and metric statistics", () => {
    const stacks = DEPLOY_ENVIRONMENTS.map(({ stage }) => new Naming(stage).stackName);
    expect(stacks).toEqual(["HyperliquidMonitor-staging", "HyperliquidMonitor"]);
    const reads = policyStatements(concreteEnv).filter((s) => !s.actions.includes("sts:AssumeRole"));
    expect(reads).toEqual([
      {
        actions: ["cloudformation:DescribeStacks"],
        resources: stacks.map(
          (name) => `arn:<AWS::Partition>:cloudformation:eu-west-1:123456789012:stack/${name}/*`,
        ),
      },
      {
        actions: ["ecs:DescribeServices"],
        resources: stacks.map((name) => `arn:<AWS::Partition>:ecs:eu-west-1:123456789012:service/${name}-*`),
      },
      { actions: ["cloudwatch:GetMetricStatistics"], resources: ["*"] },
    ]);
  });

  it("allows exactly the calls the smoke check makes", async () => {
    const IAM_ACTION: Record<string, string> = {
      "cloudformation describe-stacks": "cloudformation:DescribeStacks",
      "ecs wait": "ecs:DescribeServices",
      "cloudwatch get-metric-statistics": "cloudwatch:GetMetricStatistics",
    };
    const called = new Set<string>();
    let time = Date.parse("2026-11-22T10:00:00Z");
    await smokeCheck({
      stage: "staging",
      log: () => {},
      now: () => time,
      sleep: async (ms) => {
        time += ms;
      },
      aws: async (args) => {
        const command = args.slice(0, 2).join(" ");
        called.add(IAM_ACTION[command] ?? `unmapped: ${command}`);
        if (command === "cloudformation describe-stacks") {
          return JSON.stringify({
            Stacks: [
              {
                StackStatus: "UPDATE_COMPLETE",
                Outputs: [
                  // The staging stack's names (lib/naming.ts), which the smoke check insists on.
                  { OutputKey: "ClusterName", OutputValue: "hl-monitor-cluster-staging" },
                  { OutputKey: "ServiceNames", OutputValue: "hl-monitor-service-staging" },
                ],
              },
            ],
          });
        }
        if (command === "cloudwatch get-metric-statistics") {
          return JSON.stringify({ Datapoints: [{ Timestamp: "2026-11-22T10:02:00+00:00", SampleCount: 1 }] });
        }
        return "";
      },
    });
    const allowed = policyStatements(plain)
      .flatMap((s) => s.actions)
      .filter((action) => action !== "sts:AssumeRole");
    expect([...called].sort()).toEqual(allowed.sort());
  });
});

describe("outputs", () => {
  it("give the role ARN and the gh commands that set the repository variables", () => {
    expect(Object.keys(plain.json.Outputs).sort()).toEqual([
      "DeployRoleArn",
      "OidcProviderArn",
      "SetRepositoryVariablesCommand",
    ]);
    expect(text(concreteEnv.json.Outputs.SetRepositoryVariablesCommand.Value)).toMatch(
      /^gh variable set AWS_DEPLOY_ROLE_ARN --repo octocat\/hl-monitor --body .+ && gh variable set AWS_REGION --repo octocat\/hl-monitor --body eu-west-1$/,
    );
  });
});

describe("context", () => {
  const contextError = (context: Record<string, unknown>, keys = Object.keys(context)) => {
    try {
      deployAccessSettingsFromContext((key) => context[key], keys);
    } catch (error) {
      expect(error).toBeInstanceOf(ContextError);
      return (error as Error).message;
    }
    throw new Error("expected a ContextError");
  };

  it("reads owner/name, owner@id/name@id and an existing provider's ARN", () => {
    expect(deployAccessSettingsFromContext((key) => ({ github_repo: " octocat/hl-monitor " })[key])).toEqual({
      subjectRepository: "octocat/hl-monitor",
      repository: "octocat/hl-monitor",
      existingOidcProviderArn: null,
    });
    expect(
      deployAccessSettingsFromContext(
        (key) =>
          ({
            github_repo: "my-org@42/hl.monitor_2@7",
            github_oidc_provider_arn:
              "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
          })[key],
      ),
    ).toEqual({
      subjectRepository: "my-org@42/hl.monitor_2@7",
      repository: "my-org/hl.monitor_2",
      existingOidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    });
  });

  it("names the key, the value and what is allowed, in one line", () => {
    const badRepo = (value: string) =>
      `--context github_repo=${value} is not allowed: use your fork as owner/name (e.g. octocat/hl-monitor), or owner@OWNER_ID/name@REPO_ID if its OIDC subject has immutable ids`;
    const cases: [Record<string, unknown>, string][] = [
      [
        {},
        "--context github_repo is required: your fork as owner/name, e.g. --context github_repo=octocat/hl-monitor",
      ],
      [{ github_repo: "octocat" }, badRepo("octocat")],
      [
        { github_repo: "https://github.com/octocat/hl-monitor" },
        badRepo("https://github.com/octocat/hl-monitor"),
      ],
      [{ github_repo: "octocat/hl monitor" }, badRepo("octocat/hl monitor")],
      [{ github_repo: "-octocat/hl-monitor" }, badRepo("-octocat/hl-monitor")],
      [{ github_repo: "octocat/.." }, badRepo("octocat/..")],
      [{ github_repo: "octocat@583231/hl-monitor" }, badRepo("octocat@583231/hl-monitor")],
      [{ github_repo: "octocat/*" }, badRepo("octocat/*")],
      [
        { github_repo: "octocat/hl-monitor", github_oidc_provider_arn: "arn:aws:iam::123:oidc-provider/x" },
        "--context github_oidc_provider_arn=arn:aws:iam::123:oidc-provider/x is not allowed: use the ARN of the account's provider for token.actions.githubusercontent.com (aws iam list-open-id-connect-providers), or leave it out to create one",
      ],
      [
        { github_repo: ["octocat/hl-monitor"] },
        '--context github_repo must be a plain value, not ["octocat/hl-monitor"]',
      ],
      [
        { githubRepo: "octocat/hl-monitor" },
        "--context githubRepo is not a setting: did you mean github_repo?",
      ],
      [
        { github_repo: "octocat/hl-monitor", "github-oidc-provider-arn": "arn" },
        "--context github-oidc-provider-arn is not a setting: did you mean github_oidc_provider_arn?",
      ],
    ];
    for (const [context, message] of cases) {
      const error = contextError(context);
      expect(error).toBe(message);
      expect(error).not.toContain("\n");
    }
  });

  it("the app entry point prints that line and exits 1, with no stack trace", () => {
    // How the CDK CLI hands the context (here cdk.json's, without github_repo) to the app.
    const result = runAppEntryPoint("bin/deploy-access.ts", { db_mode: "dynamodb", stage: "prod" });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "hl-monitor: --context github_repo is required: your fork as owner/name, e.g. --context github_repo=octocat/hl-monitor\n",
    );
  });
});
