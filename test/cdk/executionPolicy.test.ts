/**
 * docs/cdk-execution-policy.json, the managed policy the README suggests for `cdk bootstrap
 * --cloudformation-execution-policies` instead of AdministratorAccess: it allows creating every resource
 * type the stacks synthesize, and only under the names lib/naming.ts gives them (both stages). IAM itself
 * is not run here: this checks the policy against the templates and the names, not against AWS.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildDeployAccessApp } from "../../lib/app.ts";
import { DEPLOY_ACCESS_STACK_NAME } from "../../lib/deployAccessStack.ts";
import { Naming } from "../../lib/naming.ts";
import type { TableRole } from "../../monitor/src/storage/dynamodb/tables.ts";
import { synthesize } from "../support/cdkApp.ts";
import { testTempDir } from "../support/tempDirs.ts";

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
}
const policy = JSON.parse(readFileSync("docs/cdk-execution-policy.json", "utf8")) as {
  Version: string;
  Statement: Statement[];
};
const TABLE_ROLES: TableRole[] = ["fills", "positions", "dashboard", "orders", "cvd"];
const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
const matches = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
      .join(".*")}$`,
  ).test(value);

/** Whether the policy allows `action` on `arn` (IAM's wildcards, Allow statements only). */
function allows(action: string, arn: string): boolean {
  return policy.Statement.some(
    (s) =>
      s.Effect === "Allow" &&
      list(s.Action).some((a) => matches(a, action)) &&
      list(s.Resource).some((r) => matches(r, arn)),
  );
}

/** The action CloudFormation needs to create each resource type the stacks use. */
const CREATE_ACTION: Record<string, string> = {
  "AWS::CloudWatch::Alarm": "cloudwatch:PutMetricAlarm",
  "AWS::CloudWatch::Dashboard": "cloudwatch:PutDashboard",
  "AWS::DynamoDB::Table": "dynamodb:CreateTable",
  "AWS::EC2::FlowLog": "ec2:CreateFlowLogs",
  "AWS::EC2::InternetGateway": "ec2:CreateInternetGateway",
  "AWS::EC2::Route": "ec2:CreateRoute",
  "AWS::EC2::RouteTable": "ec2:CreateRouteTable",
  "AWS::EC2::SecurityGroup": "ec2:CreateSecurityGroup",
  "AWS::EC2::Subnet": "ec2:CreateSubnet",
  "AWS::EC2::SubnetRouteTableAssociation": "ec2:AssociateRouteTable",
  "AWS::EC2::VPC": "ec2:CreateVpc",
  "AWS::EC2::VPCGatewayAttachment": "ec2:AttachInternetGateway",
  "AWS::ECS::Cluster": "ecs:CreateCluster",
  "AWS::ECS::ClusterCapacityProviderAssociations": "ecs:PutClusterCapacityProviders",
  "AWS::ECS::Service": "ecs:CreateService",
  "AWS::ECS::TaskDefinition": "ecs:RegisterTaskDefinition",
  "AWS::Events::Rule": "events:PutRule",
  "AWS::IAM::OIDCProvider": "iam:CreateOpenIDConnectProvider",
  "AWS::IAM::Policy": "iam:PutRolePolicy",
  "AWS::IAM::Role": "iam:CreateRole",
  "AWS::Lambda::EventInvokeConfig": "lambda:PutFunctionEventInvokeConfig",
  "AWS::Lambda::Function": "lambda:CreateFunction",
  "AWS::Lambda::Permission": "lambda:AddPermission",
  "AWS::Lambda::Url": "lambda:CreateFunctionUrlConfig",
  "AWS::Logs::LogGroup": "logs:CreateLogGroup",
  "AWS::SNS::Subscription": "sns:Subscribe",
  "AWS::SNS::Topic": "sns:CreateTopic",
  "AWS::SNS::TopicPolicy": "sns:SetTopicAttributes",
  "AWS::SQS::Queue": "sqs:CreateQueue",
  "AWS::SQS::QueuePolicy": "sqs:SetQueueAttributes",
  "AWS::SecretsManager::Secret": "secretsmanager:CreateSecret",
};

