/**
 * Alert delivery: one SNS topic that the monitor publishes its events to and every alarm notifies; the
 * alert Lambda (lambda-alerts/) subscribed to it, turning both into Discord and Telegram messages; an
 * optional e-mail subscription (SNS sends that itself, no Lambda involved).
 *
 * The Lambda is invoked asynchronously by SNS: Lambda retries a failed invocation twice, then puts the
 * event into the dead-letter queue (an alarm watches it). Its delivery ledger table makes those retries
 * safe: a channel that already got an alert is not posted to again.
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, BillingMode, Table } from "aws-cdk-lib/aws-dynamodb";
import { Effect, PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription, LambdaSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { createBundledFunction } from "./bundledFunction.ts";
import type { Naming } from "./naming.ts";

/** What the delivery ledger (lambda-alerts/src/dynamoDeliveryLedger.ts) calls. */
/** Memory of the alert Lambda (also used by the cost estimate). */
export const ALERT_LAMBDA_MEMORY_MB = 256;

export const LEDGER_ACTIONS = [
  "dynamodb:DeleteItem",
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
] as const;

export interface AlertingProps {
  naming: Naming;
  alertsSecret: ISecret;
  alertEmail: string | null;
  dashboardUrl: string;
}

export class Alerting extends Construct {
  readonly topic: Topic;
  readonly function: NodejsFunction;
  readonly deadLetterQueue: Queue;
  readonly deliveryTable: Table;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const { naming } = props;

    this.topic = new Topic(this, "Topic", {
      displayName: "hl-monitor alerts",
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one: say explicitly that this account's alarms may publish.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: "AlarmsOfThisAccountPublish",
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { "aws:SourceAccount": this.topic.env.account } },
      }),
    );

    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.deliveryTable = new Table(this, "DeliveryLedger", {
      tableName: naming.deliveryTableName,
      partitionKey: { name: "id", type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: "expiresAt",
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Seven-day delivery records, nothing worth keeping after the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.function = createBundledFunction(this, {
      functionName: naming.alertFunctionName,
      logGroupName: naming.alertLogGroupName,
      description: "hl-monitor: monitor events and CloudWatch alarms to Discord and Telegram",
      roleDescription:
        "hl-monitor alert Lambda: its log group, the alerts secret, the delivery ledger, the DLQ",
      entry: "lambda-alerts/src/handler.ts",
      // The daily summary's chart (resvg's WebAssembly and the fonts) takes the function from about 77 MB to
      // 137 MB at the first chart and 184 MB at most; 128 MB would end the invocation out of memory.
      memorySize: ALERT_LAMBDA_MEMORY_MB,
      // Long enough to wait out a Discord/Telegram 429 (the handler keeps within the remaining time).
      timeout: Duration.seconds(30),
      retryAttempts: 2,
      extra: { deadLetterQueue: this.deadLetterQueue },
      environment: {
        // The name (not the ARN with its random suffix), so the value is readable in the console.
        ALERTS_SECRET_ID: naming.secretName("alerts"),
        DELIVERY_TABLE: this.deliveryTable.tableName,
        DASHBOARD_URL: props.dashboardUrl,
        METRIC_NAMESPACE: naming.metricNamespace,
        LOG_LEVEL: "info",
      },
      drawsCharts: true,
    }).function;
    props.alertsSecret.grantRead(this.function);
    this.deliveryTable.grant(this.function, ...LEDGER_ACTIONS);

    this.topic.addSubscription(new LambdaSubscription(this.function));
    if (props.alertEmail) this.topic.addSubscription(new EmailSubscription(props.alertEmail));
  }
}
