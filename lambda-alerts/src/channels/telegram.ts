/**
 * Telegram Bot API `sendMessage` in HTML parse mode. The bot token is part of the URL path
 * (`/bot<token>/sendMessage`), so it is never put in an error or a log line.
 *
 * Rate limits: a 429 body is `{ok:false, error_code:429, parameters:{retry_after:<seconds>}}`.
 * A group upgraded to a supergroup gets a new id: the old one answers 400 with
 * `parameters.migrate_to_chat_id` (core.telegram.org/bots/api#responseparameters), and the message is
 * sent again to the new id, which the caller remembers and logs so the operator can update the secret.
 */
import { cutAt } from "../render/truncate.ts";
import { ChannelError } from "./channelError.ts";
import { type ChannelResponse, type DeliveryTiming, postJson } from "./httpDelivery.ts";

export const TELEGRAM_PUBLIC_API = "https://api.telegram.org";

export interface TelegramTarget {
  apiUrl: string;
  botToken: string;
  chatId: string;
  /** A forum topic of the chat (`message_thread_id`); null posts to the chat itself (or its General topic). */
  threadId?: string | null;
}

export interface TelegramSendResult extends ChannelResponse {
  /** Set when the chat turned out to have moved (group → supergroup): the id the message went to. */
  migratedTo: string | null;
}

export async function sendTelegramMessage(
  target: TelegramTarget,
  html: string,
  timing: DeliveryTiming,
): Promise<TelegramSendResult> {
  try {
    return { ...(await send(target, target.chatId, html, timing)), migratedTo: null };
  } catch (error) {
    const migrateTo =
      error instanceof ChannelError && error.status === 400 ? migrateToChatId(error.answer) : null;
    if (migrateTo === null || migrateTo === target.chatId) throw error;
    return { ...(await send(target, migrateTo, html, timing)), migratedTo: migrateTo };
  }
}

/** Telegram's caption limit for `sendPhoto`: 0-1024 characters after entities parsing (Bot API). */
export const TELEGRAM_CAPTION_LIMIT = 1_024;

/**
 * `sendPhoto` with the PNG uploaded as multipart/form-data (core.telegram.org/bots/api#sendphoto: `photo`
 * as "InputFile … uploaded using multipart/form-data", at most 10 MB; `caption` 0-1024 characters).
 */
export async function sendTelegramPhoto(
  target: TelegramTarget,
  png: Uint8Array,
  captionHtml: string,
  timing: DeliveryTiming,
): Promise<TelegramSendResult> {
  const photo = (chatId: string) => send(target, chatId, null, timing, { png, captionHtml });
  try {
    return { ...(await photo(target.chatId)), migratedTo: null };
  } catch (error) {
    const migrateTo =
      error instanceof ChannelError && error.status === 400 ? migrateToChatId(error.answer) : null;
    if (migrateTo === null || migrateTo === target.chatId) throw error;
    return { ...(await photo(migrateTo)), migratedTo: migrateTo };
  }
}

async function send(
  target: TelegramTarget,
  chatId: string,
  html: string | null,
  timing: DeliveryTiming,
  photo: { png: Uint8Array; captionHtml: string } | null = null,
): Promise<ChannelResponse> {
  const base = target.apiUrl.replace(/\/+$/, "");
  const thread = target.threadId ? { message_thread_id: Number(target.threadId) } : {};
  return postJson(
    {
      channel: "telegram",
      url: `${base}/bot${target.botToken}/${photo ? "sendPhoto" : "sendMessage"}`,
      body: {
        chat_id: chatId,
        ...thread,
        text: html,
        parse_mode: "HTML",
        link_preview_options: { is_disabled: true },
      },
      ...(photo
        ? {
            form: () => {
              const form = new FormData();
              form.set("chat_id", chatId);
              if (target.threadId) form.set("message_thread_id", target.threadId);
              form.set("caption", photo.captionHtml);
              form.set("parse_mode", "HTML");
              form.set(
                "photo",
                new Blob([photo.png as Uint8Array<ArrayBuffer>], { type: "image/png" }),
                "pnl.png",
              );
              return form;
            },
          }
        : {}),
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

/** `parameters.migrate_to_chat_id` of an error answer, as a chat id string (null when absent). */
export function migrateToChatId(answer: unknown): string | null {
  const id = (answer as { parameters?: { migrate_to_chat_id?: unknown } } | null)?.parameters
    ?.migrate_to_chat_id;
  return typeof id === "number" && Number.isSafeInteger(id) ? String(id) : null;
}
