/**
 * Delivers one alert to every configured channel, each at most once (see deliveryLedger.ts).
 *
 * Channels are independent: a failing Telegram does not hold back Discord, a ledger error is the affected
 * channel's failure only, and a retry after a partial failure posts only to the channels (and Telegram
 * message parts) that did not accept the alert yet.
 *
 * Two kinds of failure:
 * - transient (network, 5xx, a 429 that outlasts the time left, the ledger unreachable before the post):
 *   `deliverAlert` throws a DeliveryError after trying every channel, so the caller (the Lambda) fails the
 *   invocation and the platform retries it, then dead-letters it;
 * - permanent (any other 4xx: a deleted webhook, a bot blocked or removed, a chat that does not exist): the
 *   channel will give the same answer however often it is asked, so the alert is marked failed-for-good for
 *   that channel in the ledger and reported in `permanentFailures`, and does not fail the invocation.
 *   Otherwise the retries, the dead-letter queue and the alarm about them would all go through the same
 *   broken channel again.
 */
import type { AlertChart, AlertEvent } from "./alertEvent.ts";
import { ChannelError, type ChannelName, redactSecrets } from "./channels/channelError.ts";
import { postDiscordWebhook } from "./channels/discord.ts";
import type { DeliveryTiming } from "./channels/httpDelivery.ts";
import { sendTelegramMessage, sendTelegramPhoto, type TelegramTarget } from "./channels/telegram.ts";
import type { DeliveryLedger } from "./deliveryLedger.ts";
import { CHART_FILENAME, renderChartLazily } from "./render/chartLazily.ts";
import { discordPayload } from "./render/discord.ts";
import { telegramCaptionHtml, telegramMessages } from "./render/telegram.ts";
import { cutAt } from "./render/truncate.ts";

export interface ChannelSettings {
  discordWebhookUrl: string | null;
  /** A thread or forum post of the webhook's channel (`thread_id`); null when none. */
  discordThreadId?: string | null;
  telegram: TelegramTarget | null;
}

export type ChannelOutcome =
  | "sent"
  | "already_sent"
  | "in_progress_elsewhere"
  | "not_configured"
  | "failed"
  /** The channel refused the alert for good (this time, or on an earlier try: `already_failed`). */
  | "failed_permanently"
  | "already_failed";

export interface PermanentFailure {
  channel: ChannelName;
  /** The channel's answer, secret-free (e.g. `discord: HTTP 404 (code 10015: Unknown Webhook)`). */
  answer: string;
}

