/**
 * HyperliquidMonitorStack, synthesized for real (aws-cdk-lib/assertions) in both modes and a sharded
 * staging deployment, with cdk-nag's AwsSolutions checks as `cdk synth` runs them.
 */

import { readFileSync } from "node:fs";
import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { classifySnsMessage } from "../../lambda-alerts/src/snsMessage.ts";
import { alarmCount } from "../../lib/monitoring/alarms.ts";
import { TRADER_QUERIES } from "../../lib/monitoring/dashboard.ts";
import { TASK_MALLOC_TUNABLES, TASK_NODE_OPTIONS } from "../../lib/monitorService.ts";
import { SECRET_EXAMPLES, SECRET_INITIAL_VALUE, SECRET_KEYS } from "../../lib/secrets.ts";
import { loadConfig } from "../../monitor/src/config/config.ts";
import { CREDENTIALS_SECRET } from "../../monitor/src/config/secretVariables.ts";
import { TABLES } from "../../monitor/src/storage/dynamodb/tables.ts";
import { ESSENTIAL_METRICS } from "../../monitor/src/telemetry/metrics.ts";
import { resourcesOfType, type Synthesized, synthesize } from "../support/cdkApp.ts";
import { applyInputTransformer, matchesPattern, resolveJoin } from "../support/eventBridge.ts";

let dynamo: Synthesized;
let supabase: Synthesized;
let sharded: Synthesized;

beforeAll(() => {
  dynamo = synthesize({ db_mode: "dynamodb", alert_email: "trader@example.com" });
  supabase = synthesize({ db_mode: "supabase" });
  sharded = synthesize({ stage: "staging", shards: "3", spot: "false", exec: "false" });
}, 120_000);

const containerOf = (synth: Synthesized, index = 0) =>
  resourcesOfType(synth, "AWS::ECS::TaskDefinition")[index]![1].Properties.ContainerDefinitions[0];

/** Every IAM statement of the stack, with the logical id of the policy it is in. */
function statements(synth: Synthesized): { policy: string; Action: string | string[]; Resource: unknown }[] {
  return resourcesOfType(synth, "AWS::IAM::Policy").flatMap(([id, policy]) =>
    policy.Properties.PolicyDocument.Statement.map((statement: object) => ({ policy: id, ...statement })),
  );
}

const actionsOf = (statement: { Action: string | string[] }) =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

describe("cdk-nag AwsSolutions", () => {
  it("reports nothing unacknowledged in any configuration, and every acknowledgement has a reason", () => {
    for (const synth of [dynamo, supabase, sharded]) {
      expect(synth.nag.violations).toEqual([]);
      for (const suppressed of synth.nag.suppressedViolations) {
        expect(suppressed.reason.length).toBeGreaterThan(60);
      }
    }
    const rules = [...new Set(dynamo.nag.suppressedViolations.map((s) => s.acknowledgedId))].sort();
    const execLogStreams =
      "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<MonitorLogs055E515E>:*]";
    expect(rules).toEqual([
      "AwsSolutions::AwsSolutions-ECS2",
      "AwsSolutions::AwsSolutions-ECS4",
      "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
      // ECS Exec session logs: streams of the monitor's own log group only (exec=false has none).
      execLogStreams,
      "AwsSolutions::AwsSolutions-SMG4",
    ]);
    expect(sharded.nag.suppressedViolations.map((s) => s.acknowledgedId)).not.toContain(execLogStreams);
  });
});

describe("cdk-nag as `cdk synth` runs it, with the CLI's region", () => {
  it("stays clean when the region is known (the exec log-stream ARN then names it)", () => {
    const before = process.env.CDK_DEFAULT_REGION;
    process.env.CDK_DEFAULT_REGION = "eu-west-1";
    try {
      const synth = synthesize({ db_mode: "dynamodb" });
      expect(synth.nag.violations).toEqual([]);
      expect(synth.nag.suppressedViolations.map((s) => s.acknowledgedId)).toContain(
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:eu-west-1:<AWS::AccountId>:log-group:<MonitorLogs055E515E>:*]",
      );
    } finally {
      if (before === undefined) delete process.env.CDK_DEFAULT_REGION;
      else process.env.CDK_DEFAULT_REGION = before;
    }
  }, 60_000);
});

