/**
 * The one SNS message shape for an alert, used by every publisher (the monitor's SnsAlertPublisher and the
 * capacity Lambda): `MessageStructure: json` gives each protocol its own body, so the alert Lambda reads the
 * event as JSON (`lambda`) while e-mail subscribers get the rendered text (`email`, `default`). The message
 * attributes let a subscription filter by kind or severity without parsing the body.
 */
import type { PublishCommandInput } from "@aws-sdk/client-sns";
import type { AlertEvent } from "./alertEvent.ts";
import { alertSubject, alertText } from "./render/text.ts";

export function alertPublishInput(topicArn: string, event: AlertEvent): PublishCommandInput {
  const text = alertText(event);
  return {
    TopicArn: topicArn,
    Subject: alertSubject(event),
    MessageStructure: "json",
    Message: JSON.stringify({ default: text, email: text, lambda: JSON.stringify(event) }),
    MessageAttributes: {
      kind: { DataType: "String", StringValue: event.kind },
      severity: { DataType: "String", StringValue: event.severity },
    },
  };
}
