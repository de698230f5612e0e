/**
 * DeployAccessStack, synthesized for real (aws-cdk-lib/assertions) with cdk-nag's AwsSolutions checks as
 * `cdk synth` runs them: GitHub's OIDC provider, and one deploy role per GitHub environment, which only
 * that environment's jobs can assume and which can only assume the CDK bootstrap roles and make its own
 * stage's smoke check calls.
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
  deployRoleId,
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

/** The role of each environment by its logical id, and the statements of the policy attached to it. */
function roleOf(synth: Synthesized, environment: string) {
  const entry = Object.entries(synth.json.Resources).find(
    ([id, resource]) => resource.Type === "AWS::IAM::Role" && id.startsWith(deployRoleId(environment)),
  );
  if (!entry) throw new Error(`no role for ${environment}`);
  const [logicalId, role] = entry;
  const statements = ofType(synth, "AWS::IAM::Policy")
    .filter((policy) => policy.Properties.Roles.some((r: CfnJson) => r.Ref === logicalId))
    .flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.map(
        (statement: { Effect: string; Action: string | string[]; Resource: CfnJson }) => {
          expect(statement.Effect).toBe("Allow");
          return { actions: list(statement.Action), resources: list(statement.Resource).map(text) };
        },
      ),
    ) as { actions: string[]; resources: string[] }[];
  return { logicalId, role, statements };
}

const ENVIRONMENTS = DEPLOY_ENVIRONMENTS.map((e) => e.environment);

