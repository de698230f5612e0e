/**
 * A loopback Amazon SNS topic answering `Publish` in the service's query protocol (form-encoded request,
 * XML response), with SNS's checks on structured messages: with `MessageStructure=json` the message must
 * be a JSON object of strings with a `default` entry; subjects are at most 100 printable ASCII characters;
 * messages at most 256 KB. Accepted messages are kept (the email text and the Lambda JSON) and, like a
 * topic with a Lambda subscription, handed to `onLambdaMessage` asynchronously.
 */
import { randomUUID } from "node:crypto";
import type { SNSEventRecord } from "aws-lambda";
import { startLoopbackServer } from "./loopbackHttp.ts";

export interface PublishedMessage {
  messageId: string;
  topicArn: string;
  subject: string | null;
  /** What an email subscriber receives. */
  email: string;
  /** What a Lambda subscriber receives as `Sns.Message`. */
  lambda: string;
  attributes: Record<string, string>;
}

const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";
const TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:hl-monitor-alerts";

/** The record SNS hands a Lambda subscriber for one message. */
export function snsLambdaRecord(
  message: string,
  messageId: string,
  subject: string | null = null,
  timestamp = "2023-11-15T00:18:20.000Z",
): SNSEventRecord {
  return {
    EventSource: "aws:sns",
    EventVersion: "1.0",
    EventSubscriptionArn: `${TOPIC_ARN}:1`,
    Sns: {
      Type: "Notification",
      MessageId: messageId,
      TopicArn: TOPIC_ARN,
      Subject: subject as string,
      Message: message,
      Timestamp: timestamp,
      SignatureVersion: "1",
      Signature: "EXAMPLE",
      SigningCertUrl: "EXAMPLE",
      UnsubscribeUrl: "EXAMPLE",
      MessageAttributes: {},
    },
  };
}

export class SnsStandIn {
  readonly published: PublishedMessage[] = [];
  readonly rejected: string[] = [];
  endpoint = "";
  readonly topicArn = TOPIC_ARN;
  onLambdaMessage: ((message: PublishedMessage) => Promise<void>) | null = null;
  readonly deliveries = new Set<Promise<void>>();
  #failures = 0;
  #close: (() => Promise<void>) | null = null;

  static async start(): Promise<SnsStandIn> {
    const standIn = new SnsStandIn();
    const server = await startLoopbackServer((_request, body) => standIn.#handle(body));
    standIn.endpoint = server.url;
    standIn.#close = server.close;
    return standIn;
  }

  /** The next `count` Publish calls answer 500 InternalError. */
  failNext(count: number): void {
    this.#failures = count;
  }

  /** Waits until every Lambda delivery started so far has finished. */
  async settled(): Promise<void> {
    for (let i = 0; i < 100 && this.deliveries.size > 0; i++) await Promise.allSettled([...this.deliveries]);
  }

  async close(): Promise<void> {
    await this.#close?.();
  }

  #handle(body: string) {
    const form = new URLSearchParams(body);
    if (form.get("Action") !== "Publish")
      return this.#error(400, "InvalidAction", "Only Publish is served here");
    if (this.#failures > 0) {
      this.#failures -= 1;
      return this.#error(500, "InternalError", "Internal Error", "Receiver");
    }
    const topicArn = form.get("TopicArn") ?? "";
    if (topicArn !== this.topicArn) return this.#error(404, "NotFound", "Topic does not exist");
    const message = form.get("Message") ?? "";
    if (Buffer.byteLength(message) > 262_144)
      return this.#error(400, "InvalidParameter", "Invalid parameter: Message too long");
    const subject = form.get("Subject");
    if (subject !== null && (subject.length > 100 || !/^[\x20-\x7e]+$/.test(subject))) {
      return this.#error(400, "InvalidParameter", "Invalid parameter: Subject");
    }
    let email = message;
    let lambda = message;
    if (form.get("MessageStructure") === "json") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        return this.#error(
          400,
          "InvalidParameter",
          "Invalid parameter: Message Structure - JSON message body failed to parse",
        );
      }
      const entries = parsed as Record<string, unknown>;
      if (!entries || typeof entries !== "object" || typeof entries.default !== "string") {
        return this.#error(
          400,
          "InvalidParameter",
          "Invalid parameter: Message Structure - No default entry in JSON message body",
        );
      }
      if (Object.values(entries).some((value) => typeof value !== "string")) {
        return this.#error(
          400,
          "InvalidParameter",
          "Invalid parameter: Message Structure - all values must be strings",
        );
      }
      email = String(entries.email ?? entries.default);
      lambda = String(entries.lambda ?? entries.default);
    }
    const attributes: Record<string, string> = {};
    for (let n = 1; n <= 10; n++) {
      const name = form.get(`MessageAttributes.entry.${n}.Name`);
      if (name === null) break;
      attributes[name] = form.get(`MessageAttributes.entry.${n}.Value.StringValue`) ?? "";
    }
    const published: PublishedMessage = {
      messageId: randomUUID(),
      topicArn,
      subject,
      email,
      lambda,
      attributes,
    };
    this.published.push(published);
    if (this.onLambdaMessage) {
      const delivery = this.onLambdaMessage(published).catch(() => {});
      this.deliveries.add(delivery);
      void delivery.finally(() => this.deliveries.delete(delivery));
    }
    return {
      status: 200,
      headers: { "content-type": "text/xml" },
      raw: `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${published.messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    };
  }

  #error(status: number, code: string, message: string, type = "Sender") {
    this.rejected.push(`${code}: ${message}`);
    return {
      status,
      headers: { "content-type": "text/xml" },
      raw: `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    };
  }
}