describe("compute: Fargate Spot, ARM64, 0.25 vCPU / 512 MiB, one task per shard", () => {
  it("runs one FARGATE_SPOT service with the deliberate deployment settings", () => {
    dynamo.template.resourceCountIs("AWS::ECS::Service", 1);
    dynamo.template.hasResourceProperties("AWS::ECS::Service", {
      CapacityProviderStrategy: [{ CapacityProvider: "FARGATE_SPOT", Weight: 1 }],
      DesiredCount: 1,
      EnableExecuteCommand: true,
      DeploymentConfiguration: {
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      },
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: "ENABLED" } },
    });
    dynamo.template.hasResourceProperties("AWS::ECS::Cluster", {
      ClusterSettings: [{ Name: "containerInsights", Value: "disabled" }],
    });
    dynamo.template.hasResourceProperties("AWS::ECS::ClusterCapacityProviderAssociations", {
      CapacityProviders: Match.arrayWith(["FARGATE", "FARGATE_SPOT"]),
    });
  });

  it("sizes the task at 256 CPU units and 512 MiB on LINUX/ARM64, stops in 120 s, checks /health", () => {
    dynamo.template.hasResourceProperties("AWS::ECS::TaskDefinition", {
      Cpu: "256",
      Memory: "512",
      RequiresCompatibilities: ["FARGATE"],
      RuntimePlatform: { CpuArchitecture: "ARM64", OperatingSystemFamily: "LINUX" },
    });
    const container = containerOf(dynamo);
    expect(container.StopTimeout).toBe(120);
    expect(container.LinuxParameters.InitProcessEnabled).toBe(true);
    expect(container.HealthCheck.Command.join(" ")).toContain("http://127.0.0.1:8080/health");
    const env = Object.fromEntries(
      container.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]),
    );
    expect(env.HEALTH_PORT).toBe("8080");
    // The memory settings the benchmark measures the monitor with (test/bench).
    expect(env.NODE_OPTIONS).toBe(TASK_NODE_OPTIONS);
    expect(env.GLIBC_TUNABLES).toBe(TASK_MALLOC_TUNABLES);
    expect(env.GLIBC_TUNABLES).toContain("glibc.malloc.arena_max=1");
    expect(container.LogConfiguration.Options["awslogs-stream-prefix"]).toBe("monitor");
  });

  it("spot=false runs on FARGATE; shards=3 makes three services, each told its shard", () => {
    sharded.template.resourceCountIs("AWS::ECS::Service", 3);
    for (const [, service] of resourcesOfType(sharded, "AWS::ECS::Service")) {
      expect(service.Properties.CapacityProviderStrategy).toEqual([
        { CapacityProvider: "FARGATE", Weight: 1 },
      ]);
    }
    const shards = [0, 1, 2].map((index) => {
      const env = containerOf(sharded, index).Environment as { Name: string; Value: string }[];
      const value = (name: string) => env.find((e) => e.Name === name)?.Value;
      return [value("SHARD_INDEX"), value("SHARD_COUNT")];
    });
    expect(shards).toEqual([
      ["0", "3"],
      ["1", "3"],
      ["2", "3"],
    ]);
  });

  it("gives the container an environment the monitor accepts as configuration", () => {
    const container = containerOf(dynamo);
    // Values CloudFormation resolves at deploy time, stood in by what they become.
    const deployTime: Record<string, string> = {
      ALERT_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:t",
      DASHBOARD_URL: "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1",
      AWS_REGION: "eu-west-1",
    };
    const env: Record<string, string> = {};
    for (const { Name, Value } of container.Environment as { Name: string; Value: unknown }[]) {
      env[Name] = typeof Value === "string" ? Value : deployTime[Name]!;
    }
    // As ECS injects the credentials secret: its whole JSON in one variable.
    expect(container.Secrets.map((s: { Name: string }) => s.Name)).toEqual([CREDENTIALS_SECRET.variable]);
    env[CREDENTIALS_SECRET.variable] = JSON.stringify({
      ACCOUNT_ADDRESS: "0x1111111111111111111111111111111111111111",
    });
    const config = loadConfig(env);
    expect(config).toMatchObject({
      dbMode: "dynamodb",
      tablePrefix: "hl-",
      healthPort: 8080,
      metricsDetail: "essential",
    });
    expect(config.alerts.topicArn).toBe("arn:aws:sns:eu-west-1:123456789012:t");
    const tableNames = resourcesOfType(dynamo, "AWS::DynamoDB::Table").map(([, t]) => t.Properties.TableName);
    for (const { role } of TABLES) expect(tableNames).toContain(`${config.tablePrefix}${role}`);
  });
});

describe("network: no NAT gateway, no inbound rule", () => {
  it("has two public subnets in two AZs, an internet gateway and no NAT", () => {
    for (const synth of [dynamo, supabase, sharded]) {
      synth.template.resourceCountIs("AWS::EC2::NatGateway", 0);
      synth.template.resourceCountIs("AWS::EC2::Subnet", 2);
      synth.template.resourceCountIs("AWS::EC2::InternetGateway", 1);
      for (const [, subnet] of resourcesOfType(synth, "AWS::EC2::Subnet")) {
        expect(subnet.Properties.MapPublicIpOnLaunch).toBe(true);
      }
    }
  });

  it("lets nothing in: no ingress rule on any security group; out only on 443", () => {
    for (const synth of [dynamo, supabase, sharded]) {
      synth.template.resourceCountIs("AWS::EC2::SecurityGroupIngress", 0);
      for (const [, group] of resourcesOfType(synth, "AWS::EC2::SecurityGroup")) {
        expect(group.Properties.SecurityGroupIngress ?? []).toEqual([]);
        expect(group.Properties.SecurityGroupEgress).toEqual([
          expect.objectContaining({ CidrIp: "0.0.0.0/0", FromPort: 443, ToPort: 443, IpProtocol: "tcp" }),
        ]);
      }
    }
  });

  it("logs rejected traffic to a two-week log group", () => {
    dynamo.template.hasResourceProperties("AWS::EC2::FlowLog", { TrafficType: "REJECT" });
    dynamo.template.hasResourceProperties("AWS::Logs::LogGroup", {
      LogGroupName: "/vpc/hl-monitor/rejected",
      RetentionInDays: 14,
    });
  });
});