export interface DeliveryReport {
  key: string;
  discord: ChannelOutcome;
  telegram: ChannelOutcome;
  /** Secret-free descriptions of the transient failures (the invocation fails when there are any). */
  errors: string[];
  /** Channels that refused this alert for good, first time only (a retry finds them `already_failed`). */
  permanentFailures: PermanentFailure[];
  /** Posted, but the ledger could not record it (see `markSentWithRetries`): a later retry may repost. */
  unrecorded: string[];
  /**
   * The alert's chart: `sent` (with the alert), `text_only` (not drawn or refused: the text went alone,
   * see `chartErrors`), or `none` (the alert has no chart).
   */
  chart: "none" | "sent" | "text_only";
  /** Why the chart did not go out (secret-free); the text alert went regardless. */
  chartErrors: string[];
  /** Set when the Telegram chat turned out to have moved (group upgraded to a supergroup). */
  telegramChatMigration: { from: string; to: string } | null;
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

/**
 * What the caller keeps between alerts for the life of its process (a Lambda execution environment):
 * Telegram chats that moved to a new id, so later alerts go straight to the new one.
 */
export interface DeliveryMemory {
  telegramChatMoves: Map<string, string>;
}

export const newDeliveryMemory = (): DeliveryMemory => ({ telegramChatMoves: new Map() });

export interface DeliverOptions {
  settings: ChannelSettings;
  ledger: DeliveryLedger;
  timing: DeliveryTiming;
  memory?: DeliveryMemory;
  /** Draws an alert's chart as a PNG (default: render/pnlChart.ts, loaded only when an alert has one). */
  renderChart?: (chart: AlertChart) => Promise<Uint8Array>;
}

export { CHART_FILENAME };

/**
 * Telegram's flood limits per chat (core.telegram.org/bots/faq "My bot is hitting limits"): about one
 * message a second, and no more than twenty a minute in a group. Parts of one alert keep to both.
 */
export const TELEGRAM_PART_SPACING_MS = 1_050;
const TELEGRAM_GROUP_MESSAGES_PER_MINUTE = 20;
/** Tries to record a post as sent before giving up on the ledger (see `markSentWithRetries`). */
const MARK_ATTEMPTS = 4;
const MARK_BACKOFF_MS = [200, 500, 1_000];

export async function deliverAlert(input: AlertEvent, options: DeliverOptions): Promise<DeliveryReport> {
  const { settings, ledger, timing } = options;
  // A lone surrogate anywhere (a producer's cut, a raw text from outside) makes Telegram and Discord
  // refuse the whole message; U+FFFD in its place costs one character and keeps the alert.
  const event = wellFormedAlert(input);
  const memory = options.memory ?? newDeliveryMemory();
  const now = () => timing.now?.() ?? Date.now();
  const sleep = timing.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const secrets = [settings.discordWebhookUrl, settings.telegram?.botToken];
  const report: DeliveryReport = {
    key: event.key,
    discord: "not_configured",
    telegram: "not_configured",
    errors: [],
    permanentFailures: [],
    unrecorded: [],
    chart: "none",
    chartErrors: [],
    telegramChatMigration: null,
    rateLimitedMs: 0,
  };
  const describe = (channel: ChannelName, error: unknown) =>
    redactSecrets(error instanceof ChannelError ? error.message : `${channel}: ${String(error)}`, secrets);

  const attempt = async (
    channel: ChannelName,
    part: string,
    post: () => Promise<{ rateLimitedMs: number }>,
  ): Promise<ChannelOutcome> => {
    const id = `${event.key}#${channel}${part}`;
    let claim: Awaited<ReturnType<DeliveryLedger["claim"]>>;
    try {
      claim = await ledger.claim(id, timing.deadline + 1_000, now());
    } catch (error) {
      // Nothing was posted: the retry claims again.
      report.errors.push(`${channel}: delivery ledger unavailable (${errorName(error)})`);
      return "failed";
    }
    if (claim === "already_failed") return "already_failed";
    if (claim !== "claimed") return claim;
    try {
      const response = await post();
      report.rateLimitedMs += response.rateLimitedMs;
    } catch (error) {
      const answer = describe(channel, error);
      if (error instanceof ChannelError && error.permanent) {
        report.permanentFailures.push({ channel, answer });
        // If this write fails too, a retry asks the channel once more and gets the same refusal: no
        // double post, and the record is written then.
        await ledger.markFailed(id, now(), answer).catch(() => ledger.release(id).catch(() => {}));
        return "failed_permanently";
      }
      // If the release fails, the lease runs out before Lambda's retry (a minute later) and it claims again.
      await ledger.release(id).catch(() => {});
      report.errors.push(answer);
      return "failed";
    }
    if (!(await markSentWithRetries(ledger, id, now, sleep, timing.deadline))) report.unrecorded.push(id);
    return "sent";
  };

  // The chart is drawn once for both channels; if it cannot be drawn, the alert goes as text.
  let png: Uint8Array | null = null;
  if (event.chart && (settings.discordWebhookUrl || settings.telegram)) {
    try {
      png = await (options.renderChart ?? renderChartLazily)(event.chart);
    } catch (error) {
      report.chartErrors.push(`chart not drawn: ${cutAt(errorMessage(error), 200)}`);
    }
  }
  const chartFailed = (channel: ChannelName, error: unknown) => {
    report.chartErrors.push(`${describe(channel, error)} (chart refused; text sent without it)`);
  };

  const discord = async () => {
    const url = settings.discordWebhookUrl;
    if (!url) return;
    const threadId = settings.discordThreadId ?? null;
    report.discord = await attempt("discord", "", async () => {
      const payload = discordPayload(event);
      if (png === null) return postDiscordWebhook(url, payload, timing, threadId);
      const withImage = {
        ...payload,
        embeds: payload.embeds.map((embed, index) =>
          index === 0 ? { ...embed, image: { url: `attachment://${CHART_FILENAME}` } } : embed,
        ),
      };
      try {
        return await postDiscordWebhook(url, withImage, timing, threadId, {
          filename: CHART_FILENAME,
          contentType: "image/png",
          bytes: png,
        });
      } catch (error) {
        // The image must never cost the alert: the same embed again, without it.
        chartFailed("discord", error);
        return postDiscordWebhook(url, payload, timing, threadId);
      }
    });
  };
  const telegram = async () => {
    const configured = settings.telegram;
    if (!configured) return;
    const messages = telegramMessages(event);
    const outcomes: ChannelOutcome[] = [];
    const postedAt: number[] = [];
    if (png !== null) {
      // The chart first, as its own ledger part with the title as caption; the text follows in full.
      // A refused or failed photo is recorded and skipped: the text parts go regardless.
      const photo = png;
      const id = `${event.key}#telegram#chart`;
      const target = {
        ...configured,
        chatId: memory.telegramChatMoves.get(configured.chatId) ?? configured.chatId,
      };
      const claim = await ledger.claim(id, timing.deadline + 1_000, now()).catch(() => "failed" as const);
      if (claim === "claimed") {
        try {
          const result = await sendTelegramPhoto(target, photo, telegramCaptionHtml(event.title), timing);
          report.rateLimitedMs += result.rateLimitedMs;
          if (result.migratedTo !== null) {
            memory.telegramChatMoves.set(configured.chatId, result.migratedTo);
            report.telegramChatMigration = { from: configured.chatId, to: result.migratedTo };
          }
          postedAt.push(now());
          if (!(await markSentWithRetries(ledger, id, now, sleep, timing.deadline)))
            report.unrecorded.push(id);
        } catch (error) {
          // Recorded as failed, not released: a retry of the invocation does not post the chart late,
          // after the text it belongs above.
          chartFailed("telegram", error);
          await ledger
            .markFailed(id, now(), describe("telegram", error))
            .catch(() => ledger.release(id).catch(() => {}));
        }
      }
    }
    // Parts in order: a later part is not sent before an earlier one was accepted.
    for (const [index, html] of messages.entries()) {
      const target = {
        ...configured,
        chatId: memory.telegramChatMoves.get(configured.chatId) ?? configured.chatId,
      };
      const outcome = await attempt("telegram", messages.length > 1 ? `#${index + 1}` : "", async () => {
        // Parts of one alert are spaced out to the chat's pace rather than sent in a burst that would
        // earn a 429; if the wait does not fit in the time left, the retry sends the rest.
        const last = postedAt.at(-1);
        if (last !== undefined) {
          const windowStart = postedAt.at(-TELEGRAM_GROUP_MESSAGES_PER_MINUTE);
          const waitMs = Math.max(
            last + TELEGRAM_PART_SPACING_MS - now(),
            postedAt.length >= TELEGRAM_GROUP_MESSAGES_PER_MINUTE && windowStart !== undefined
              ? windowStart + 60_000 + TELEGRAM_PART_SPACING_MS - now()
              : 0,
          );
          if (waitMs > 0) {
            if (now() + waitMs + (timing.requestTimeoutMs ?? 10_000) > timing.deadline) {
              throw new ChannelError("telegram", 0, "telegram: no time left to pace the message parts");
            }
            await sleep(waitMs);
          }
        }
        const result = await sendTelegramMessage(target, html, timing);
        if (result.migratedTo !== null) {
          memory.telegramChatMoves.set(configured.chatId, result.migratedTo);
          report.telegramChatMigration = { from: configured.chatId, to: result.migratedTo };
        }
        return result;
      });
      outcomes.push(outcome);
      if (outcome === "sent") postedAt.push(now());
      if (outcome !== "sent" && outcome !== "already_sent") break;
    }
    report.telegram = combine(outcomes);
  };
  // Settled, not all: one channel's failure (or its ledger's) must not abandon the other mid-post.
  const settled = await Promise.allSettled([discord(), telegram()]);
  for (const [index, result] of settled.entries()) {
    if (result.status === "rejected") {
      report.errors.push(describe(index === 0 ? "discord" : "telegram", result.reason));
    }
  }
  if (png !== null && report.chartErrors.length === 0) report.chart = "sent";
  else if (event.chart) report.chart = "text_only";
  if (report.errors.length > 0) throw new DeliveryError(report);
  return report;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * After a post was accepted, recording it is what stops a retry from posting again, so the write is tried
 * a few times within the time left. If the ledger stays unreachable throughout, the record keeps its
 * `in_progress` lease, and a retry of this invocation after the lease ran out (when another channel
 * failed transiently) posts the alert to this channel a second time: the remaining window, reported in
 * `unrecorded` and logged.
 */
async function markSentWithRetries(
  ledger: DeliveryLedger,
  id: string,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
  deadline: number,
): Promise<boolean> {
  for (let attempt = 1; attempt <= MARK_ATTEMPTS; attempt++) {
    try {
      await ledger.markSent(id, now());
      return true;
    } catch {
      const waitMs = MARK_BACKOFF_MS[Math.min(attempt - 1, MARK_BACKOFF_MS.length - 1)]!;
      if (attempt === MARK_ATTEMPTS || now() + waitMs > deadline) return false;
      await sleep(waitMs);
    }
  }
  return false;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "unknown error";
}

function combine(outcomes: ChannelOutcome[]): ChannelOutcome {
  for (const outcome of [
    "failed",
    "failed_permanently",
    "already_failed",
    "in_progress_elsewhere",
  ] as const) {
    if (outcomes.includes(outcome)) return outcome;
  }
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
