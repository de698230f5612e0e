/**
 * The alarms, each with what it means and what to do in its description (the alert Lambda shows it;
 * a leading `[critical]` makes the message critical). Eight with one shard: inside the ten alarms the
 * CloudWatch free tier covers. All use free AWS metrics except the heartbeat and storage errors, which
 * are among the monitor's essential metrics, and the alert channel failures, which the Lambda emits only
 * when a channel refuses an alert.
 */
import { Duration } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import type { FargateService } from "aws-cdk-lib/aws-ecs";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { Naming } from "../naming.ts";
import type { AlarmActionStrategy } from "./alarmAction.ts";
import type { MetricFactory } from "./metricFactory.ts";

export interface MonitorAlarmsProps {
  naming: Naming;
  metrics: MetricFactory;
  action: AlarmActionStrategy;
  services: readonly FargateService[];
  alertFunction: IFunction;
  deadLetterQueue: IQueue;
}

/** How many alarms the stack creates for a number of shards (the cost estimate counts with this). */
export function alarmCount(shards: number): number {
  // Per shard: monitor silent, no running task, CPU, memory; once: storage errors, Lambda errors, DLQ,
  // alert channel broken.
  return 4 * shards + 4;
}

export class MonitorAlarms extends Construct {
  readonly alarms: Alarm[] = [];
  /** Each service's "no running task" alarm, in shard order (the capacity fallback listens to them). */
  readonly noRunningTask: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitorAlarmsProps) {
    super(scope, id);
    const { naming, metrics, services } = props;
    const sharded = services.length > 1;
    const label = (shard: number) => (sharded ? ` (shard ${shard})` : "");

    // Five silent minutes in a row: one late flush cannot trip it, a dead or stuck process does. The
    // monitor emits its heartbeat only while every feed is live (open, acknowledged, data within a
    // minute), so a process that runs but watches nothing trips it too.
    const silentMinutes = 5;
    const silent = (id: string, shard: number | null) =>
      this.#add(id, {
        alarmName: naming.alarmName(`monitor silent${shard === null ? "" : label(shard)}`),
        alarmDescription:
          "[critical] No heartbeat for 5 minutes: the monitor is not running, or its Hyperliquid feeds are not live (a socket down, a subscription not acknowledged, or no data for a minute), so fills, positions and risk alerts are not being watched. Check the service's tasks and the log group: 'connection attempt failed' names the endpoint and the cause, 'subscription not acknowledged' the server's answer, and a 'configuration error' line means the secret needs a value.",
        metric: shard === null ? metrics.heartbeat() : metrics.shardHeartbeat(shard),
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: silentMinutes,
        datapointsToAlarm: silentMinutes,
        // No data at all is exactly the failure this alarm is for.
        treatMissingData: TreatMissingData.BREACHING,
      });
    if (sharded) {
      for (let shard = 0; shard < services.length; shard++) silent(`MonitorSilent${shard}`, shard);
    } else {
      silent("MonitorSilent", null);
    }

    services.forEach((service, shard) => {
      const suffix = sharded ? String(shard) : "";
      const noRunningTask = this.#add(`NoRunningTask${suffix}`, {
        alarmName: naming.alarmName(`no running task${label(shard)}`),
        alarmDescription:
          "[critical] No monitor task has run for 5 minutes. A Spot interruption is normally replaced within two; if Spot has no capacity, the service moves to on-demand Fargate by itself (a separate message says so). Check the service's events (aws ecs describe-services) for capacity or image errors.",
        metric: metrics.runningTaskSamples(service),
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: TreatMissingData.BREACHING,
      });
      this.noRunningTask.push(noRunningTask);
      this.#add(`CpuHigh${suffix}`, {
        alarmName: naming.alarmName(`CPU high${label(shard)}`),
        alarmDescription:
          "CPU above 80 % of the task's 0.25 vCPU for 15 minutes: frames may queue and alerts arrive late. Fewer CVD coins (CVD_COINS) or more shards reduce the load.",
        metric: metrics.serviceCpu(service),
        threshold: 80,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      this.#add(`MemoryHigh${suffix}`, {
        alarmName: naming.alarmName(`memory high${label(shard)}`),
        alarmDescription:
          "Memory above 85 % of the task's 512 MiB for 15 minutes: the task may be killed and restarted. Look for growing PendingWrites (storage unreachable) in the log group.",
        metric: metrics.serviceMemory(service),
        threshold: 85,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    });

    this.#add("StorageErrors", {
      alarmName: naming.alarmName("storage errors"),
      alarmDescription:
        "Storage writes kept failing for 10 minutes. Writes are held and retried (nothing is lost unless the pending limit is reached); check the log group for 'storage write failed' and the database's status.",
      metric: metrics.monitor("StorageErrors", "Sum", Duration.minutes(5)),
      threshold: 5,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.#add("AlertFunctionErrors", {
      alarmName: naming.alarmName("alert Lambda errors"),
      alarmDescription:
        "The alert Lambda failed: Discord or Telegram messages are late or missing (e-mail is not affected), and a channel may be broken, so this message may not reach it. The Lambda's log group names the channel and the answer: 'alert delivery failed' lines for failures it retries (network, 5xx, rate limits), 'alert channel refused the alert for good' lines (and the AlertChannelFailures metric) for a deleted webhook, a blocked bot or a wrong chat.",
      metric: metrics.lambdaErrors(props.alertFunction),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.#add("DeadLetters", {
      alarmName: naming.alarmName("alert dead-letter queue not empty"),
      alarmDescription:
        "An alert could not be delivered after three attempts and is in the dead-letter queue: a channel may be broken, so this message may not reach it. The alert Lambda's log group says which: 'alert delivery failed' lines name the channel and its answer (AlertChannelFailures counts channels that refused for good). Fix the channel, then read the message from the queue.",
      metric: metrics.deadLetters(props.deadLetterQueue),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // Permanent refusals do not fail the Lambda (its retries would go to the same broken channel), so
    // they have their own alarm. Its notification reaches the channels that still work and the e-mail.
    this.#add("AlertChannelBroken", {
      alarmName: naming.alarmName("alert channel broken"),
      alarmDescription:
        "A Discord or Telegram channel refused an alert for good (a deleted webhook, the bot blocked or removed, a wrong chat or thread id), so that channel is missing alerts and this message may not reach it. The alert Lambda's log group has an 'alert channel refused the alert for good' line with the channel and its answer; fix the value in the alerts secret (it is re-read within five minutes).",
      metric: props.metrics.alertChannelFailures(),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    for (const alarm of this.alarms) props.action.apply(alarm);
  }

  #add(id: string, props: ConstructorParameters<typeof Alarm>[2]): Alarm {
    const alarm = new Alarm(this, id, props);
    this.alarms.push(alarm);
    return alarm;
  }
}
