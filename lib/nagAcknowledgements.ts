/**
 * The cdk-nag AwsSolutions findings this stack accepts, each on the one resource it concerns and with
 * the reason that holds for this stack. Anything not listed here fails `cdk synth`.
 */
import { type CfnElement, type Stack, Token, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import type { Commands } from "./commands.ts";
import type { MonitorService } from "./monitorService.ts";
import type { MonitorSecrets } from "./secrets.ts";

export interface NagParts {
  secrets: MonitorSecrets;
  service: MonitorService;
  commands: Commands;
}

const acknowledge = (scope: IConstruct, rule: string, reason: string) =>
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });

export function acknowledgeNagFindings(stack: Stack, parts: NagParts): void {
  for (const { secret } of parts.secrets.entries) {
    acknowledge(
      secret,
      "SMG4",
      "Holds third-party values (account address, Supabase keys, Discord webhook, Telegram bot token) that AWS cannot rotate; they are rotated at their provider and put again.",
    );
  }
  // No AwsSolutions rule of this cdk-nag version flags a Function URL with auth type NONE (its library has
  // the LambdaFunctionUrlAuth rule, in no pack yet); the acknowledgement keeps the reason on the function
  // for when a pack runs it.
  acknowledge(
    parts.commands.function,
    "LambdaFunctionUrlAuth",
    "The Function URL's callers are Telegram and Discord, which cannot sign AWS requests: the function authenticates every request itself before anything else (Telegram's secret token compared in constant time, Discord's Ed25519 signature with a fresh timestamp) and answers 401 otherwise.",
  );
  acknowledge(
    parts.service.cluster,
    "ECS4",
    "Container Insights bills per-task metrics beyond the budget; the monitor's own metrics and ECS's free service CPU and memory metrics feed the dashboard and alarms.",
  );
  for (const definition of parts.service.taskDefinitions) {
    acknowledge(
      definition,
      "ECS2",
      "Only non-secret settings are plain environment variables (mode, table prefix, topic ARN, shard numbers); the account address and Supabase keys come from Secrets Manager through `secrets`.",
    );
    acknowledge(
      definition.taskRole.node.findChild("DefaultPolicy"),
      "IAM5[Resource::*]",
      "ECS Exec's ssmmessages channel actions and its agent's logs:DescribeLogGroups check support no resource-level permissions; everything else in this role is scoped to this stack's tables, topic and log group.",
    );
    if (parts.service.exec) {
      const logGroupId = stack.getLogicalId(parts.service.logGroup.node.defaultChild as CfnElement);
      // cdk-nag names the ARN as synthesized: the region and account are literal when the CLI knows them.
      const region = Token.isUnresolved(stack.region) ? "<AWS::Region>" : stack.region;
      const account = Token.isUnresolved(stack.account) ? "<AWS::AccountId>" : stack.account;
      acknowledge(
        definition.taskRole.node.findChild("DefaultPolicy"),
        `IAM5[Resource::arn:<AWS::Partition>:logs:${region}:${account}:log-group:<${logGroupId}>:*]`,
        "ECS Exec writes each session's transcript to a log stream it names per session, so the task role may create and write streams in the monitor's own log group, and in no other group.",
      );
    }
    acknowledge(
      definition.obtainExecutionRole().node.findChild("DefaultPolicy"),
      "IAM5[Resource::*]",
      "ecr:GetAuthorizationToken supports no resource-level permissions; image pulls are scoped to the asset repository and secret reads to this stack's secrets.",
    );
  }
}
