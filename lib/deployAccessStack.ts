/**
 * DeployAccessStack (`HyperliquidMonitorDeployAccess`): what lets `.github/workflows/deploy.yml` deploy
 * from a fork without stored AWS keys. GitHub's OIDC provider (or the account's existing one) and one
 * role per GitHub environment: only jobs of the fork's `staging` environment can assume the staging
 * role, only jobs of `production` the production one. Each may do no more than assume the CDK bootstrap
 * roles (which do the actual deployment) and make the smoke check's calls on its own stage's stack and
 * services. Deployed once by hand, after `cdk bootstrap`; its own entry is `bin/deploy-access.ts`.
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

/**
 * The GitHub environments the deploy workflow's jobs run in, the stage each one deploys, and the
 * repository variable that holds its own role's ARN. Staging is deployed stopped and scaled up by its
 * smoke check (bin/smoke-check.ts --scale-from-zero), so only its role may change a desired count.
 */
export const DEPLOY_ENVIRONMENTS = [
  { environment: "staging", stage: "staging", roleVariable: "AWS_ROLE_STAGING", scalesFromZero: true },
  {
    environment: "production",
    stage: "prod",
    roleVariable: "AWS_ROLE_PRODUCTION",
    scalesFromZero: false,
  },
] as const;
export type DeployEnvironment = (typeof DEPLOY_ENVIRONMENTS)[number];

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

/** `StagingDeployRole`, `ProductionDeployRole`. */
export function deployRoleId(environment: string): string {
  return `${environment[0]!.toUpperCase()}${environment.slice(1)}DeployRole`;
}

export class DeployAccessStack extends Stack {
  readonly provider: IOidcProvider;
  /** One role per GitHub environment, by environment name. */
  readonly deployRoles: Record<DeployEnvironment["environment"], Role>;

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

    const roles = {} as Record<DeployEnvironment["environment"], Role>;
    for (const target of DEPLOY_ENVIRONMENTS) roles[target.environment] = this.#deployRole(settings, target);
    this.deployRoles = roles;

    this.#outputs(settings);
  }

  /**
   * The role of one environment: only a job of that environment can assume it (so the staging job
   * cannot assume production's role, and production's required reviewers guard production's), and it
   * reads and scales only its own stage's stack and services.
   */
  #deployRole(settings: DeployAccessSettings, target: DeployEnvironment): Role {
    const naming = new Naming(target.stage);
    const role = new Role(this, deployRoleId(target.environment), {
      description: `hl-monitor ${target.stage} deployments from GitHub Actions: ${settings.repository}, environment ${target.environment} only`,
      assumedBy: new WebIdentityPrincipal(this.provider.oidcProviderArn, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
          [`${GITHUB_OIDC_HOST}:sub`]: environmentSubject(settings.subjectRepository, target.environment),
        },
      }),
      maxSessionDuration: Duration.hours(1),
    });

    // CloudFormation, assets and images are handled by the bootstrap roles `cdk deploy` assumes; IAM
    // cannot scope those per stack (docs/deploy.md, "Deploying from your fork", says how to scope what they
    // may create with --cloudformation-execution-policies).
    role.addToPolicy(
      new PolicyStatement({
        sid: "AssumeCdkBootstrapRoles",
        actions: ["sts:AssumeRole"],
        resources: CDK_BOOTSTRAP_ROLE_PURPOSES.map(
          (purpose) =>
            `arn:${this.partition}:iam::${this.account}:role/cdk-${CDK_BOOTSTRAP_QUALIFIER}-${purpose}-role-${this.account}-${this.region}`,
        ),
      }),
    );

    // What bin/smoke-check.ts does after the deployment, on this stage's names only (lib/naming.ts).
    const stackArn = `arn:${this.partition}:cloudformation:${this.region}:${this.account}:stack/${naming.stackName}/*`;
    // `service/<cluster>/<service>`: the services of shards are `<service>-<shard>`.
    const servicesArn = `arn:${this.partition}:ecs:${this.region}:${this.account}:service/${naming.clusterName}/${naming.serviceName(0, 1)}*`;
    role.addToPolicy(
      new PolicyStatement({
        sid: "ReadStackOutputs",
        actions: ["cloudformation:DescribeStacks"],
        resources: [stackArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        sid: target.scalesFromZero ? "ScaleAndWaitForServices" : "WaitForServices",
        actions: target.scalesFromZero
          ? ["ecs:DescribeServices", "ecs:UpdateService"]
          : ["ecs:DescribeServices"],
        resources: [servicesArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        sid: "ReadHeartbeat",
        actions: ["cloudwatch:GetMetricStatistics"],
        resources: ["*"],
      }),
    );

    const policy = role.node.findChild("DefaultPolicy");
    const acknowledge = (finding: string, reason: string) =>
      Validations.of(policy).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`, reason });
    // cdk-nag names a finding by the resource as synthesized: a value known at synthesis (the region or
    // account from the CLI's profile) appears as itself, one resolved at deployment as <AWS::…>.
    const shown = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const arnPrefix = (service: string) =>
      `arn:${shown(this.partition, "Partition")}:${service}:${shown(this.region, "Region")}:${shown(this.account, "AccountId")}`;
    acknowledge(
      `Resource::${arnPrefix("cloudformation")}:stack/${naming.stackName}/*`,
      `A stack ARN ends in an id CloudFormation assigns at creation; the name ${naming.stackName} is fixed, and the action only reads its outputs for the smoke check.`,
    );
    acknowledge(
      `Resource::${arnPrefix("ecs")}:service/${naming.clusterName}/${naming.serviceName(0, 1)}*`,
      `The services of cluster ${naming.clusterName} are ${naming.serviceName(0, 1)}, or numbered by shard after it; the smoke check ${target.scalesFromZero ? "scales them to one task and back to zero and " : ""}waits for their steady state.`,
    );
    acknowledge(
      "Resource::*",
      "cloudwatch:GetMetricStatistics supports no resource-level permissions; it is read-only and lets the smoke check see the monitor's heartbeat arrive.",
    );
    return role;
  }

  #outputs(settings: DeployAccessSettings): void {
    for (const { environment, roleVariable } of DEPLOY_ENVIRONMENTS) {
      new CfnOutput(this, `${deployRoleId(environment)}Arn`, {
        value: this.deployRoles[environment].roleArn,
        description: `the repository variable ${roleVariable} (the ${environment} job's role)`,
      });
    }
    new CfnOutput(this, "OidcProviderArn", {
      value: this.provider.oidcProviderArn,
      description: "GitHub's OIDC provider in this account (pass it as github_oidc_provider_arn to reuse it)",
    });
    new CfnOutput(this, "SetRepositoryVariablesCommand", {
      value: [
        ...DEPLOY_ENVIRONMENTS.map(
          ({ environment, roleVariable }) =>
            `gh variable set ${roleVariable} --repo ${settings.repository} --body ${this.deployRoles[environment].roleArn}`,
        ),
        `gh variable set AWS_REGION --repo ${settings.repository} --body ${this.region}`,
      ].join(" && "),
      description:
        "sets the variables deploy.yml reads (or set them in the repository settings: Secrets and variables, Actions)",
    });
  }
}
