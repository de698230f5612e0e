/**
 * The Telegram webhook: Telegram POSTs each Update (core.telegram.org/bots/api#update) to the Function
 * URL with the `X-Telegram-Bot-Api-Secret-Token` header set to the `secret_token` given to setWebhook
 * (core.telegram.org/bots/api#setwebhook). Anything without the right header gets 401 and nothing else
 * happens: no parsing, no store read, no message.
 *
 * Replies go out with `sendMessage` (HTML, the alert renderer's escaping and 4,096-character split), not
 * as a method in the webhook's response (core.telegram.org/bots/api#making-requests-when-getting-updates):
 * a response-borne call's outcome is never known, and a `/pnl` chart needs a second call (sendPhoto)
 * anyway. `/pnl`'s chart follows its text as a photo; a chart that cannot be drawn or sent in time costs
 * the photo only, never the text. The webhook is answered 200 once the reply is out, so Telegram does not
 * send the update again; a failed send is logged, and still answered 200 (a retried update would run the
 * command twice).
 *
 * Who gets answers: the chats in TELEGRAM_CHAT_ID. Any other chat is ignored silently, except `/chatid`,
 * which answers any chat with its own id (rate-limited like every command): once a webhook is set,
 * getUpdates no longer works, so this is how the operator finds the id.
 */
import { timingSafeEqual } from "node:crypto";
import { sendTelegramMessage, sendTelegramPhoto } from "../../../lambda-alerts/src/channels/telegram.ts";
import type { Logger } from "../../../lambda-alerts/src/logger.ts";
import { telegramCaptionHtml } from "../../../lambda-alerts/src/render/telegram.ts";
import { type CommandReply, chatIdReply, usageReply } from "../commands/answers.ts";
import { parseCommandText } from "../commands/parse.ts";
import type { PnlChartInput } from "../commands/pnlSeries.ts";
import { telegramReplyTexts } from "../commands/render.ts";
import type { CommandContext } from "../commands/runCommand.ts";
import { runCommand } from "../commands/runCommand.ts";
import { emptyResponse, type FunctionUrlResult, parseJsonObject, settingsMissResponse } from "../http.ts";
import type { RateLimiter } from "../rateLimit.ts";
import type { TelegramCommandSettings } from "../settings.ts";

export const TELEGRAM_SECRET_HEADER = "x-telegram-bot-api-secret-token";

export interface TelegramWebhookContext {
  settings: TelegramCommandSettings | null;
  rateLimiter: RateLimiter;
  logger: Logger;
  now: () => number;
  /** Epoch ms by which the reply must be out (the function's remaining time, less a margin). */
  deadline: number;
  /** Everything a command needs but the platform (store, accounts, read deadline). */
  command: Omit<CommandContext, "platform" | "now">;
  /** Draws `/pnl`'s chart as a PNG. */
  renderChart: (chart: PnlChartInput) => Promise<Uint8Array>;
  fetch?: typeof fetch;
}

/**
 * Time a chart needs to be worth starting: drawing takes 0.1-0.6 s (the first one loads the WebAssembly
 * module and fonts), the upload of ~80 KB well under a second. With less left, the text goes alone.
 */
export const TELEGRAM_CHART_MIN_MS = 2_000;

/** Constant-time comparison of the header with the configured secret (equal-length buffers only). */
export function secretMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(expected, "utf8");
  // timingSafeEqual throws on different lengths; comparing the expected value with itself keeps the time
  // the same whether or not the length matched.
  const equal = timingSafeEqual(a.length === b.length ? a : b, b);
  return a.length === b.length && equal;
}

export async function handleTelegramUpdate(
  secretHeader: string | undefined,
  raw: Buffer,
  context: TelegramWebhookContext,
): Promise<FunctionUrlResult> {
  const settings = context.settings;
  if (settings === null || !secretMatches(secretHeader, settings.webhookSecret)) {
    return settingsMissResponse(401);
  }
  const update = parseJsonObject(raw);
  if (update === null) return emptyResponse(400);

  const message = update.message as { text?: unknown; chat?: { id?: unknown } } | undefined;
  const chatId = message?.chat?.id;
  if (typeof message?.text !== "string" || (typeof chatId !== "number" && typeof chatId !== "string")) {
    return emptyResponse(200); // not a text message: nothing to answer
  }
  const chat = String(chatId);
  const parsed = parseCommandText(message.text);
  if (!parsed.ok && parsed.usage === null) return emptyResponse(200); // not one of our commands

  const known = settings.chatIds.has(chat);
  const isChatId = parsed.ok && parsed.command.name === "chatid";
  if (!known && !isChatId) {
    context.logger.info({ chat }, "command from a chat not in TELEGRAM_CHAT_ID ignored");
    return settingsMissResponse(200);
  }
  if (!context.rateLimiter.take(`telegram:${chat}`, context.now())) {
    context.logger.warn({ chat }, "command rate limit reached; ignored");
    return emptyResponse(200);
  }

  let reply: CommandReply;
  if (!parsed.ok) reply = usageReply(parsed.usage!);
  else if (parsed.command.name === "chatid") reply = chatIdReply(chat);
  else {
    reply = await runCommand(parsed.command, {
      ...context.command,
      platform: "telegram",
      now: context.now(),
    });
  }
  await sendReply(settings, chat, reply, context);
  return emptyResponse(200);
}

/**
 * Sends the reply's messages, then, for `/pnl`, its chart with `sendPhoto` (the reply's title as caption).
 * The photo comes after the text and only once the text is out: whatever happens to the chart (not drawn,
 * refused, no time left), the figures have been answered.
 */
async function sendReply(
  settings: TelegramCommandSettings,
  chat: string,
  reply: CommandReply,
  context: TelegramWebhookContext,
): Promise<void> {
  const target = { apiUrl: settings.apiUrl, botToken: settings.botToken, chatId: chat };
  const timing = {
    deadline: context.deadline,
    now: context.now,
    attempts: 2,
    requestTimeoutMs: 4_000,
    ...(context.fetch ? { fetch: context.fetch } : {}),
  };
  try {
    for (const html of telegramReplyTexts(reply, context.now())) {
      await sendTelegramMessage(target, html, timing);
    }
  } catch (error) {
    context.logger.warn({ chat, err: errorText(error) }, "command reply not delivered");
    return;
  }
  if (reply.chart === null) return;
  if (context.deadline - context.now() < TELEGRAM_CHART_MIN_MS) {
    context.logger.warn({ chat }, "no time left for the chart; the reply went as text");
    return;
  }
  try {
    const started = Date.now();
    const png = await context.renderChart(reply.chart);
    context.logger.info({ chat, chartMs: Date.now() - started, bytes: png.length }, "chart drawn");
    await sendTelegramPhoto(target, png, telegramCaptionHtml(reply.title), timing);
  } catch (error) {
    context.logger.warn({ chat, err: errorText(error) }, "chart not delivered; the reply went as text");
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
