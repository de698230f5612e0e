/**
 * Metric factories: every metric the alarms and the dashboard use, made in one place with its
 * statistic and period, apart from what uses them.
 */
import { Duration } from "aws-cdk-lib";
import { Metric } from "aws-cdk-lib/aws-cloudwatch";
import type { FargateService } from "aws-cdk-lib/aws-ecs";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { type MetricName, SHARD_DIMENSION, SHARD_HEARTBEAT } from "../../monitor/src/telemetry/metrics.ts";

export type Statistic = "Average" | "Sum" | "Minimum" | "Maximum" | "SampleCount";

export class MetricFactory {
  readonly namespace: string;

  constructor(namespace: string) {
    this.namespace = namespace;
  }

  /** One of the monitor's own metrics (EMF, no dimensions). */
  monitor(name: MetricName, statistic: Statistic, period = Duration.minutes(1), label?: string): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName: name,
      statistic,
      period,
      ...(label ? { label } : {}),
    });
  }

  // Metrics used by alarms carry no label: a label turns the alarm into the metric-math form.

  /** A monitor flushes its metrics once a minute: one Heartbeat sample per minute while every feed is live. */
  heartbeat(): Metric {
    return this.monitor("Heartbeat", "SampleCount", Duration.minutes(1));
  }

  shardHeartbeat(shard: number): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName: SHARD_HEARTBEAT,
      dimensionsMap: { [SHARD_DIMENSION]: String(shard) },
      statistic: "SampleCount",
      period: Duration.minutes(1),
    });
  }

  /** The alert Lambda's one metric: messages posted to Discord and Telegram. */
  alertsDelivered(): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName: "AlertsDelivered",
      statistic: "Sum",
      period: Duration.minutes(5),
      label: "alerts delivered (Discord + Telegram)",
    });
  }

  /**
   * Channels that refused an alert for good (deleted webhook, bot blocked or removed, unknown chat). The
   * Lambda declares it only in the minutes it happens (lambda-alerts/src/handler.ts), and CloudWatch bills
   * a custom metric by the hours it receives data: nothing while every channel works.
   */
  alertChannelFailures(): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName: "AlertChannelFailures",
      statistic: "Sum",
      period: Duration.minutes(5),
    });
  }

  /** ECS publishes these free, per service, every minute while a task runs. */
  serviceCpu(service: FargateService, period = Duration.minutes(5)): Metric {
    return service.metricCpuUtilization({ statistic: "Average", period });
  }

  serviceMemory(service: FargateService, period = Duration.minutes(5)): Metric {
    return service.metricMemoryUtilization({ statistic: "Average", period });
  }

  /** Without Container Insights, the count of CPU samples is how many tasks reported in the minute. */
  runningTaskSamples(service: FargateService): Metric {
    return service.metricCpuUtilization({
      statistic: "SampleCount",
      period: Duration.minutes(1),
    });
  }

  lambdaErrors(fn: IFunction): Metric {
    return fn.metricErrors({ statistic: "Sum", period: Duration.minutes(5) });
  }

  deadLetters(queue: IQueue): Metric {
    return queue.metricApproximateNumberOfMessagesVisible({
      statistic: "Maximum",
      period: Duration.minutes(5),
    });
  }
}