describe("secrets: in Secrets Manager, injected as ECS secrets, never plain environment", () => {
  const SECRETISH = /(KEY|TOKEN|SECRET|PASSWORD|WEBHOOK|ADDRESS|CHAT_ID)/;

  it("creates the credentials and alerts secrets (and supabase in that mode) under the specification's names", () => {
    const namesOf = (synth: Synthesized) =>
      resourcesOfType(synth, "AWS::SecretsManager::Secret").map(([, s]) => s.Properties.Name);
    expect(namesOf(dynamo)).toEqual(["hl-monitor/credentials", "hl-monitor/alerts"]);
    expect(namesOf(supabase)).toEqual(["hl-monitor/credentials", "hl-monitor/supabase", "hl-monitor/alerts"]);
    expect(namesOf(sharded)).toEqual(["hl-monitor/staging/credentials", "hl-monitor/staging/alerts"]);
  });

  it("no deploy can rewrite a secret's value: the template's value is pinned", () => {
    // CloudFormation writes SecretString (or generates a value) whenever that property changes, over
    // whatever the operator put. The template therefore carries one fixed value, an empty JSON object,
    // that never changes with the keys the monitor or the Lambda read (they read the keys present and
    // treat absent ones as not set). If this fails, a deploy would wipe every operator's secrets: do not
    // update the expectation, find another way (see lib/secrets.ts).
    expect(SECRET_INITIAL_VALUE).toBe("{}");
    for (const synth of [dynamo, supabase, sharded]) {
      for (const [id, secret] of resourcesOfType(synth, "AWS::SecretsManager::Secret")) {
        const { Name, Description, ...value } = secret.Properties;
        expect(typeof Name, id).toBe("string");
        expect(typeof Description, id).toBe("string");
        expect(value, `${id}: the value CloudFormation writes must stay exactly this`).toEqual({
          SecretString: "{}",
        });
        // A rename or replacement keeps the old secret (and the operator's values in it); deleting the
        // stack deletes it.
        expect(
          { DeletionPolicy: secret.DeletionPolicy, UpdateReplacePolicy: secret.UpdateReplacePolicy },
          id,
        ).toEqual({ DeletionPolicy: "Delete", UpdateReplacePolicy: "Retain" });
      }
    }
  });

  it("injects only what the monitor needs, as secrets; no plain variable carries a secret", () => {
    for (const [synth, expected] of [
      [dynamo, ["CREDENTIALS_SECRET_JSON"]],
      [supabase, ["CREDENTIALS_SECRET_JSON", "SUPABASE_SECRET_JSON"]],
    ] as const) {
      for (const [, definition] of resourcesOfType(synth, "AWS::ECS::TaskDefinition")) {
        for (const container of definition.Properties.ContainerDefinitions) {
          const secretNames = container.Secrets.map((s: { Name: string }) => s.Name).sort();
          expect(secretNames).toEqual(expected);
          const plain = container.Environment.map((e: { Name: string }) => e.Name);
          expect(plain.filter((name: string) => SECRETISH.test(name) && name !== "ALERT_TOPIC_ARN")).toEqual(
            [],
          );
          for (const name of secretNames) expect(plain).not.toContain(name);
        }
      }
    }
    // The Lambdas get secrets' names (…_SECRET_ID), never their values: the alert Lambda the alerts
    // secret's; the commands Lambda also the credentials secret's (the accounts it answers for); the
    // capacity Lambda nothing secret at all.
    for (const [, fn] of resourcesOfType(dynamo, "AWS::Lambda::Function")) {
      const variables = fn.Properties.Environment.Variables;
      const secretish = Object.keys(variables).filter((name) => SECRETISH.test(name));
      if (fn.Properties.FunctionName === "hl-monitor-capacity") {
        expect(secretish).toEqual([]);
        continue;
      }
      expect(secretish.filter((name) => !name.endsWith("_SECRET_ID"))).toEqual([]);
      expect(variables.ALERTS_SECRET_ID).toBe("hl-monitor/alerts");
      if (fn.Properties.FunctionName !== "hl-monitor-commands")
        expect(secretish).toEqual(["ALERTS_SECRET_ID"]);
    }
  });

  it("the put-secret-value commands show exactly the keys the monitor reads, and no trading key", () => {
    expect(Object.keys(SECRET_EXAMPLES.credentials)).toEqual(["ACCOUNT_ADDRESS"]);
    expect(Object.keys(SECRET_EXAMPLES.supabase).sort()).toEqual([...SECRET_KEYS.supabase].sort());
    for (const examples of Object.values(SECRET_EXAMPLES)) {
      for (const key of Object.keys(examples)) expect(key).not.toMatch(/API_KEY|PRIVATE/);
    }
  });

  it("injects each secret whole (no JSON key ECS could find missing), so a task starts with any keys", () => {
    // ECS refuses to start a task whose `valueFrom` names a JSON key the secret lacks; a whole secret
    // (its ARN with no key) always resolves, and the monitor reads the keys it finds.
    for (const [, definition] of resourcesOfType(supabase, "AWS::ECS::TaskDefinition")) {
      for (const secret of definition.Properties.ContainerDefinitions[0].Secrets) {
        expect(secret.ValueFrom, secret.Name).toEqual({
          Ref: expect.stringMatching(/^Secrets(credentials|supabase)/),
        });
      }
    }
  });
});

