/**
 * Telegram Bot API `sendMessage` in HTML parse mode. The bot token is part of the URL path
 * (`/bot<token>/sendMessage`), so it is never put in an error or a log line.
 *
 * Rate limits: a 429 body is `{ok:false, error_code:429, parameters:{retry_after:<seconds>}}`.
 */
import { cutAt } from "../render/truncate.ts";
import { type ChannelResponse, type DeliveryTiming, postJson } from "./httpDelivery.ts";

export const TELEGRAM_PUBLIC_API = "https://api.telegram.org";

export interface TelegramTarget {
  apiUrl: string;
  botToken: string;
  chatId: string;
}

export async function sendTelegramMessage(
  target: TelegramTarget,
  html: string,
  timing: DeliveryTiming,
): Promise<ChannelResponse> {
  const base = target.apiUrl.replace(/\/+$/, "");
  return postJson(
    {
      channel: "telegram",
      url: `${base}/bot${target.botToken}/sendMessage`,
      body: {
        chat_id: target.chatId,
        text: html,
        parse_mode: "HTML",
        link_preview_options: { is_disabled: true },
      },
      retryAfterMs: (_response, body) => {
        const seconds = (body as { parameters?: { retry_after?: unknown } } | null)?.parameters?.retry_after;
        return typeof seconds === "number" && Number.isFinite(seconds) ? Math.ceil(seconds * 1000) : null;
      },
      describe: (body) => {
        const description = (body as { description?: unknown } | null)?.description;
        return typeof description === "string" ? `(${cutAt(description, 200)})` : "";
      },
    },
    timing,
  );
}
