/**
 * Delivers one alert to every configured channel, each at most once (see deliveryLedger.ts).
 *
 * Channels are independent: a failing Telegram does not hold back Discord, and a retry after a partial
 * failure posts only to the channels (and Telegram message parts) that did not accept the alert yet.
 * If any channel failed, `deliverAlert` throws a DeliveryError after trying them all, so the caller (the
 * Lambda) fails the invocation and the platform retries it, then dead-letters it.
 */
import type { AlertEvent } from "./alertEvent.ts";
import { ChannelError, type ChannelName, redactSecrets } from "./channels/channelError.ts";
import { postDiscordWebhook } from "./channels/discord.ts";
import type { DeliveryTiming } from "./channels/httpDelivery.ts";
import { sendTelegramMessage, type TelegramTarget } from "./channels/telegram.ts";
import type { DeliveryLedger } from "./deliveryLedger.ts";
import { discordPayload } from "./render/discord.ts";
import { telegramMessages } from "./render/telegram.ts";

export interface ChannelSettings {
  discordWebhookUrl: string | null;
  telegram: TelegramTarget | null;
}

export type ChannelOutcome = "sent" | "already_sent" | "in_progress_elsewhere" | "not_configured" | "failed";

export interface DeliveryReport {
  key: string;
  discord: ChannelOutcome;
  telegram: ChannelOutcome;
  /** Secret-free descriptions of the failures. */
  errors: string[];
  rateLimitedMs: number;
}

export class DeliveryError extends Error {
  readonly report: DeliveryReport;
  constructor(report: DeliveryReport) {
    super(`alert ${report.key} not delivered: ${report.errors.join("; ")}`);
    this.name = "DeliveryError";
    this.report = report;
  }
}

export interface DeliverOptions {
  settings: ChannelSettings;
  ledger: DeliveryLedger;
  timing: DeliveryTiming;
}

export async function deliverAlert(input: AlertEvent, options: DeliverOptions): Promise<DeliveryReport> {
  const { settings } = options;
  // A lone surrogate anywhere (a producer's cut, a raw text from outside) makes Telegram and Discord
  // refuse the whole message; U+FFFD in its place costs one character and keeps the alert.
  const event = wellFormedAlert(input);
  const secrets = [settings.discordWebhookUrl, settings.telegram?.botToken];
  const report: DeliveryReport = {
    key: event.key,
    discord: "not_configured",
    telegram: "not_configured",
    errors: [],
    rateLimitedMs: 0,
  };
  const attempt = async (
    channel: ChannelName,
    part: string,
    post: () => Promise<{ rateLimitedMs: number }>,
  ) => {
    const now = options.timing.now?.() ?? Date.now();
    const id = `${event.key}#${channel}${part}`;
    const claim = await options.ledger.claim(id, options.timing.deadline + 1_000, now);
    if (claim !== "claimed") return claim;
    try {
      const response = await post();
      report.rateLimitedMs += response.rateLimitedMs;
    } catch (error) {
      await options.ledger.release(id);
      const message = error instanceof ChannelError ? error.message : `${channel}: ${String(error)}`;
      report.errors.push(redactSecrets(message, secrets));
      return "failed";
    }
    await options.ledger.markSent(id, options.timing.now?.() ?? Date.now());
    return "sent";
  };

  const discord = async () => {
    const url = settings.discordWebhookUrl;
    if (!url) return;
    report.discord = await attempt("discord", "", () =>
      postDiscordWebhook(url, discordPayload(event), options.timing),
    );
  };
  const telegram = async () => {
    const target = settings.telegram;
    if (!target) return;
    const messages = telegramMessages(event);
    const outcomes: ChannelOutcome[] = [];
    // Parts in order: a later part is not sent before an earlier one was accepted.
    for (const [index, html] of messages.entries()) {
      const outcome = await attempt("telegram", messages.length > 1 ? `#${index + 1}` : "", () =>
        sendTelegramMessage(target, html, options.timing),
      );
      outcomes.push(outcome);
      if (outcome === "failed" || outcome === "in_progress_elsewhere") break;
    }
    report.telegram = combine(outcomes);
  };
  await Promise.all([discord(), telegram()]);
  if (report.errors.length > 0) throw new DeliveryError(report);
  return report;
}

function combine(outcomes: ChannelOutcome[]): ChannelOutcome {
  if (outcomes.includes("failed")) return "failed";
  if (outcomes.includes("in_progress_elsewhere")) return "in_progress_elsewhere";
  if (outcomes.includes("sent")) return "sent";
  return outcomes[0] ?? "not_configured";
}

/** The alert with every string made well-formed UTF-16 (lone surrogates replaced by U+FFFD). */
export function wellFormedAlert(event: AlertEvent): AlertEvent {
  const fix = (value: string) => (value.isWellFormed() ? value : value.toWellFormed());
  return {
    ...event,
    key: fix(event.key),
    title: fix(event.title),
    summary: fix(event.summary),
    account: event.account === null ? null : fix(event.account),
    coin: event.coin === null ? null : fix(event.coin),
    fields: event.fields.map((field) => ({ label: fix(field.label), value: fix(field.value) })),
    links: event.links.map((link) => ({ label: fix(link.label), url: link.url })),
  };
}