describe("the scoped CloudFormation execution policy", () => {
  it("is an IAM policy of Allow statements with no service-wide wildcard", () => {
    expect(policy.Version).toBe("2012-10-17");
    const sids = policy.Statement.map((s) => s.Sid);
    expect(new Set(sids).size).toBe(sids.length);
    for (const statement of policy.Statement) {
      expect(statement.Effect).toBe("Allow");
      for (const action of list(statement.Action)) expect(action).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
    }
  });

  it("allows creating every resource type the stacks synthesize", () => {
    const types = new Set<string>();
    const contexts: Record<string, string>[] = [
      {},
      { stage: "staging", desired_count: "0", db_mode: "supabase", shards: "3", alert_email: "a@b.io" },
      { exec: "false", spot: "false" },
    ];
    for (const context of contexts) {
      for (const resource of Object.values(synthesize(context).json.Resources)) types.add(resource.Type);
    }
    const outdir = testTempDir("hl-cdk-policy-");
    const { app } = buildDeployAccessApp({ outdir, context: { github_repo: "octocat/hl-monitor" } });
    for (const resource of Object.values(
      app.synth().getStackByName(DEPLOY_ACCESS_STACK_NAME).template.Resources as Record<
        string,
        { Type: string }
      >,
    )) {
      types.add(resource.Type);
    }
    const unknown = [...types].filter((type) => !(type in CREATE_ACTION));
    expect(
      unknown,
      "a new resource type: add its actions to docs/cdk-execution-policy.json and here",
    ).toEqual([]);
    for (const type of types) {
      const action = CREATE_ACTION[type]!;
      expect(
        policy.Statement.some((s) => list(s.Action).includes(action)),
        `${type} needs ${action}`,
      ).toBe(true);
    }
  }, 120_000);

  it("allows the named resources of both stages, and not the same actions on other names", () => {
    for (const stage of ["prod", "staging"]) {
      const naming = new Naming(stage);
      const named: [string, string][] = [
        ["ecs:CreateCluster", `arn:aws:ecs:eu-west-1:123456789012:cluster/${naming.clusterName}`],
        [
          "ecs:CreateService",
          `arn:aws:ecs:eu-west-1:123456789012:service/${naming.clusterName}/${naming.serviceName(2, 3)}`,
        ],
        ["iam:CreateRole", `arn:aws:iam::123456789012:role/${naming.stackName}-MonitorTaskRole-ABC`],
        ["iam:PassRole", `arn:aws:iam::123456789012:role/${naming.stackName}-MonitorTaskRole-ABC`],
        ["logs:CreateLogGroup", `arn:aws:logs:eu-west-1:123456789012:log-group:${naming.logGroupName}`],
        ["logs:CreateLogGroup", `arn:aws:logs:eu-west-1:123456789012:log-group:${naming.flowLogGroupName}`],
        ["logs:CreateLogGroup", `arn:aws:logs:eu-west-1:123456789012:log-group:${naming.alertLogGroupName}`],
        [
          "logs:CreateLogGroup",
          `arn:aws:logs:eu-west-1:123456789012:log-group:${naming.capacityLogGroupName}`,
        ],
        [
          "logs:CreateLogGroup",
          `arn:aws:logs:eu-west-1:123456789012:log-group:${naming.commandsLogGroupName}`,
        ],
        [
          "lambda:CreateFunctionUrlConfig",
          `arn:aws:lambda:eu-west-1:123456789012:function:${naming.commandsFunctionName}`,
        ],
        [
          "lambda:PutFunctionConcurrency",
          `arn:aws:lambda:eu-west-1:123456789012:function:${naming.commandsFunctionName}`,
        ],
        ...TABLE_ROLES.map(
          (role) =>
            [
              "dynamodb:CreateTable",
              `arn:aws:dynamodb:eu-west-1:123456789012:table/${naming.tableName(role)}`,
            ] as [string, string],
        ),
        ["dynamodb:CreateTable", `arn:aws:dynamodb:eu-west-1:123456789012:table/${naming.deliveryTableName}`],
        [
          "secretsmanager:CreateSecret",
          `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${naming.secretName("credentials")}-AbCdEf`,
        ],
        ["sns:CreateTopic", `arn:aws:sns:eu-west-1:123456789012:${naming.stackName}-AlertingTopic-ABC`],
        ["sqs:CreateQueue", `arn:aws:sqs:eu-west-1:123456789012:${naming.stackName}-AlertingDlq-ABC`],
        [
          "lambda:CreateFunction",
          `arn:aws:lambda:eu-west-1:123456789012:function:${naming.alertFunctionName}`,
        ],
        [
          "lambda:CreateFunction",
          `arn:aws:lambda:eu-west-1:123456789012:function:${naming.capacityFunctionName}`,
        ],
        // The task-stop rule's fixed name (lib/monitoring/taskStopAlert.ts).
        ["events:PutRule", `arn:aws:events:eu-west-1:123456789012:rule/${naming.clusterName}-task-stopped`],
        // The capacity fallback's rules have no name of their own: CloudFormation prefixes the stack's.
        [
          "events:PutRule",
          `arn:aws:events:eu-west-1:123456789012:rule/${naming.stackName}-CapacityFallbackServiceEv-ABC`,
        ],
        [
          "cloudwatch:PutMetricAlarm",
          `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${naming.alarmName("monitor silent")}`,
        ],
        ["cloudwatch:PutDashboard", `arn:aws:cloudwatch::123456789012:dashboard/${naming.dashboardName}`],
      ];
      for (const [action, arn] of named) expect(allows(action, arn), `${action} on ${arn}`).toBe(true);
    }
    for (const [action, arn] of [
      ["iam:CreateRole", "arn:aws:iam::123456789012:role/Admin"],
      ["iam:PassRole", "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"],
      ["dynamodb:DeleteTable", "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"],
      ["secretsmanager:DeleteSecret", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"],
      ["lambda:UpdateFunctionCode", "arn:aws:lambda:eu-west-1:123456789012:function:billing"],
      ["ecs:DeleteService", "arn:aws:ecs:eu-west-1:123456789012:service/web/api"],
      ["ec2:RunInstances", "arn:aws:ec2:eu-west-1:123456789012:instance/*"],
      ["s3:DeleteBucket", "arn:aws:s3:::backups"],
    ]) {
      expect(allows(action!, arn!), `${action} on ${arn}`).toBe(false);
    }
  });
});
