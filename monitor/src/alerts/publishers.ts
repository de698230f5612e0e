/**
 * Where alerts go once claimed:
 * - SNS (`ALERT_TOPIC_ARN`, in AWS): one structured message per alert: readable text for email
 *   (`default`, `email`) and the alert JSON for the Lambda (`lambda`), which renders it for Discord and
 *   Telegram. Message attributes `kind` and `severity` let a subscription filter (say, email only for
 *   critical alerts).
 * - Direct (local runs without a topic, with DISCORD_WEBHOOK_URL / TELEGRAM_* set): the Lambda's own
 *   delivery code, in process, with an in-memory delivery ledger.
 * Without either, alerts go to the log only (the outbox logs every alert it claims).
 */
import { PublishCommand, SNSClient, type SNSClientConfig } from "@aws-sdk/client-sns";
import type { AlertEvent } from "../../../lambda-alerts/src/alertEvent.ts";
import { type ChannelSettings, deliverAlert } from "../../../lambda-alerts/src/deliver.ts";
import { MemoryDeliveryLedger } from "../../../lambda-alerts/src/deliveryLedger.ts";
import { alertPublishInput } from "../../../lambda-alerts/src/snsAlertMessage.ts";
import type { Logger } from "../telemetry/logger.ts";

export interface AlertPublisher {
  readonly name: string;
  publish(event: AlertEvent): Promise<void>;
  close?(): void;
}

export class SnsAlertPublisher implements AlertPublisher {
  readonly name = "sns";
  readonly #client: SNSClient;
  readonly #topicArn: string;

  constructor(topicArn: string, clientConfig: SNSClientConfig = {}) {
    this.#topicArn = topicArn;
    // The SDK's standard retry mode retries throttling and 5xx with backoff (3 attempts).
    this.#client = new SNSClient({ maxAttempts: 3, ...clientConfig });
  }

  async publish(event: AlertEvent): Promise<void> {
    await this.#client.send(new PublishCommand(alertPublishInput(this.#topicArn, event)));
  }

  close(): void {
    this.#client.destroy();
  }
}

export class DirectAlertPublisher implements AlertPublisher {
  readonly name = "direct";
  readonly #settings: ChannelSettings;
  readonly #ledger = new MemoryDeliveryLedger();
  readonly #timeoutMs: number;
  readonly #logger: Logger | null;

  constructor(settings: ChannelSettings, options: { timeoutMs?: number; logger?: Logger } = {}) {
    this.#settings = settings;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#logger = options.logger ?? null;
  }

  async publish(event: AlertEvent): Promise<void> {
    const report = await deliverAlert(event, {
      settings: this.#settings,
      ledger: this.#ledger,
      timing: { deadline: Date.now() + this.#timeoutMs },
    });
    // A channel that refuses for good (deleted webhook, blocked bot) is not retried: say so once per
    // alert and channel, with the channel's secret-free answer, as the Lambda does.
    for (const failure of report.permanentFailures) {
      this.#logger?.warn(
        { alert: event.key, channel: failure.channel, answer: failure.answer },
        "alert channel refused the alert for good",
      );
    }
  }
}