describe("tables", () => {
  it("dynamodb mode: the five tables on-demand, with PITR, TTL and retained, keys as the monitor defines", () => {
    const tables = resourcesOfType(dynamo, "AWS::DynamoDB::Table");
    const byName = new Map(tables.map(([, t]) => [t.Properties.TableName as string, t]));
    expect([...byName.keys()].sort()).toEqual(
      ["hl-alert-deliveries", "hl-cvd", "hl-dashboard", "hl-fills", "hl-orders", "hl-positions"].sort(),
    );
    for (const definition of TABLES) {
      const table = byName.get(`hl-${definition.role}`)!;
      expect(table.DeletionPolicy).toBe("Retain");
      expect(table.Properties).toMatchObject({
        BillingMode: "PAY_PER_REQUEST",
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        KeySchema: [
          { AttributeName: definition.partitionKey.name, KeyType: "HASH" },
          { AttributeName: definition.sortKey.name, KeyType: "RANGE" },
        ],
      });
      expect(table.Properties.TimeToLiveSpecification).toEqual(
        definition.ttlAttribute ? { AttributeName: definition.ttlAttribute, Enabled: true } : undefined,
      );
      expect(
        (table.Properties.LocalSecondaryIndexes ?? []).map((i: { IndexName: string }) => i.IndexName),
      ).toEqual(definition.localIndexes.map((i) => i.name));
    }
    const ledger = byName.get("hl-alert-deliveries")!;
    expect(ledger.Properties).toMatchObject({
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
  });

  it("supabase mode: no monitor tables (only the alert Lambda's delivery ledger)", () => {
    const names = resourcesOfType(supabase, "AWS::DynamoDB::Table").map(([, t]) => t.Properties.TableName);
    expect(names).toEqual(["hl-alert-deliveries"]);
  });

  it("other stages get their own names", () => {
    const names = resourcesOfType(sharded, "AWS::DynamoDB::Table").map(([, t]) => t.Properties.TableName);
    expect(names.sort()).toContain("hl-staging-fills");
    sharded.template.hasResourceProperties("AWS::Logs::LogGroup", {
      LogGroupName: "/ecs/hl-monitor-staging",
    });
    sharded.template.hasResourceProperties("AWS::CloudWatch::Dashboard", {
      DashboardName: "HyperliquidMonitor-staging",
    });
    sharded.template.hasResourceProperties("AWS::SecretsManager::Secret", {
      Name: "hl-monitor/staging/credentials",
    });
    expect(sharded.stack.stackName).toBe("HyperliquidMonitor-staging");
    expect(dynamo.stack.stackName).toBe("HyperliquidMonitor");
  });
});

describe("names the specification's runbook uses", () => {
  it("prod: cluster hl-monitor-cluster and service hl-monitor-service, so `--cluster hl-monitor-cluster` works", () => {
    for (const synth of [dynamo, supabase]) {
      synth.template.hasResourceProperties("AWS::ECS::Cluster", { ClusterName: "hl-monitor-cluster" });
      synth.template.resourceCountIs("AWS::ECS::Service", 1);
      synth.template.hasResourceProperties("AWS::ECS::Service", {
        ServiceName: "hl-monitor-service",
        Cluster: { Ref: Match.stringLikeRegexp("^MonitorCluster") },
      });
    }
  });

  it("other stages are suffixed, and sharded services are numbered by shard", () => {
    sharded.template.hasResourceProperties("AWS::ECS::Cluster", {
      ClusterName: "hl-monitor-cluster-staging",
    });
    expect(
      resourcesOfType(sharded, "AWS::ECS::Service").map(([, service]) => service.Properties.ServiceName),
    ).toEqual([
      "hl-monitor-service-staging-0",
      "hl-monitor-service-staging-1",
      "hl-monitor-service-staging-2",
    ]);
    expect(sharded.json.Outputs.ClusterName.Value).toBe("hl-monitor-cluster-staging");
    expect(sharded.json.Outputs.ServiceNames.Value).toBe(
      "hl-monitor-service-staging-0,hl-monitor-service-staging-1,hl-monitor-service-staging-2",
    );
  });
});

describe("ECS Exec: on and audited by default; exec=false locks the container down", () => {
  it("default: exec on, every session logged to the monitor's log group, the task role may write there", () => {
    for (const synth of [dynamo, supabase]) {
      synth.template.hasResourceProperties("AWS::ECS::Service", { EnableExecuteCommand: true });
      synth.template.hasResourceProperties("AWS::ECS::Cluster", {
        Configuration: {
          ExecuteCommandConfiguration: {
            Logging: "OVERRIDE",
            LogConfiguration: { CloudWatchLogGroupName: { Ref: Match.stringLikeRegexp("^MonitorLogs") } },
          },
        },
      });
      const taskPolicy = statements(synth).filter((s) => s.policy.startsWith("MonitorTaskTaskRole"));
      const logWrite = taskPolicy.find((s) => actionsOf(s).includes("logs:PutLogEvents"));
      expect(logWrite, "the task role writes exec session logs").toBeDefined();
      expect(JSON.stringify(logWrite!.Resource)).toContain("MonitorLogs");
      expect(taskPolicy.some((s) => actionsOf(s).includes("ssmmessages:OpenDataChannel"))).toBe(true);
      const container = containerOf(synth);
      expect(container.ReadonlyRootFilesystem ?? false).toBe(false);
    }
  });

  it("exec=false: no exec, a read-only root filesystem, no Linux capabilities, a writable /tmp only", () => {
    const services = resourcesOfType(sharded, "AWS::ECS::Service");
    expect(services).toHaveLength(3);
    for (const [, service] of services) expect(service.Properties.EnableExecuteCommand).toBe(false);
    for (const [, definition] of resourcesOfType(sharded, "AWS::ECS::TaskDefinition")) {
      const container = definition.Properties.ContainerDefinitions[0];
      expect(container.ReadonlyRootFilesystem).toBe(true);
      expect(container.LinuxParameters).toMatchObject({
        InitProcessEnabled: true,
        Capabilities: { Drop: ["ALL"] },
      });
      expect(container.LinuxParameters.Capabilities.Add ?? []).toEqual([]);
      expect(container.Privileged ?? false).toBe(false);
      // Node and its libraries may use the temp folder; nothing else is writable.
      expect(container.MountPoints).toEqual([
        { ContainerPath: "/tmp", SourceVolume: "tmp", ReadOnly: false },
      ]);
      expect(definition.Properties.Volumes).toEqual([{ Name: "tmp" }]);
    }
    const taskPolicy = statements(sharded).filter((s) => s.policy.startsWith("MonitorTaskTaskRole"));
    for (const statement of taskPolicy) {
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/^(ssmmessages|logs):/);
    }
  });
});

describe("least privilege", () => {
  it("allows '*' resources only for actions that have no resource-level permissions", () => {
    for (const synth of [dynamo, supabase, sharded]) {
      for (const statement of statements(synth)) {
        if (statement.Resource !== "*") continue;
        for (const action of actionsOf(statement)) {
          // logs:DescribeLogGroups: ECS Exec's agent checks the session log group (the ECS Exec IAM
          // policy in the ECS developer guide grants it on '*').
          expect(action).toMatch(
            /^(ssmmessages:(Create|Open)(Control|Data)Channel|ecr:GetAuthorizationToken|logs:DescribeLogGroups)$/,
          );
        }
      }
      for (const statement of statements(synth)) {
        for (const action of actionsOf(statement)) expect(action).not.toMatch(/\*/);
      }
    }
  });

  it("task role: data actions on its own tables and index only, publish to its own topic only", () => {
    const taskPolicy = statements(dynamo).filter((s) => s.policy.startsWith("MonitorTaskTaskRole"));
    const dynamoStatement = taskPolicy.find((s) => actionsOf(s).some((a) => a.startsWith("dynamodb:")))!;
    expect(actionsOf(dynamoStatement).sort()).toEqual(
      ["BatchWriteItem", "DescribeTable", "GetItem", "PutItem", "Query", "UpdateItem"].map(
        (a) => `dynamodb:${a}`,
      ),
    );
    const resources = JSON.stringify(dynamoStatement.Resource);
    for (const role of ["fills", "positions", "dashboard", "orders", "cvd"])
      expect(resources).toContain(`Tables${role}`);
    expect(resources).toContain("/index/byTime");
    expect(resources).not.toContain("DeliveryLedger");
    const publish = taskPolicy.find((s) => actionsOf(s).includes("sns:Publish"))!;
    expect(publish.Resource).toEqual({ Ref: expect.stringMatching(/^AlertingTopic/) });
    // No secret reads by the code itself; supabase mode's task role has no DynamoDB data rights.
    expect(taskPolicy.some((s) => actionsOf(s).some((a) => a.startsWith("secretsmanager:")))).toBe(false);
    const supabaseTask = statements(supabase).filter((s) => s.policy.startsWith("MonitorTaskTaskRole"));
    expect(supabaseTask.some((s) => actionsOf(s).some((a) => a.startsWith("dynamodb:")))).toBe(false);
  });

  it("execution role reads only its secrets; the Lambda reads only the alerts secret", () => {
    const secretReads = (synth: Synthesized, prefix: string) =>
      statements(synth)
        .filter((s) => s.policy.startsWith(prefix) && actionsOf(s).includes("secretsmanager:GetSecretValue"))
        .map((s) => JSON.stringify(s.Resource));
    expect(secretReads(dynamo, "MonitorTaskExecutionRole")).toEqual([
      expect.stringContaining("Secretscredentials"),
    ]);
    expect(secretReads(supabase, "MonitorTaskExecutionRole").sort()).toEqual([
      expect.stringContaining("Secretscredentials"),
      expect.stringContaining("Secretssupabase"),
    ]);
    expect(secretReads(dynamo, "AlertingFunctionRole")).toEqual([expect.stringContaining("Secretsalerts")]);
    // The Lambda's own role, no managed policy.
    for (const [id, role] of resourcesOfType(dynamo, "AWS::IAM::Role")) {
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
  });
});

describe("alerting", () => {
  it("an SSL-only topic that alarms of this account may publish to, with the Lambda and the e-mail subscribed", () => {
    dynamo.template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          Match.objectLike({ Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" } }),
        ]),
      },
    });
    dynamo.template.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "lambda" });
    dynamo.template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "trader@example.com",
    });
    supabase.template.resourcePropertiesCountIs("AWS::SNS::Subscription", { Protocol: "email" }, 0);
  });

  it("the alert Lambda: Node 24, ARM64, dead-letter queue, two retries, its settings", () => {
    dynamo.template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      // It draws the daily summary's chart: resvg's WebAssembly and the fonts took the bundle from 77 MB to
      // 137 MB at the first chart and 184 MB at most over five (test/commands/bundle.test.ts measures it).
      MemorySize: 256,
      DeadLetterConfig: {
        TargetArn: { "Fn::GetAtt": [Match.stringLikeRegexp("^AlertingDeadLetterQueue"), "Arn"] },
      },
      Environment: {
        Variables: Match.objectLike({
          ALERTS_SECRET_ID: "hl-monitor/alerts",
          DELIVERY_TABLE: { Ref: Match.stringLikeRegexp("^AlertingDeliveryLedger") },
          DASHBOARD_URL: Match.anyValue(),
        }),
      },
    });
    dynamo.template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", { MaximumRetryAttempts: 2 });
    dynamo.template.hasResourceProperties("AWS::SQS::Queue", { SqsManagedSseEnabled: true });
  });
});

