/**
 * The Spot capacity fallback: ECS never moves a service from one capacity provider to another by itself,
 * so with no Fargate Spot capacity the monitor would sit unscheduled until someone acted. Two EventBridge
 * rules (free: rules on AWS service events cost nothing) invoke a small Lambda (lambda-alerts/src/capacity/)
 * that switches the service to on-demand FARGATE and, after a quiet period, back to FARGATE_SPOT, with an
 * alert to the topic each time:
 *
 * - ECS service actions of this cluster's services: `SERVICE_TASK_PLACEMENT_FAILURE` (no capacity to place a
 *   task: switch) and `SERVICE_STEADY_STATE`, which ECS repeats periodically on a healthy service (DOCS
 *   ecs_service_events): the return's clock. The Lambda dates the switch by the service's own primary
 *   deployment, so nothing is stored, and no schedule or polling loop runs (and costs) while all is well.
 * - The "no running task" alarms going to ALARM: a Spot task interrupted and not replaced within five
 *   minutes, whatever ECS reported. The alarm already exists, so this delayed check costs nothing more.
 *
 * The service is created with a capacity provider strategy (not a launch type), on a cluster with both
 * FARGATE and FARGATE_SPOT, so `UpdateService` can change it. CloudFormation does not know about the switch:
 * a later `cdk deploy` that updates the service sends the template's strategy (Spot) again, and if Spot is
 * still short the next placement failure switches it back within minutes, while the running task keeps
 * running (minimum healthy 100 %).
 *
 * Errors: a failed invocation is retried twice by Lambda (asynchronous invocation); the "no running task"
 * alarm still pages if the service stays without a task, so no alarm of its own is added (the free tier's
 * ten alarms are counted in lib/cost).
 */
import { Duration, Stack } from "aws-cdk-lib";
import type { Alarm } from "aws-cdk-lib/aws-cloudwatch";
import type { IBaseService, ICluster } from "aws-cdk-lib/aws-ecs";
import { Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { createBundledFunction } from "./bundledFunction.ts";
import type { Naming } from "./naming.ts";

/** The ECS service action events the Lambda acts on (lambda-alerts/src/capacity/capacityEvents.ts). */
export const CAPACITY_SERVICE_EVENTS = ["SERVICE_TASK_PLACEMENT_FAILURE", "SERVICE_STEADY_STATE"] as const;
/** What the Lambda calls: one service's description and its update, nothing else in ECS. */
export const CAPACITY_ECS_ACTIONS = ["ecs:DescribeServices", "ecs:UpdateService"] as const;

export interface CapacityFallbackProps {
  naming: Naming;
  cluster: ICluster;
  services: readonly IBaseService[];
  /** The services' fixed names (Naming), in the same order. */
  serviceNames: readonly string[];
  /** Each service's "no running task" alarm, same order; none for a stage deployed stopped. */
  noRunningTaskAlarms: readonly Alarm[];
  topic: ITopic;
  dashboardUrl: string;
}

export class CapacityFallback extends Construct {
  readonly function: NodejsFunction;
  readonly serviceRule: Rule;
  readonly alarmRule: Rule | null;

  constructor(scope: Construct, id: string, props: CapacityFallbackProps) {
    super(scope, id);
    const { naming } = props;

    const noTaskAlarms = Object.fromEntries(
      props.noRunningTaskAlarms.map((alarm, shard) => [alarm.alarmName, props.serviceNames[shard]]),
    );
    const { function: fn, role } = createBundledFunction(this, {
      functionName: naming.capacityFunctionName,
      logGroupName: naming.capacityLogGroupName,
      description: "hl-monitor: moves the monitor to on-demand Fargate when Spot has no capacity, and back",
      roleDescription:
        "hl-monitor capacity Lambda: describe and update the monitor's services, publish to the topic",
      entry: "lambda-alerts/src/capacity/handler.ts",
      memorySize: 128,
      // Two ECS calls and one publish, each with the SDK's retries on throttling.
      timeout: Duration.seconds(30),
      retryAttempts: 2,
      environment: {
        CLUSTER_NAME: naming.clusterName,
        SERVICE_NAMES: props.serviceNames.join(","),
        NO_TASK_ALARMS: Stack.of(this).toJsonString(noTaskAlarms),
        ALERT_TOPIC_ARN: props.topic.topicArn,
        DASHBOARD_URL: props.dashboardUrl,
        LOG_LEVEL: "info",
      },
    });
    this.function = fn;
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...CAPACITY_ECS_ACTIONS],
        resources: props.services.map((service) => service.serviceArn),
      }),
    );
    props.topic.grantPublish(role);

    // Names left to CloudFormation (`HyperliquidMonitor-…`), the prefix the deploy policy allows.
    const target = new LambdaFunction(this.function);
    this.serviceRule = new Rule(this, "ServiceEvents", {
      description: "hl-monitor: the monitor's services could not place a task, or report a steady state",
      eventPattern: {
        source: ["aws.ecs"],
        detailType: ["ECS Service Action"],
        resources: props.services.map((service) => service.serviceArn),
        detail: {
          clusterArn: [props.cluster.clusterArn],
          eventName: [...CAPACITY_SERVICE_EVENTS],
        },
      },
      targets: [target],
    });
    this.alarmRule =
      props.noRunningTaskAlarms.length === 0
        ? null
        : new Rule(this, "NoRunningTaskAlarm", {
            description: "hl-monitor: a monitor service has had no running task for five minutes",
            eventPattern: {
              source: ["aws.cloudwatch"],
              detailType: ["CloudWatch Alarm State Change"],
              resources: props.noRunningTaskAlarms.map((alarm) => alarm.alarmArn),
              detail: { state: { value: ["ALARM"] } },
            },
            targets: [target],
          });
  }
}