describe("cdk-nag AwsSolutions", () => {
  it("reports nothing unacknowledged, whether account and region are known at synthesis or not", () => {
    for (const synth of [plain, immutableIds, reusedProvider, concreteEnv]) {
      expect(synth.nag.violations).toEqual([]);
      for (const suppressed of synth.nag.suppressedViolations) {
        expect(suppressed.reason.length).toBeGreaterThan(60);
      }
    }
  });

  it("accepts only the wildcards of the smoke check's calls, each stage's on its own names", () => {
    const ids = [...new Set(plain.nag.suppressedViolations.map((s) => s.acknowledgedId))].sort();
    expect(ids).toEqual(
      [
        "Resource::*",
        "Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/HyperliquidMonitor-staging/*",
        "Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/HyperliquidMonitor/*",
        "Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/hl-monitor-cluster/hl-monitor-service*",
        "Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/hl-monitor-cluster-staging/hl-monitor-service-staging*",
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
    const roles = ofType(reusedProvider, "AWS::IAM::Role");
    expect(roles).toHaveLength(2);
    for (const role of roles) {
      expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Federated).toBe(
        "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
      );
    }
  });
});

describe("deploy roles: one per environment", () => {
  it("each trusts only jobs of its own environment of the fork, with the STS audience", () => {
    expect(ofType(plain, "AWS::IAM::Role")).toHaveLength(2);
    for (const environment of ENVIRONMENTS) {
      const { role } = roleOf(plain, environment);
      const statements = role.Properties.AssumeRolePolicyDocument.Statement;
      expect(statements).toHaveLength(1);
      expect(statements[0]).toEqual({
        Action: "sts:AssumeRoleWithWebIdentity",
        Effect: "Allow",
        Principal: { Federated: { Ref: expect.stringMatching(/^GitHubOidcProvider/) } },
        Condition: {
          StringEquals: {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            // One subject, not a list: a job of the other environment gets a token this role refuses.
            "token.actions.githubusercontent.com:sub": `repo:octocat/hl-monitor:environment:${environment}`,
          },
        },
      });
      expect(role.Properties.MaxSessionDuration).toBe(3600);
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it("neither can be assumed by the other's job, nor assume the other role", () => {
    const subjectOf = (environment: string) =>
      roleOf(plain, environment).role.Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals[
        "token.actions.githubusercontent.com:sub"
      ];
    expect(subjectOf("staging")).not.toEqual(subjectOf("production"));
    expect(subjectOf("staging")).not.toContain("production");
    expect(subjectOf("production")).not.toContain("staging");
    for (const environment of ENVIRONMENTS) {
      // sts:AssumeRole only on the CDK bootstrap roles: never on a deploy role.
      const assumable = roleOf(concreteEnv, environment)
        .statements.filter((s) => s.actions.includes("sts:AssumeRole"))
        .flatMap((s) => s.resources);
      for (const arn of assumable)
        expect(arn).toMatch(/:role\/cdk-hnb659fds-[a-z-]+-role-123456789012-eu-west-1$/);
    }
  });

  it("matches the immutable subject (owner@id/name@id) of repositories created after 15 July 2026", () => {
    for (const environment of ENVIRONMENTS) {
      const { role } = roleOf(immutableIds, environment);
      const condition = role.Properties.AssumeRolePolicyDocument.Statement[0].Condition;
      expect(condition.StringEquals["token.actions.githubusercontent.com:sub"]).toBe(
        `repo:octocat@583231/hl-monitor@1296269:environment:${environment}`,
      );
    }
    // gh takes the plain owner/name.
    expect(text(immutableIds.json.Outputs.SetRepositoryVariablesCommand.Value)).toContain(
      "gh variable set AWS_ROLE_STAGING --repo octocat/hl-monitor --body ",
    );
  });
});

describe("deploy role permissions", () => {
  it("each may assume the four CDK bootstrap roles of its account and region, and no other role", () => {
    for (const environment of ENVIRONMENTS) {
      const assume = roleOf(concreteEnv, environment).statements.filter((s) =>
        s.actions.includes("sts:AssumeRole"),
      );
      expect(assume).toHaveLength(1);
      expect(assume[0]!.actions).toEqual(["sts:AssumeRole"]);
      expect(assume[0]!.resources.sort()).toEqual(
        CDK_BOOTSTRAP_ROLE_PURPOSES.map(
          (purpose) =>
            `arn:<AWS::Partition>:iam::123456789012:role/cdk-hnb659fds-${purpose}-role-123456789012-eu-west-1`,
        ).sort(),
      );
    }
  });

  it("each names only its own stage's stack and services; only staging's may change a desired count", () => {
    const staging = roleOf(concreteEnv, "staging").statements.filter(
      (s) => !s.actions.includes("sts:AssumeRole"),
    );
    expect(staging).toEqual([
      {
        actions: ["cloudformation:DescribeStacks"],
        resources: [
          "arn:<AWS::Partition>:cloudformation:eu-west-1:123456789012:stack/HyperliquidMonitor-staging/*",
        ],
      },
      {
        actions: ["ecs:DescribeServices", "ecs:UpdateService"],
        resources: [
          "arn:<AWS::Partition>:ecs:eu-west-1:123456789012:service/hl-monitor-cluster-staging/hl-monitor-service-staging*",
        ],
      },
      { actions: ["cloudwatch:GetMetricStatistics"], resources: ["*"] },
    ]);
    const production = roleOf(concreteEnv, "production").statements.filter(
      (s) => !s.actions.includes("sts:AssumeRole"),
    );
    expect(production).toEqual([
      {
        actions: ["cloudformation:DescribeStacks"],
        resources: ["arn:<AWS::Partition>:cloudformation:eu-west-1:123456789012:stack/HyperliquidMonitor/*"],
      },
      {
        actions: ["ecs:DescribeServices"],
        resources: [
          "arn:<AWS::Partition>:ecs:eu-west-1:123456789012:service/hl-monitor-cluster/hl-monitor-service*",
        ],
      },
      { actions: ["cloudwatch:GetMetricStatistics"], resources: ["*"] },
    ]);
    // No resource of one role's policy names the other stage.
    const names = (environment: string) =>
      roleOf(concreteEnv, environment)
        .statements.filter((s) => !s.actions.includes("sts:AssumeRole"))
        .flatMap((s) => s.resources)
        .join(" ");
    expect(names("production")).not.toContain("staging");
    expect(names("staging")).not.toMatch(/stack\/HyperliquidMonitor\/|hl-monitor-cluster\//);
  });

  it("each allows exactly the calls its stage's smoke check makes", async () => {
    const IAM_ACTION: Record<string, string> = {
      "cloudformation describe-stacks": "cloudformation:DescribeStacks",
      "ecs wait": "ecs:DescribeServices",
      "ecs update-service": "ecs:UpdateService",
      "cloudwatch get-metric-statistics": "cloudwatch:GetMetricStatistics",
    };
    for (const { environment, stage, scalesFromZero } of DEPLOY_ENVIRONMENTS) {
      const naming = new Naming(stage);
      const called = new Set<string>();
      let time = Date.parse("2026-11-22T10:00:00Z");
      await smokeCheck({
        stage,
        scaleFromZero: scalesFromZero,
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
                    // The stage's names (lib/naming.ts), which the smoke check insists on.
                    { OutputKey: "ClusterName", OutputValue: naming.clusterName },
                    { OutputKey: "ServiceNames", OutputValue: naming.serviceName(0, 1) },
                  ],
                },
              ],
            });
          }
          if (command === "cloudwatch get-metric-statistics") {
            return JSON.stringify({
              Datapoints: [{ Timestamp: "2026-11-22T10:02:00+00:00", SampleCount: 1 }],
            });
          }
          return "{}";
        },
      });
      const allowed = roleOf(plain, environment)
        .statements.flatMap((s) => s.actions)
        .filter((action) => action !== "sts:AssumeRole");
      expect([...called].sort(), environment).toEqual(allowed.sort());
    }
  });
});

describe("outputs", () => {
  it("give each role's ARN and the gh commands that set the repository variables", () => {
    expect(Object.keys(plain.json.Outputs).sort()).toEqual([
      "OidcProviderArn",
      "ProductionDeployRoleArn",
      "SetRepositoryVariablesCommand",
      "StagingDeployRoleArn",
    ]);
    expect(text(concreteEnv.json.Outputs.SetRepositoryVariablesCommand.Value)).toMatch(
      /^gh variable set AWS_ROLE_STAGING --repo octocat\/hl-monitor --body <StagingDeployRole\w+\.Arn> && gh variable set AWS_ROLE_PRODUCTION --repo octocat\/hl-monitor --body <ProductionDeployRole\w+\.Arn> && gh variable set AWS_REGION --repo octocat\/hl-monitor --body eu-west-1$/,
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