describe("ECS task stops: an EventBridge rule publishes the unexpected ones to the topic", () => {
  const ruleOf = (synth: Synthesized) => {
    const rules = resourcesOfType(synth, "AWS::Events::Rule").filter(([, rule]) =>
      rule.Properties.EventPattern["detail-type"].includes("ECS Task State Change"),
    );
    expect(rules).toHaveLength(1);
    return rules[0]!;
  };
  /** The recorded shape of a stopped Fargate task (fixtures/alerts/SOURCES.md), with changes. */
  const stoppedTask = (detail: Record<string, unknown> = {}) => {
    const event = JSON.parse(
      readFileSync(new URL("../fixtures/alerts/ecs-task-state-change-stopped.json", import.meta.url), "utf8"),
    );
    return { ...event, detail: { ...event.detail, ...detail } };
  };
  const CLUSTER = "arn:aws:ecs:eu-west-1:111122223333:cluster/hl-monitor-cluster";
  /** The synthesized pattern, with this cluster's ARN where CloudFormation would resolve it. */
  const patternOf = (synth: Synthesized) => {
    const pattern = structuredClone(ruleOf(synth)[1].Properties.EventPattern);
    expect(pattern.detail.clusterArn).toEqual([
      { "Fn::GetAtt": [expect.stringMatching(/^MonitorCluster/), "Arn"] },
    ]);
    pattern.detail.clusterArn = [CLUSTER];
    return pattern;
  };
  const container = (exitCode: number | undefined) => [{ ...stoppedTask().detail.containers[0], exitCode }];

  it("matches this cluster's STOPPED tasks that exited non-zero or stopped for an unexpected reason", () => {
    const pattern = patternOf(dynamo);
    expect(pattern).toMatchObject({ source: ["aws.ecs"], "detail-type": ["ECS Task State Change"] });
    expect(pattern.detail.lastStatus).toEqual(["STOPPED"]);
    const matches = (detail: Record<string, unknown>) => matchesPattern(pattern, stoppedTask(detail));

    // Unexpected: the container exited by itself (non-zero, or even 0), the task never started, AWS infra.
    expect(matches({})).toBe(true);
    expect(matches({ stopCode: "EssentialContainerExited", containers: container(0) })).toBe(true);
    expect(
      matches({
        stopCode: "TaskFailedToStart",
        stoppedReason: "ResourceInitializationError: unable to pull secrets or registry auth",
        containers: container(undefined),
      }),
    ).toBe(true);
    expect(matches({ stopCode: "InfrastructureHealth", containers: container(0) })).toBe(true);
    // A routine stop whose container did not exit cleanly: killed after a failed health check, say.
    expect(
      matches({
        stopCode: "ServiceSchedulerInitiated",
        stoppedReason: "Task failed container health checks",
        containers: container(137),
      }),
    ).toBe(true);

    // Routine: the monitor exits 0 on the SIGTERM of a Spot interruption, a deployment, a stop-task.
    for (const stopCode of [
      "SpotInterruption",
      "TerminationNotice",
      "ServiceSchedulerInitiated",
      "UserInitiated",
    ]) {
      expect(matches({ stopCode, containers: container(0) }), stopCode).toBe(false);
    }
    // Another cluster, or a task that is not stopped yet.
    expect(matches({ clusterArn: CLUSTER.replace("hl-monitor-cluster", "other") })).toBe(false);
    expect(matches({ lastStatus: "DEPROVISIONING" })).toBe(false);
    expect(matchesPattern(pattern, { ...stoppedTask(), "detail-type": "ECS Service Action" })).toBe(false);
  });

  it("publishes a compact message the alert Lambda shows as a warning with the stop code, reason and exit code", () => {
    const [, rule] = ruleOf(dynamo);
    expect(rule.Properties.Targets).toHaveLength(1);
    const [target] = rule.Properties.Targets;
    expect(target.Arn).toEqual({ Ref: expect.stringMatching(/^AlertingTopic/) });
    const transformer = {
      InputPathsMap: target.InputTransformer.InputPathsMap,
      InputTemplate: resolveJoin(target.InputTransformer.InputTemplate, { "AWS::Region": "eu-west-1" }),
    };
    const message = applyInputTransformer(transformer, stoppedTask());
    const classified = classifySnsMessage({ MessageId: "m-1", Message: message });
    expect(classified.kind).toBe("ecs_task_stopped");
    const { alert } = classified;
    expect(alert).toMatchObject({
      kind: "notification",
      severity: "warning",
      title: "A monitor task stopped unexpectedly",
      key: "ecs-task-stopped:arn:aws:ecs:eu-west-1:111122223333:task/hl-monitor-cluster/e9511a82924742398",
      time: Date.parse("2026-11-19T21:13:34.795Z"),
    });
    expect(alert.fields).toEqual([
      { label: "Stop code", value: "EssentialContainerExited" },
      { label: "Reason", value: "Essential container in task exited" },
      { label: "Exit code", value: "1" },
      { label: "Container", value: "monitor" },
      { label: "Service", value: "hl-monitor-service" },
      {
        label: "Task",
        value: "arn:aws:ecs:eu-west-1:111122223333:task/hl-monitor-cluster/e9511a82924742398",
      },
    ]);
    expect(alert.summary).toContain("/ecs/hl-monitor");
    expect(alert.summary).toContain(
      "aws ecs describe-services --cluster hl-monitor-cluster --services hl-monitor-service --region eu-west-1",
    );
    // A task that never started has no exit code: the message still parses and says why it stopped.
    const failed = applyInputTransformer(
      transformer,
      stoppedTask({
        stopCode: "TaskFailedToStart",
        stoppedReason: "CannotPullContainerError",
        containers: [],
      }),
    );
    const failedAlert = classifySnsMessage({ MessageId: "m-2", Message: failed }).alert;
    expect(failedAlert.fields.map((f) => f.label)).toEqual(["Stop code", "Reason", "Service", "Task"]);
    // The sharded stage's command names every service.
    const shardedTemplate = JSON.stringify(ruleOf(sharded)[1].Properties.Targets[0].InputTransformer);
    expect(shardedTemplate).toContain(
      "--services hl-monitor-service-staging-0 hl-monitor-service-staging-1 hl-monitor-service-staging-2",
    );
  });

  it("the topic lets EventBridge publish for this rule only", () => {
    const [ruleId] = ruleOf(dynamo);
    const [, policy] = resourcesOfType(dynamo, "AWS::SNS::TopicPolicy")[0]!;
    const fromEvents = policy.Properties.PolicyDocument.Statement.filter(
      (statement: { Principal?: { Service?: string } }) =>
        statement.Principal?.Service === "events.amazonaws.com",
    );
    expect(fromEvents).toEqual([
      {
        Sid: "TaskStopRulePublishes",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Resource: { Ref: expect.stringMatching(/^AlertingTopic/) },
        Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": [ruleId, "Arn"] } } },
      },
    ]);
  });
});

