/**
 * The alert each switch publishes to the stack's topic: an alert of the monitor's own contract
 * (alertEvent.ts, kind `notification`), in the same structured SNS message the monitor sends
 * (monitor/src/alerts/publishers.ts): readable text for e-mail, the alert JSON for the alert Lambda, which
 * renders it for Discord and Telegram like any other. A kind of its own is not needed: nothing filters or
 * renders a switch differently from a notification, and the title says what happened.
 *
 * The key names the service and the deployment the switch replaced, so two invocations that saw the same
 * state (concurrent events) produce one message: the alert Lambda's delivery ledger posts a key once.
 */
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { ALERT_SCHEMA, type AlertEvent } from "../alertEvent.ts";
import { alertPublishInput } from "../snsAlertMessage.ts";
import { QUIET_PERIOD_MS } from "./capacityDecision.ts";

export interface SwitchDescription {
  service: string;
  clusterName: string;
  region: string;
  /** The deployment that was primary before the switch (its id keys the alert). */
  replacedDeployment: string;
  time: number;
  dashboardUrl: string | null;
}

const hours = QUIET_PERIOD_MS / 3_600_000;

export function fallbackAlert(change: SwitchDescription & { since: string }): AlertEvent {
  return {
    ...common(change),
    key: `capacity-on-demand:${change.service}:${change.replacedDeployment}`,
    severity: "warning",
    title: "Monitor moved to on-demand Fargate: no Spot capacity",
    summary: `${change.since}, so the service now runs on on-demand FARGATE (about 2.5 times the Spot price while it lasts). It tries Spot again at the first steady state ${hours} hours from now, and falls back again if Spot is still short. Nothing to do; to go back by hand: aws ecs update-service --cluster ${change.clusterName} --service ${change.service} --capacity-provider-strategy capacityProvider=FARGATE_SPOT,weight=1 --force-new-deployment --region ${change.region}`,
    fields: [
      { label: "Service", value: change.service },
      { label: "Cause", value: change.since },
      { label: "Now on", value: "FARGATE (on-demand)" },
      { label: "Back to Spot", value: `after ${new Date(change.time + QUIET_PERIOD_MS).toISOString()}` },
    ],
  };
}

export function returnAlert(change: SwitchDescription & { onDemandSince: number }): AlertEvent {
  const onDemandHours = ((change.time - change.onDemandSince) / 3_600_000).toFixed(1);
  return {
    ...common(change),
    key: `capacity-spot:${change.service}:${change.replacedDeployment}`,
    severity: "info",
    title: "Monitor returning to Fargate Spot",
    summary: `The service ran on on-demand FARGATE for ${onDemandHours} hours without trouble and now deploys on FARGATE_SPOT again. The on-demand task keeps running until a Spot task is healthy; if Spot is still short, the service falls back again.`,
    fields: [
      { label: "Service", value: change.service },
      { label: "On on-demand since", value: new Date(change.onDemandSince).toISOString() },
      { label: "Now on", value: "FARGATE_SPOT" },
    ],
  };
}

function common(
  change: SwitchDescription,
): Omit<AlertEvent, "key" | "severity" | "title" | "summary" | "fields"> {
  return {
    schema: ALERT_SCHEMA,
    kind: "notification",
    account: null,
    coin: null,
    time: change.time,
    links: change.dashboardUrl ? [{ label: "Dashboard", url: change.dashboardUrl }] : [],
  };
}

/** Published in the monitor's own SNS message shape, so the alert Lambda delivers it like any other alert. */
export async function publishAlert(sns: SNSClient, topicArn: string, event: AlertEvent): Promise<void> {
  await sns.send(new PublishCommand(alertPublishInput(topicArn, event)));
}
