/**
 * HyperliquidMonitorStack: everything one trader needs in their own AWS account, for a few dollars a
 * month. `db_mode=dynamodb` creates the five tables; `db_mode=supabase` creates none and gives the
 * monitor the Supabase secret instead. Resource names come from Naming; the parts are small constructs.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { Alerting } from "./alerting.ts";
import { CapacityFallback } from "./capacityFallback.ts";
import { Commands } from "./commands.ts";
import type { DeploymentSettings } from "./deploymentSettings.ts";
import { NotifyTopicOnAlarmAndOk } from "./monitoring/alarmAction.ts";
import { MonitorAlarms } from "./monitoring/alarms.ts";
import { MonitorDashboard } from "./monitoring/dashboard.ts";
import { MetricFactory } from "./monitoring/metricFactory.ts";
import { TaskStopAlert } from "./monitoring/taskStopAlert.ts";
import { MonitorService, TASK_MALLOC_TUNABLES, TASK_NODE_OPTIONS } from "./monitorService.ts";
import { acknowledgeNagFindings } from "./nagAcknowledgements.ts";
import { Naming } from "./naming.ts";
import { MonitorNetwork } from "./network.ts";
import { putSecretCommand } from "./outputs.ts";
import { PROJECT_ROOT } from "./paths.ts";
import { MonitorSecrets } from "./secrets.ts";
import { MonitorTables } from "./tables.ts";

export interface HyperliquidMonitorStackProps extends StackProps {
  settings: DeploymentSettings;
}

export class HyperliquidMonitorStack extends Stack {
  readonly naming: Naming;
  readonly tables: MonitorTables | null;
  readonly alerting: Alerting;
  readonly commands: Commands;
  readonly service: MonitorService;
  /** None for a stage deployed stopped: with no task, every alarm would sit in ALARM until a release. */
  readonly alarms: MonitorAlarms | null;
  /** On Spot only: what moves the service to on-demand FARGATE when Spot has no capacity, and back. */
  readonly capacityFallback: CapacityFallback | null;

  constructor(scope: Construct, id: string, props: HyperliquidMonitorStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const naming = new Naming(settings.stage);
    this.naming = naming;
    const dashboardUrl = `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${naming.dashboardName}`;

    const network = new MonitorNetwork(this, "Network", { flowLogGroupName: naming.flowLogGroupName });
    const secrets = new MonitorSecrets(this, "Secrets", { naming, dbMode: settings.dbMode });
    this.tables = settings.dbMode === "dynamodb" ? new MonitorTables(this, "Tables", { naming }) : null;

    const logGroup = new LogGroup(this, "MonitorLogs", {
      logGroupName: naming.logGroupName,
      retention: RetentionDays.TWO_WEEKS,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.alerting = new Alerting(this, "Alerting", {
      naming,
      alertsSecret: secrets.alerts,
      alertEmail: settings.alertEmail,
      dashboardUrl,
    });

    this.commands = new Commands(this, "Commands", {
      naming,
      dbMode: settings.dbMode,
      alertsSecret: secrets.alerts,
      credentialsSecret: secrets.credentials,
      tables: this.tables,
      reservedConcurrency: settings.commandsConcurrency,
      version: (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string })
        .version,
    });

    this.service = new MonitorService(this, "Monitor", {
      naming,
      vpc: network.vpc,
      securityGroup: network.taskSecurityGroup,
      logGroup,
      dbMode: settings.dbMode,
      shards: settings.shards,
      spot: settings.spot,
      exec: settings.exec,
      desiredCount: settings.desiredCount,
      credentials: secrets.credentials,
      supabase: secrets.supabase,
      // Settings only: every credential reaches the container through `secrets`, never here.
      environment: {
        DB_MODE: settings.dbMode,
        AWS_REGION: this.region,
        TABLE_PREFIX: naming.tablePrefix,
        ALERT_TOPIC_ARN: this.alerting.topic.topicArn,
        DASHBOARD_URL: dashboardUrl,
        METRIC_NAMESPACE: naming.metricNamespace,
        HEALTH_PORT: "8080",
        ON_CONFIG_ERROR: "wait",
        LOG_LEVEL: "info",
        NODE_OPTIONS: TASK_NODE_OPTIONS,
        GLIBC_TUNABLES: TASK_MALLOC_TUNABLES,
      },
    });
    for (const role of this.service.taskRoles) {
      this.tables?.grantMonitor(role);
      this.alerting.topic.grantPublish(role);
    }

    const metrics = new MetricFactory(naming.metricNamespace);
    // A stopped stage (the pipeline's staging) runs only during its smoke check, which is its check;
    // alarms there would page about a stage stopped on purpose, and bill past the free tier.
    this.alarms =
      settings.desiredCount === 0
        ? null
        : new MonitorAlarms(this, "Alarms", {
            naming,
            metrics,
            action: new NotifyTopicOnAlarmAndOk(this.alerting.topic),
            services: this.service.services,
            alertFunction: this.alerting.function,
            deadLetterQueue: this.alerting.deadLetterQueue,
          });
    const serviceNames = Array.from({ length: settings.shards }, (_, shard) =>
      naming.serviceName(shard, settings.shards),
    );
    new TaskStopAlert(this, "TaskStopAlert", {
      naming,
      cluster: this.service.cluster,
      topic: this.alerting.topic,
      logGroupName: naming.logGroupName,
      serviceNames,
    });
    this.capacityFallback = settings.spot
      ? new CapacityFallback(this, "CapacityFallback", {
          naming,
          cluster: this.service.cluster,
          services: this.service.services,
          serviceNames,
          noRunningTaskAlarms: this.alarms?.noRunningTask ?? [],
          topic: this.alerting.topic,
          dashboardUrl,
        })
      : null;
    new MonitorDashboard(this, "Dashboard", {
      naming,
      metrics,
      services: this.service.services,
      logGroup,
      alarms: this.alarms?.alarms ?? [],
      commandsFunction: this.commands.function,
    });

    this.#outputs({ naming, settings, secrets, logGroup, dashboardUrl });
    acknowledgeNagFindings(this, { service: this.service, secrets, commands: this.commands });
  }

  #outputs(parts: {
    naming: Naming;
    settings: DeploymentSettings;
    secrets: MonitorSecrets;
    logGroup: LogGroup;
    dashboardUrl: string;
  }): void {
    const { naming, secrets } = parts;
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    // The fixed names (Naming), not references: the same text the README's runbook shows.
    const serviceNames = Array.from({ length: parts.settings.shards }, (_, shard) =>
      naming.serviceName(shard, parts.settings.shards),
    );
    out("ClusterName", naming.clusterName, "ECS cluster");
    out("ServiceNames", serviceNames.join(","), "ECS service per shard");
    out("LogGroupName", parts.logGroup.logGroupName, "the monitor's logs");
    out("DashboardUrl", parts.dashboardUrl, "CloudWatch dashboard");
    out("AlertTopicArn", this.alerting.topic.topicArn, "SNS topic for monitor events and alarms");
    out("AlertFunctionName", this.alerting.function.functionName, "the alert Lambda");
    out("AlertDeadLetterQueueUrl", this.alerting.deadLetterQueue.queueUrl, "alerts that failed 3 times");
    out(
      "SecretNames",
      secrets.entries.map((entry) => naming.secretName(entry.purpose)).join(","),
      "Secrets Manager secrets (empty until you put the values)",
    );
    out(
      "TableNames",
      this.tables ? this.tables.names.join(",") : "none (db_mode=supabase: the data is in Supabase)",
      "DynamoDB tables (retained when the stack is deleted)",
    );
    out("PutCredentialsCommand", putSecretCommand(naming, "credentials"), "run this first");
    if (secrets.supabase) out("PutSupabaseCommand", putSecretCommand(naming, "supabase"), "then this");
    out("PutAlertsCommand", putSecretCommand(naming, "alerts"), "optional: Discord and Telegram");
    out(
      "ForceNewDeploymentCommand",
      serviceNames
        .map(
          (service) =>
            `aws ecs update-service --cluster ${naming.clusterName} --service ${service} --force-new-deployment`,
        )
        .join(" && "),
      "after putting the secrets: restart the monitor so it reads them",
    );
  }
}