/** The dashboard's body, with the tokens CloudFormation would resolve replaced by placeholders. */
function dashboardBodyOf(synth: Synthesized) {
  const [, dashboard] = resourcesOfType(synth, "AWS::CloudWatch::Dashboard")[0]!;
  return JSON.parse(resolveJoin(dashboard.Properties.DashboardBody, { "AWS::Region": "eu-west-1" }));
}

describe("CloudWatch", () => {
  const alarmsOf = (synth: Synthesized) =>
    resourcesOfType(synth, "AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);

  it("creates the alarms, every one notifying the topic on ALARM and OK", () => {
    expect(alarmsOf(dynamo)).toHaveLength(alarmCount(1));
    expect(alarmsOf(sharded)).toHaveLength(alarmCount(3));
    for (const synth of [dynamo, supabase, sharded]) {
      for (const alarm of alarmsOf(synth)) {
        expect(alarm.AlarmActions, alarm.AlarmName).toEqual([
          { Ref: expect.stringMatching(/^AlertingTopic/) },
        ]);
        expect(alarm.OKActions, alarm.AlarmName).toEqual(alarm.AlarmActions);
      }
    }
    expect(
      alarmsOf(dynamo)
        .map((a) => a.AlarmName)
        .sort(),
    ).toEqual(
      [
        "CPU high",
        "alert Lambda errors",
        "alert channel broken",
        "alert dead-letter queue not empty",
        "memory high",
        "monitor silent",
        "no running task",
        "storage errors",
      ].map((what) => `hl-monitor: ${what}`),
    );
  });

  it("alert channel broken: watches AlertChannelFailures; the alert-path alarms say how to find a broken channel", () => {
    const broken = alarmsOf(dynamo).find((a) => a.AlarmName === "hl-monitor: alert channel broken")!;
    expect(broken).toMatchObject({
      MetricName: "AlertChannelFailures",
      Namespace: "HyperliquidMonitor",
      Statistic: "Sum",
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
    });
    expect(broken.AlarmDescription).toContain("'alert channel refused the alert for good'");
    for (const name of ["hl-monitor: alert Lambda errors", "hl-monitor: alert dead-letter queue not empty"]) {
      const alarm = alarmsOf(dynamo).find((a) => a.AlarmName === name)!;
      expect(alarm.AlarmDescription, name).toContain("a channel may be broken");
      expect(alarm.AlarmDescription, name).toContain("'alert delivery failed'");
      expect(alarm.AlarmDescription, name).toContain("AlertChannelFailures");
    }
  });

  it("monitor silent: the heartbeat missing for 5 minutes breaches, and is critical", () => {
    const silent = alarmsOf(dynamo).find((a) => a.AlarmName === "hl-monitor: monitor silent")!;
    expect(silent).toMatchObject({
      MetricName: "Heartbeat",
      Namespace: "HyperliquidMonitor",
      Statistic: "SampleCount",
      Period: 60,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      Threshold: 1,
      ComparisonOperator: "LessThanThreshold",
      TreatMissingData: "breaching",
    });
    expect(silent.AlarmDescription).toMatch(/^\[critical\] /);
    // The heartbeat means "every feed is live", not "the process runs": the text says so and where to look.
    expect(silent.AlarmDescription).toContain("feeds are not live");
    expect(silent.AlarmDescription).toContain("'connection attempt failed'");
    const noTask = alarmsOf(dynamo).find((a) => a.AlarmName === "hl-monitor: no running task")!;
    expect(noTask).toMatchObject({
      Namespace: "AWS/ECS",
      MetricName: "CPUUtilization",
      TreatMissingData: "breaching",
    });
    expect(noTask.AlarmDescription).toMatch(/^\[critical\] /);
    // Sharded: one heartbeat alarm per shard on the shard's own metric, in the stage's namespace.
    const shardSilent = alarmsOf(sharded).filter((a) => a.MetricName === "ShardHeartbeat");
    expect(shardSilent.map((a) => a.Dimensions)).toEqual(
      [0, 1, 2].map((i) => [{ Name: "Shard", Value: String(i) }]),
    );
    expect(shardSilent.every((a) => a.Namespace === "HyperliquidMonitor/staging")).toBe(true);
  });

  it("the dashboard shows the account, the monitor's health, CPU and memory, and the alarms", () => {
    const [, dashboard] = resourcesOfType(dynamo, "AWS::CloudWatch::Dashboard")[0]!;
    expect(dashboard.Properties.DashboardName).toBe("HyperliquidMonitor");
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of [
      ...ESSENTIAL_METRICS.filter((m) => m !== "Heartbeat"),
      "AlertsDelivered",
      "CPUUtilization",
      "MemoryUtilization",
    ]) {
      expect(body, metric).toContain(`\\"${metric}\\"`);
    }
    for (const field of ["FramesReceived", "Reconnects", "BackfilledFills", "AlertsPublished"])
      expect(body).toContain(field);
    expect(body).toContain("alarm");
    dynamo.template.hasResourceProperties("AWS::Logs::LogGroup", {
      LogGroupName: "/ecs/hl-monitor",
      RetentionInDays: 14,
    });
  });

  it("the dashboard reads the Heartbeat as 'every feed live', and its log charts do not depend on it", () => {
    const body = dashboardBodyOf(dynamo);
    const widgets: { type: string; properties: Record<string, unknown> }[] = body.widgets;
    const heartbeat = widgets.find((w) =>
      JSON.stringify(w.properties.metrics ?? []).includes('"Heartbeat"'),
    )!;
    expect(heartbeat.properties.title).toMatch(/every feed live/);
    expect(JSON.stringify(heartbeat.properties.metrics)).toContain("SampleCount");
    expect(heartbeat.properties.annotations).toMatchObject({
      horizontal: [expect.objectContaining({ value: 5 })],
    });
    // The monitor leaves the Heartbeat out of its metric line while a feed is down: a query filtered on it
    // would hide the reconnects of exactly those minutes.
    for (const widget of widgets.filter((w) => w.type === "log")) {
      expect(String(widget.properties.query), String(widget.properties.title)).not.toContain("Heartbeat");
    }
  });

  it("the trader's view first: value and realised PnL tiles, then per-account tables from the monitor's log lines", () => {
    const widgets: { type: string; properties: Record<string, unknown> }[] = dashboardBodyOf(dynamo).widgets;
    const titles = widgets.map((w) => String(w.properties.title ?? ""));
    // The header, then the two tiles and the account table in the first row.
    expect(widgets.slice(1, 3).map((w) => w.properties.view)).toEqual(["singleValue", "singleValue"]);
    expect(JSON.stringify(widgets[1]!.properties.metrics)).toContain('"AccountValue"');
    expect(JSON.stringify(widgets[2]!.properties.metrics)).toContain('"RealizedPnl"');
    expect(widgets[2]!.properties.setPeriodToTimeRange).toBe(true);
    const logTable = (query: readonly string[]) => {
      const widget = widgets.find((w) => w.type === "log" && w.properties.query === expectedQuery(query));
      expect(widget, query.join(" | ")).toBeDefined();
      expect(widget!.properties.view).toBe("table");
      return widget!;
    };
    const expectedQuery = (lines: readonly string[]) => `SOURCE '?' | ${lines.join("\n| ")}`;
    for (const query of Object.values(TRADER_QUERIES)) logTable(query);
    // No new metric: every metric on the dashboard is one the monitor, the Lambdas or AWS already emits.
    const metricNames = widgets.flatMap((w) =>
      ((w.properties.metrics as unknown[][] | undefined) ?? []).map((metric) => metric[1]),
    );
    for (const name of metricNames) {
      expect(
        [
          ...ESSENTIAL_METRICS,
          "AlertsDelivered",
          "AlertChannelFailures",
          "CPUUtilization",
          "MemoryUtilization",
          // AWS/Lambda, free: the commands Lambda's graph.
          "Invocations",
          "Errors",
          "Throttles",
        ],
        String(name),
      ).toContain(name);
    }
    // The queries read the trader lines by their messages, the positions with unnest of the latest snapshot.
    expect(TRADER_QUERIES.openPositions.join(" | ")).toMatch(
      /filter msg = "account snapshot" \| sort @timestamp desc \| dedup account \| unnest line\.positions into position/,
    );
    expect(TRADER_QUERIES.fills[0]).toBe('filter msg = "fill"');
    expect(TRADER_QUERIES.closedPositions[0]).toBe('filter msg = "position closed"');
    expect(titles.some((t) => t.startsWith("Open positions"))).toBe(true);
  });

  it("uses no more custom metrics and alarms than the free tier covers, with one shard", () => {
    // Nine monitor metrics plus the Lambda's AlertsDelivered: the free tier's ten.
    expect(ESSENTIAL_METRICS.length + 1).toBeLessThanOrEqual(10);
    expect(alarmCount(1)).toBeLessThanOrEqual(10);
  });
});

