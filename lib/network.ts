/**
 * The network: public subnets in up to three availability zones and nothing else. A NAT gateway costs about
 * $33 a month plus traffic, three times the whole budget of this app, so the task gets a public IP
 * instead and reaches Hyperliquid and the AWS APIs directly. Its security group has no inbound rule:
 * nothing can connect to the task; it only connects out.
 */
import { RemovalPolicy } from "aws-cdk-lib";
import {
  FlowLogDestination,
  FlowLogTrafficType,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from "aws-cdk-lib/aws-ec2";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

export class MonitorNetwork extends Construct {
  readonly vpc: Vpc;
  readonly taskSecurityGroup: SecurityGroup;

  readonly flowLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: { flowLogGroupName: string }) {
    super(scope, id);
    this.vpc = new Vpc(this, "Vpc", {
      // Three where the region has them: each zone is a Fargate Spot capacity pool of its own, so a
      // replacement task finds Spot capacity more often (and the fallback to on-demand is needed less).
      // Public subnets cost nothing, and the task has one public IP whatever the count. The zones come from
      // the account and region `cdk deploy` targets; an environment-agnostic synth (no credentials) shows two.
      maxAzs: 3,
      natGateways: 0,
      subnetConfiguration: [{ name: "public", subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
      // Locking the default security group takes a custom-resource Lambda; nothing here uses that group.
      restrictDefaultSecurityGroup: false,
    });
    // Rejected connections only: what knocked on the task's public IP. The task's own few long-lived
    // connections are not worth logging, and rejected ones are a few hundred kilobytes a day.
    this.flowLogGroup = new LogGroup(this, "RejectedTrafficLogs", {
      logGroupName: props.flowLogGroupName,
      retention: RetentionDays.TWO_WEEKS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog("RejectedTraffic", {
      destination: FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: FlowLogTrafficType.REJECT,
    });
    this.taskSecurityGroup = new SecurityGroup(this, "TaskSecurityGroup", {
      vpc: this.vpc,
      description: "hl-monitor task: outbound only (Hyperliquid WebSocket/REST, AWS APIs); no inbound rule",
      allowAllOutbound: false,
    });
    // HTTPS/WSS is all the monitor speaks (Hyperliquid, DynamoDB, SNS, Secrets Manager, ECR, Logs, Supabase).
    this.taskSecurityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), "HTTPS and WSS out");
  }
}
