/**
 * A crash loop is visible before the deployment circuit breaker rolls back: an EventBridge rule (free)
 * on this cluster's ECS task state changes publishes to the alert topic whenever a task stops for a
 * reason that is not routine, as a compact object the alert Lambda renders as a warning.
 *
 * Routine stops (DOCS ecs_task_events, Task.stopCode): a Spot interruption or a Fargate retirement
 * (`SpotInterruption`, `TerminationNotice`: the replacement backfills), the service scheduler replacing a
 * task in a deployment (`ServiceSchedulerInitiated`) and an operator's `aws ecs stop-task`
 * (`UserInitiated`). The monitor exits 0 on the SIGTERM each of those sends (monitor/src/main.ts), so a
 * non-zero exit code is never routine, whatever the stop code (a failed health check is also
 * `ServiceSchedulerInitiated`, and its container is killed). Every other stop code, known today
 * (`EssentialContainerExited`, `TaskFailedToStart`, `InfrastructureHealth`) or added later, alerts.
 */
import { Stack } from "aws-cdk-lib";
import type { ICluster } from "aws-cdk-lib/aws-ecs";
import { EventField, type IRuleTarget, Rule, RuleTargetInput } from "aws-cdk-lib/aws-events";
import { Effect, PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { TASK_STOP_HEADLINE } from "../../lambda-alerts/src/ecsTaskStopped.ts";
import type { Naming } from "../naming.ts";

/** Stop codes that a healthy deployment produces; any other one alerts. */
export const ROUTINE_STOP_CODES = [
  "SpotInterruption",
  "TerminationNotice",
  "ServiceSchedulerInitiated",
  "UserInitiated",
] as const;

export interface TaskStopAlertProps {
  naming: Naming;
  cluster: ICluster;
  topic: ITopic;
  logGroupName: string;
  /** The services' fixed names, for the command the message gives. */
  serviceNames: readonly string[];
}

export class TaskStopAlert extends Construct {
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: TaskStopAlertProps) {
    super(scope, id);
    const { naming, cluster, topic } = props;
    const region = Stack.of(this).region;

    this.rule = new Rule(this, "Rule", {
      ruleName: `${naming.clusterName}-task-stopped`,
      description:
        "hl-monitor: a task of the monitor's cluster stopped with a non-zero exit code or for an unexpected reason",
      eventPattern: {
        source: ["aws.ecs"],
        detailType: ["ECS Task State Change"],
        detail: {
          clusterArn: [cluster.clusterArn],
          lastStatus: ["STOPPED"],
          $or: [
            { containers: { exitCode: [{ "anything-but": 0 }] } },
            { stopCode: [{ "anything-but": [...ROUTINE_STOP_CODES] }] },
          ],
        },
      },
    });

    const field = (path: string) => EventField.fromPath(path);
    // A compact object rather than the whole event: the alert Lambda renders it
    // (lambda-alerts/src/ecsTaskStopped.ts), and the e-mail subscription shows it as it is.
    const message = RuleTargetInput.fromObject({
      alert: TASK_STOP_HEADLINE,
      stopCode: field("$.detail.stopCode"),
      stoppedReason: field("$.detail.stoppedReason"),
      container: field("$.detail.containers[0].name"),
      exitCode: field("$.detail.containers[0].exitCode"),
      containerReason: field("$.detail.containers[0].reason"),
      service: field("$.detail.group"),
      task: field("$.detail.taskArn"),
      stoppedAt: field("$.detail.stoppedAt"),
      whatToDo: `ECS starts a replacement; repeated messages mean a crash loop, which the deployment circuit breaker rolls back. Read the task's last lines in the log group ${props.logGroupName} (a 'configuration error' line means a secret needs a value) and the service's events: aws ecs describe-services --cluster ${naming.clusterName} --services ${props.serviceNames.join(" ")} --region ${region}`,
    });
    // Our own target instead of aws-events-targets' SnsTopic, which would let every EventBridge rule
    // (of any account) publish: the statement below admits this rule only.
    const target: IRuleTarget = { bind: () => ({ arn: topic.topicArn, input: message }) };
    this.rule.addTarget(target);
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: "TaskStopRulePublishes",
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal("events.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [topic.topicArn],
        conditions: { ArnEquals: { "aws:SourceArn": this.rule.ruleArn } },
      }),
    );
  }
}