describe("outputs", () => {
  it("names everything and gives the exact commands to run next", () => {
    const outputs = dynamo.json.Outputs;
    for (const key of [
      "ClusterName",
      "ServiceNames",
      "LogGroupName",
      "DashboardUrl",
      "AlertTopicArn",
      "SecretNames",
      "TableNames",
      "PutCredentialsCommand",
      "PutAlertsCommand",
      "ForceNewDeploymentCommand",
    ]) {
      expect(outputs[key], key).toBeDefined();
    }
    expect(outputs.SecretNames.Value).toBe("hl-monitor/credentials,hl-monitor/alerts");
    // The address only: the monitor is read-only and is never given a trading key.
    expect(outputs.PutCredentialsCommand.Value).toBe(
      `aws secretsmanager put-secret-value --secret-id hl-monitor/credentials --secret-string '{"ACCOUNT_ADDRESS":"0xYOUR_ACCOUNT_ADDRESS"}'`,
    );
    expect(outputs.ClusterName.Value).toBe("hl-monitor-cluster");
    expect(outputs.ServiceNames.Value).toBe("hl-monitor-service");
    expect(outputs.ForceNewDeploymentCommand.Value).toBe(
      "aws ecs update-service --cluster hl-monitor-cluster --service hl-monitor-service --force-new-deployment",
    );
    expect(JSON.stringify(outputs.ForceNewDeploymentCommand.Value)).toContain("--force-new-deployment");
    expect(JSON.stringify(outputs.TableNames.Value)).toContain("Tablesfills");
    expect(supabase.json.Outputs.PutSupabaseCommand.Value).toContain("--secret-id hl-monitor/supabase ");
    expect(supabase.json.Outputs.TableNames.Value).toMatch(/^none/);
    expect(dynamo.json.Outputs.PutSupabaseCommand).toBeUndefined();
  });
});
