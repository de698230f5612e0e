/**
 * DeployAccessStack (`HyperliquidMonitorDeployAccess`): what lets `.github/workflows/deploy.yml` deploy
 * from a fork without stored AWS keys. GitHub's OIDC provider (or the account's existing one) and one
 * role that only jobs of the fork's `staging` and `production` environments can assume, and that may do
 * no more than assume the CDK bootstrap roles (which do the actual deployment) and read what the smoke
 * check reads. Deployed once by hand, after `cdk bootstrap`; its own entry is `bin/deploy-access.ts`.
 */
import { CfnOutput, Duration, Stack, type StackProps, Token, Validations } from "aws-cdk-lib";
import {
  type IOidcProvider,
  OidcProviderNative,
  PolicyStatement,
  Role,
  WebIdentityPrincipal,
} from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import { ContextError } from "./deploymentSettings.ts";
import { Naming } from "./naming.ts";

export const DEPLOY_ACCESS_STACK_NAME = "HyperliquidMonitorDeployAccess";

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_URL = `https://${GITHUB_OIDC_HOST}`;
/** The audience aws-actions/configure-aws-credentials asks GitHub to put into the token. */
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

/** The GitHub environments the deploy workflow's jobs run in, and the stage each one deploys. */
export const DEPLOY_ENVIRONMENTS = [
  { environment: "staging", stage: "staging" },
  { environment: "production", stage: "prod" },
] as const;

/** `cdk bootstrap`'s default qualifier, part of every bootstrap role's name. */
export const CDK_BOOTSTRAP_QUALIFIER = "hnb659fds";
export const CDK_BOOTSTRAP_ROLE_PURPOSES = [
  "deploy",
  "file-publishing",
  "image-publishing",
  "lookup",
] as const;

export const DEPLOY_ACCESS_CONTEXT_KEYS = ["github_repo", "github_oidc_provider_arn"] as const;

export interface DeployAccessSettings {
  /** The repository as the token's `sub` claim names it: `owner/name`, or `owner@id/name@id`. */
  subjectRepository: string;
  /** `owner/name`, for the `gh` commands. */
  repository: string;
  /** The account's existing GitHub provider, reused instead of creating a second one (IAM refuses that). */
  existingOidcProviderArn: string | null;
}

// GitHub's rules: an owner is 1-39 letters, digits or single hyphens (not first); a repository name is
// letters, digits, '.', '-', '_'. Repositories created after 15 July 2026 (every new fork) get an
// immutable subject, which appends the numeric owner and repository ids with '@'.
const GITHUB_REPO = /^([A-Za-z0-9][A-Za-z0-9-]{0,38})(@\d+)?\/([A-Za-z0-9._-]{1,100})(@\d+)?$/;
const OIDC_PROVIDER_ARN =
  /^arn:aws(-[a-z]+)*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;

const normalised = (key: string) => key.toLowerCase().replace(/[-_]/g, "");

export function deployAccessSettingsFromContext(
  read: (key: string) => unknown,
  allKeys: readonly string[] = [],
): DeployAccessSettings {
  // A misspelt key would otherwise be ignored: the provider created a second time, or the repo missing.
  for (const key of allKeys) {
    if ((DEPLOY_ACCESS_CONTEXT_KEYS as readonly string[]).includes(key)) continue;
    const meant = DEPLOY_ACCESS_CONTEXT_KEYS.find((known) => normalised(known) === normalised(key));
    if (meant) throw new ContextError(`--context ${key} is not a setting: did you mean ${meant}?`);
  }
  const text = (key: string): string | null => {
    const value = read(key);
    if (value === undefined || value === null || value === "") return null;
    if (typeof value === "string") return value.trim();
    throw new ContextError(`--context ${key} must be a plain value, not ${JSON.stringify(value)}`);
  };

  const repo = text("github_repo");
  if (repo === null) {
    throw new ContextError(
      "--context github_repo is required: your fork as owner/name, e.g. --context github_repo=octocat/hl-monitor",
    );
  }
  const match = GITHUB_REPO.exec(repo);
  if (!match || (match[2] === undefined) !== (match[4] === undefined) || /^\.+$/.test(match[3]!)) {
    throw new ContextError(
      `--context github_repo=${repo} is not allowed: use your fork as owner/name (e.g. octocat/hl-monitor), or owner@OWNER_ID/name@REPO_ID if its OIDC subject has immutable ids`,
    );
  }

  const providerArn = text("github_oidc_provider_arn");
  if (providerArn !== null && !OIDC_PROVIDER_ARN.test(providerArn)) {
    throw new ContextError(
      `--context github_oidc_provider_arn=${providerArn} is not allowed: use the ARN of the account's provider for ${GITHUB_OIDC_HOST} (aws iam list-open-id-connect-providers), or leave it out to create one`,
    );
  }

  return {
    subjectRepository: repo,
    repository: `${match[1]}/${match[3]}`,
    existingOidcProviderArn: providerArn,
  };
}

/** The `sub` claim GitHub gives a job that runs in `environment` of the repository. */
export function environmentSubject(subjectRepository: string, environment: string): string {
  return `repo:${subjectRepository}:environment:${environment}`;
}

export interface DeployAccessStackProps extends StackProps {
  settings: DeployAccessSettings;
}

export class DeployAccessStack extends Stack {
  readonly provider: IOidcProvider;
  readonly deployRole: Role;

