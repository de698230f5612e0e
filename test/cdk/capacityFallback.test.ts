/**
 * The Spot capacity fallback in the template: a service the Lambda can switch (a capacity provider
 * strategy on a cluster with both Fargate providers), the two EventBridge rules fed real event shapes, the
 * Lambda's runtime and its permissions scoped to the services and the topic; and three availability zones
 * where the region has three.
 */
import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { CAPACITY_ECS_ACTIONS, CAPACITY_SERVICE_EVENTS } from "../../lib/capacityFallback.ts";
import { resourcesOfType, type Synthesized, synthesize } from "../support/cdkApp.ts";
import { matchesPattern } from "../support/eventBridge.ts";

const ACCOUNT = "111122223333";
const REGION = "eu-west-1";
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/hl-monitor-cluster`;
const SERVICE_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/hl-monitor-cluster/hl-monitor-service`;
const ALARM_ARN = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:hl-monitor: no running task`;

let prod: Synthesized;
let stopped: Synthesized;
let sharded: Synthesized;
let onDemand: Synthesized;

beforeAll(() => {
  prod = synthesize({});
  stopped = synthesize({ stage: "staging", desired_count: "0" });
  sharded = synthesize({ shards: "3" });
  onDemand = synthesize({ spot: "false" });
}, 120_000);

const capacityRules = (synth: Synthesized) =>
  resourcesOfType(synth, "AWS::Events::Rule").filter(([, rule]) =>
    (rule.Properties.Targets as { Arn: unknown }[]).some((target) =>
      JSON.stringify(target.Arn).includes("CapacityFallbackFunction"),
    ),
  );
const functionOf = (synth: Synthesized) =>
  resourcesOfType(synth, "AWS::Lambda::Function").find(([id]) => id.startsWith("CapacityFallbackFunction"));

/** A synthesized pattern with the ARNs CloudFormation would resolve put in, by the logical id they name. */
function resolved(pattern: unknown, arns: Record<string, string>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(pattern), (_key, value) => {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const id = value.Ref ?? value["Fn::GetAtt"]?.[0];
      if (typeof id === "string") {
        const prefix = Object.keys(arns).find((candidate) => id.startsWith(candidate));
        if (prefix) return arns[prefix];
      }
    }
    return value;
  });
}

/** "ECS Service Action" as DOCS ecs_service_events shows it. */
function serviceAction(eventName: string, serviceArn = SERVICE_ARN, clusterArn = CLUSTER_ARN) {
  return {
    version: "0",
    id: "57c9506e-9d21-294c-d2fe-e8738da7e67d",
    "detail-type": "ECS Service Action",
    source: "aws.ecs",
    account: ACCOUNT,
    time: "2026-12-02T08:00:00Z",
    region: REGION,
    resources: [serviceArn],
    detail: {
      eventType: "ERROR",
      eventName,
      clusterArn,
      capacityProviderArns: [`arn:aws:ecs:${REGION}:${ACCOUNT}:capacity-provider/FARGATE_SPOT`],
      createdAt: "2026-12-02T08:00:00.000Z",
      reason: "RESOURCE:FARGATE",
    },
  };
}

/** "CloudWatch Alarm State Change" as DOCS cloudwatch-and-eventbridge shows it. */
function alarmChange(value: string, alarmArn = ALARM_ARN) {
  return {
    version: "0",
    id: "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
    "detail-type": "CloudWatch Alarm State Change",
    source: "aws.cloudwatch",
    account: ACCOUNT,
    time: "2026-12-02T08:05:00Z",
    region: REGION,
    resources: [alarmArn],
    detail: { alarmName: "hl-monitor: no running task", state: { value, reason: "Threshold Crossed" } },
  };
}

describe("a service the fallback can switch", () => {
  it("runs on a FARGATE_SPOT capacity provider strategy (no launch type), on a cluster with both providers", () => {
    const [, service] = resourcesOfType(prod, "AWS::ECS::Service")[0]!;
    expect(service.Properties.LaunchType).toBeUndefined();
    expect(service.Properties.CapacityProviderStrategy).toEqual([
      { CapacityProvider: "FARGATE_SPOT", Weight: 1 },
    ]);
    prod.template.hasResourceProperties("AWS::ECS::ClusterCapacityProviderAssociations", {
      CapacityProviders: Match.arrayWith(["FARGATE", "FARGATE_SPOT"]),
    });
  });
});

describe("the capacity Lambda", () => {
  it("Node 24 on ARM64, its own name and log group, told the cluster, services, alarms and topic", () => {
    const [, fn] = functionOf(prod)!;
    expect(fn.Properties).toMatchObject({
      FunctionName: "hl-monitor-capacity",
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      MemorySize: 128,
      Timeout: 30,
    });
    const variables = fn.Properties.Environment.Variables;
    expect(variables).toMatchObject({
      CLUSTER_NAME: "hl-monitor-cluster",
      SERVICE_NAMES: "hl-monitor-service",
      ALERT_TOPIC_ARN: { Ref: expect.stringMatching(/^AlertingTopic/) },
    });
    // The alarm name as CloudFormation resolves it, keyed to the service it watches.
    const alarms = JSON.stringify(variables.NO_TASK_ALARMS);
    expect(alarms).toMatch(/"Ref":"AlarmsNoRunningTask[0-9A-F]+"/);
    expect(alarms).toContain('\\":\\"hl-monitor-service\\"');
    prod.template.hasResourceProperties("AWS::Logs::LogGroup", {
      LogGroupName: "/aws/lambda/hl-monitor-capacity",
      RetentionInDays: 14,
    });
    const [, invokeConfig] = resourcesOfType(prod, "AWS::Lambda::EventInvokeConfig").find(([, config]) =>
      JSON.stringify(config.Properties.FunctionName).includes("CapacityFallbackFunction"),
    )!;
    expect(invokeConfig.Properties.MaximumRetryAttempts).toBe(2);
    expect(
      resourcesOfType(stopped, "AWS::Lambda::Function").map(([, f]) => f.Properties.FunctionName),
    ).toContain("hl-monitor-capacity-staging");
  });

  it("may describe and update the monitor's services only, publish to the topic only, write its own logs", () => {
    const [, fn] = functionOf(sharded)!;
    const roleId = fn.Properties.Role["Fn::GetAtt"][0];
    const policies = resourcesOfType(sharded, "AWS::IAM::Policy").filter(([, policy]) =>
      policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId),
    );
    const statements = policies.flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);
    const ecs = statements.filter((statement) => JSON.stringify(statement.Action).includes("ecs:"));
    expect(ecs).toHaveLength(1);
    expect(ecs[0].Action).toEqual([...CAPACITY_ECS_ACTIONS]);
    const services = resourcesOfType(sharded, "AWS::ECS::Service").map(([id]) => ({ Ref: id }));
    expect(services).toHaveLength(3);
    expect(ecs[0].Resource).toEqual(services);
    const publish = statements.filter((statement) => JSON.stringify(statement.Action).includes("sns:"));
    expect(publish).toEqual([
      expect.objectContaining({
        Action: "sns:Publish",
        Resource: { Ref: expect.stringMatching(/^AlertingTopic/) },
      }),
    ]);
    for (const statement of statements) {
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
      expect(JSON.stringify(statement.Action)).not.toMatch(/iam:|ecs:\*|sns:\*/);
    }
    const logs = statements.filter((statement) => JSON.stringify(statement.Action).includes("logs:"));
    expect(JSON.stringify(logs)).toContain("CapacityFallbackFunctionLogs");
  });

  it("does not exist when the service runs on on-demand FARGATE anyway (spot=false)", () => {
    expect(functionOf(onDemand)).toBeUndefined();
    expect(capacityRules(onDemand)).toEqual([]);
  });
});

describe("the rules that invoke it", () => {
  it("ECS placement failures and steady states of this cluster's services, nothing else", () => {
    const rules = capacityRules(prod);
    expect(rules).toHaveLength(2);
    const [, rule] = rules.find(([, r]) => r.Properties.EventPattern.source[0] === "aws.ecs")!;
    expect(rule.Properties.EventPattern.detail.eventName).toEqual([...CAPACITY_SERVICE_EVENTS]);
    const pattern = resolved(rule.Properties.EventPattern, {
      MonitorService: SERVICE_ARN,
      MonitorCluster: CLUSTER_ARN,
    });
    const matches = (event: Record<string, unknown>) => matchesPattern(pattern, event);
    expect(matches(serviceAction("SERVICE_TASK_PLACEMENT_FAILURE"))).toBe(true);
    expect(matches(serviceAction("SERVICE_STEADY_STATE"))).toBe(true);
    expect(matches(serviceAction("SERVICE_DESIRED_COUNT_UPDATED"))).toBe(false);
    expect(matches(serviceAction("SERVICE_TASK_PLACEMENT_FAILURE", `${SERVICE_ARN}-other`))).toBe(false);
    expect(
      matches(
        serviceAction(
          "SERVICE_TASK_PLACEMENT_FAILURE",
          SERVICE_ARN,
          `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/default`,
        ),
      ),
    ).toBe(false);
  });

  it("the 'no running task' alarm going to ALARM (not back to OK, not another alarm)", () => {
    const [, rule] = capacityRules(prod).find(
      ([, r]) => r.Properties.EventPattern.source[0] === "aws.cloudwatch",
    )!;
    const pattern = resolved(rule.Properties.EventPattern, { AlarmsNoRunningTask: ALARM_ARN });
    expect(matchesPattern(pattern, alarmChange("ALARM"))).toBe(true);
    expect(matchesPattern(pattern, alarmChange("OK"))).toBe(false);
    expect(
      matchesPattern(pattern, alarmChange("ALARM", `${ALARM_ARN.replace("no running task", "CPU high")}`)),
    ).toBe(false);
  });

  it("each rule may invoke the Lambda (permission scoped to the rule); a stopped stage has no alarm rule", () => {
    const rules = capacityRules(prod);
    const permissions = resourcesOfType(prod, "AWS::Lambda::Permission").filter(([, permission]) =>
      JSON.stringify(permission.Properties.FunctionName).includes("CapacityFallbackFunction"),
    );
    expect(permissions.map(([, p]) => p.Properties.SourceArn["Fn::GetAtt"][0]).sort()).toEqual(
      rules.map(([id]) => id).sort(),
    );
    for (const [, permission] of permissions) {
      expect(permission.Properties).toMatchObject({
        Action: "lambda:InvokeFunction",
        Principal: "events.amazonaws.com",
      });
    }
    const stoppedRules = capacityRules(stopped);
    expect(stoppedRules).toHaveLength(1);
    expect(stoppedRules[0]![1].Properties.EventPattern.source).toEqual(["aws.ecs"]);
  });

  it("a sharded stage watches every service and every shard's alarm", () => {
    const rules = capacityRules(sharded);
    const [, ecsRule] = rules.find(([, r]) => r.Properties.EventPattern.source[0] === "aws.ecs")!;
    expect(ecsRule.Properties.EventPattern.resources).toHaveLength(3);
    const [, alarmRule] = rules.find(([, r]) => r.Properties.EventPattern.source[0] === "aws.cloudwatch")!;
    expect(alarmRule.Properties.EventPattern.resources).toHaveLength(3);
    const [, fn] = functionOf(sharded)!;
    expect(fn.Properties.Environment.Variables.SERVICE_NAMES).toBe(
      "hl-monitor-service-0,hl-monitor-service-1,hl-monitor-service-2",
    );
  });
});

describe("availability zones: three where the region has them, still no NAT", () => {
  /** Synthesizes for a known account and region, with the zones `cdk deploy`'s lookup would find. */
  function synthesizeIn(region: string, zones: string[]): Synthesized {
    const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
    process.env.CDK_DEFAULT_ACCOUNT = ACCOUNT;
    process.env.CDK_DEFAULT_REGION = region;
    try {
      return synthesize({ [`availability-zones:account=${ACCOUNT}:region=${region}`]: zones } as never);
    } finally {
      for (const [key, value] of [
        ["CDK_DEFAULT_ACCOUNT", saved.account],
        ["CDK_DEFAULT_REGION", saved.region],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  }

  it("three public subnets in a three-zone region, two in a two-zone one; no NAT, no Elastic IP", () => {
    const three = synthesizeIn(REGION, ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]);
    const subnets = resourcesOfType(three, "AWS::EC2::Subnet");
    expect(subnets.map(([, subnet]) => subnet.Properties.AvailabilityZone).sort()).toEqual([
      "eu-west-1a",
      "eu-west-1b",
      "eu-west-1c",
    ]);
    for (const [, subnet] of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(true);
    const [, service] = resourcesOfType(three, "AWS::ECS::Service")[0]!;
    expect(service.Properties.NetworkConfiguration.AwsvpcConfiguration.Subnets).toHaveLength(3);
    const two = synthesizeIn("us-west-1", ["us-west-1a", "us-west-1c"]);
    expect(resourcesOfType(two, "AWS::EC2::Subnet")).toHaveLength(2);
    for (const synth of [three, two]) {
      // The cost model has no zone count in it: public subnets are free, and the task's one public IPv4
      // address is the same whichever zone it runs in.
      synth.template.resourceCountIs("AWS::EC2::NatGateway", 0);
      synth.template.resourceCountIs("AWS::EC2::EIP", 0);
    }
  }, 60_000);
});