  constructor(scope: Construct, id: string, props: DeployAccessStackProps) {
    super(scope, id, props);
    const { settings } = props;

    this.provider = settings.existingOidcProviderArn
      ? OidcProviderNative.fromOidcProviderArn(this, "GitHubOidcProvider", settings.existingOidcProviderArn)
      : new OidcProviderNative(this, "GitHubOidcProvider", {
          url: GITHUB_OIDC_URL,
          clientIds: [GITHUB_OIDC_AUDIENCE],
          // No thumbprint: IAM trusts GitHub's certificate through its own root CAs.
        });

    this.deployRole = new Role(this, "DeployRole", {
      description: `hl-monitor deployments from GitHub Actions: ${settings.repository}, environments ${DEPLOY_ENVIRONMENTS.map((e) => e.environment).join(" and ")}`,
      // Only jobs that declare one of the environments get these subjects, so the environments'
      // protection rules (required reviewers on production, deployment branches) guard the role.
      assumedBy: new WebIdentityPrincipal(this.provider.oidcProviderArn, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
          [`${GITHUB_OIDC_HOST}:sub`]: DEPLOY_ENVIRONMENTS.map(({ environment }) =>
            environmentSubject(settings.subjectRepository, environment),
          ),
        },
      }),
      maxSessionDuration: Duration.hours(1),
    });

    // CloudFormation, assets and images are handled by the bootstrap roles `cdk deploy` assumes; this
    // role itself can change nothing in the account.
    this.deployRole.addToPolicy(
      new PolicyStatement({
        sid: "AssumeCdkBootstrapRoles",
        actions: ["sts:AssumeRole"],
        resources: CDK_BOOTSTRAP_ROLE_PURPOSES.map(
          (purpose) =>
            `arn:${this.partition}:iam::${this.account}:role/cdk-${CDK_BOOTSTRAP_QUALIFIER}-${purpose}-role-${this.account}-${this.region}`,
        ),
      }),
    );

    // What bin/smoke-check.ts reads after each deployment.
    const stackNames = DEPLOY_ENVIRONMENTS.map(({ stage }) => new Naming(stage).stackName);
    const smokeCheckReads = [
      new PolicyStatement({
        sid: "ReadMonitorStackOutputs",
        actions: ["cloudformation:DescribeStacks"],
        resources: stackNames.map(
          (name) => `arn:${this.partition}:cloudformation:${this.region}:${this.account}:stack/${name}/*`,
        ),
      }),
      new PolicyStatement({
        sid: "WaitForMonitorServices",
        actions: ["ecs:DescribeServices"],
        // CloudFormation names the clusters and services `<stack name>-<logical id>-<suffix>`.
        resources: stackNames.map(
          (name) => `arn:${this.partition}:ecs:${this.region}:${this.account}:service/${name}-*`,
        ),
      }),
      new PolicyStatement({
        sid: "ReadMonitorHeartbeat",
        actions: ["cloudwatch:GetMetricStatistics"],
        resources: ["*"],
      }),
    ];
    for (const statement of smokeCheckReads) this.deployRole.addToPolicy(statement);

    this.#outputs(settings);
    this.#acknowledgeNagFindings(stackNames);
  }

  #outputs(settings: DeployAccessSettings): void {
    new CfnOutput(this, "DeployRoleArn", {
      value: this.deployRole.roleArn,
      description: "the repository variable AWS_DEPLOY_ROLE_ARN",
    });
    new CfnOutput(this, "OidcProviderArn", {
      value: this.provider.oidcProviderArn,
      description: "GitHub's OIDC provider in this account (pass it as github_oidc_provider_arn to reuse it)",
    });
    new CfnOutput(this, "SetRepositoryVariablesCommand", {
      value: [
        `gh variable set AWS_DEPLOY_ROLE_ARN --repo ${settings.repository} --body ${this.deployRole.roleArn}`,
        `gh variable set AWS_REGION --repo ${settings.repository} --body ${this.region}`,
      ].join(" && "),
      description:
        "sets the variables deploy.yml reads (or set them in the repository settings: Secrets and variables, Actions)",
    });
  }

  #acknowledgeNagFindings(stackNames: string[]): void {
    const policy = this.deployRole.node.findChild("DefaultPolicy");
    const acknowledge = (finding: string, reason: string) =>
      Validations.of(policy).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`, reason });
    // cdk-nag names a finding by the resource as synthesized: a value known at synthesis (the region or
    // account from the CLI's profile) appears as itself, one resolved at deployment as <AWS::…>.
    const shown = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const arnPrefix = (service: string) =>
      `arn:${shown(this.partition, "Partition")}:${service}:${shown(this.region, "Region")}:${shown(this.account, "AccountId")}`;
    for (const name of stackNames) {
      acknowledge(
        `Resource::${arnPrefix("cloudformation")}:stack/${name}/*`,
        `A stack ARN ends in an id CloudFormation assigns at creation; the name ${name} is fixed, and the action only reads its outputs for the smoke check.`,
      );
      acknowledge(
        `Resource::${arnPrefix("ecs")}:service/${name}-*`,
        `CloudFormation generates the cluster and service names from the stack name ${name}; the action only describes them while the smoke check waits for a steady state.`,
      );
    }
    acknowledge(
      "Resource::*",
      "cloudwatch:GetMetricStatistics supports no resource-level permissions; it is read-only and lets the smoke check see the monitor's heartbeat arrive.",
    );
  }
}
