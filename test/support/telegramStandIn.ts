/**
 * A loopback Telegram Bot API serving `sendMessage`, with Telegram's answers and checks:
 * - `POST /bot<token>/sendMessage` with a JSON body; a wrong token → 401 `Unauthorized`; an unknown chat →
 *   400 `Bad Request: chat not found`.
 * - `parse_mode` `HTML`: only Telegram's tags (b strong i em u ins s strike del a code pre span.tg-spoiler
 *   tg-spoiler blockquote tg-emoji), properly nested and closed; `&` only as `&lt; &gt; &amp; &quot;` or a
 *   numeric entity; `<` and `>` only as tag delimiters. Errors carry Telegram's wording ("can't parse
 *   entities: Unsupported start tag "x" at byte offset N", …).
 * - `parse_mode` `MarkdownV2` (subset): every reserved character outside an entity must be escaped with
 *   `\`, and `*`, `_`, `__`, `~`, `||`, `` ` `` markers must be closed.
 * - Text length after entity parsing: 1 to 4096 (UTF-16 units); otherwise "message text is empty" or
 *   "message is too long".
 * - `POST /bot<token>/sendPhoto` (core.telegram.org/bots/api#sendphoto) with the picture uploaded as
 *   multipart/form-data (`photo` file part, "InputFile … using multipart/form-data"): at most 10 MB, width
 *   + height at most 10000, ratio at most 20, the caption 0-1024 characters after entity parsing. The
 *   answers' wording for a refused photo is the stand-in's own (Telegram's varies).
 * - 429 on demand: `{ok:false, error_code:429, description:"Too Many Requests: retry after N",
 *   parameters:{retry_after:N}}`.
 * - On demand, the failures a chat can develop: the bot blocked or removed (403), the group upgraded to a
 *   supergroup (400 with `parameters.migrate_to_chat_id`), forum topics (`message_thread_id`), and the
 *   per-chat flood limits (one message a second, twenty a minute in a group) answered with 429.
 * - For the commands webhook: `setWebhook` (core.telegram.org/bots/api#setwebhook: an HTTPS `url`,
 *   `secret_token` of 1-256 characters A-Z a-z 0-9 _ -, `allowed_updates` a list of update types),
 *   `setMyCommands` (core.telegram.org/bots/api#botcommand: command 1-32 characters of lower-case
 *   letters, digits and underscores; description 1-256). Messages and photos may also go to the chats in
 *   `otherChats` (chats the bot is in besides the alert chat).
 */
import { type JsonReply, startLoopbackServer } from "./loopbackHttp.ts";
import { parseMultipart, pngSize } from "./multipart.ts";

/** sendPhoto: "The photo must be at most 10 MB in size" (Bot API). */
export const TELEGRAM_PHOTO_LIMIT_BYTES = 10 * 1024 * 1024;

export interface TelegramPhotoRecord {
  messageId: number;
  chatId: string;
  threadId: number | null;
  /** The caption after entity parsing. */
  caption: string;
  bytes: Uint8Array;
  width: number;
  height: number;
}

export interface TelegramMessageRecord {
  messageId: number;
  chatId: string;
  /** The forum topic it went to (`message_thread_id`), or null. */
  threadId: number | null;
  /** The text as sent (HTML source). */
  source: string;
  /** The text after entity parsing, as the chat shows it. */
  text: string;
  parseMode: string | null;
}

const ALLOWED_TAGS = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "a",
  "code",
  "pre",
  "span",
  "tg-spoiler",
  "blockquote",
  "tg-emoji",
]);

export class TelegramStandIn {
  readonly botToken = "7712345678:AAH-secret-bot-token_abcdefghijklmnopqrstu";
  chatId = "-1001234567890";
  readonly messages: TelegramMessageRecord[] = [];
  readonly photos: TelegramPhotoRecord[] = [];
  /** Chats besides `chatId` that the bot is a member of (a message to any other chat: "chat not found"). */
  readonly otherChats = new Set<string>();
  webhook: { url: string; secretToken: string | null; allowedUpdates: unknown } | null = null;
  commands: { command: string; description: string }[] | null = null;
  readonly rejected: { status: number; description: string }[] = [];
  requests = 0;
  #rateLimits = { count: 0, retryAfterSeconds: 1 };
  #failures = { count: 0, status: 502 };
  #refusal: { status: number; description: string } | null = null;
  /** Old group id → new supergroup id, after `upgradeToSupergroup`. */
  readonly #migrated = new Map<string, string>();
  #topics: Set<number> | null = null;
  #flood: { clock: () => number; perSecond: boolean } | null = null;
  readonly #sentAt = new Map<string, number[]>();
  #close: (() => Promise<void>) | null = null;
  url = "";

  static async start(): Promise<TelegramStandIn> {
    const standIn = new TelegramStandIn();
    const server = await startLoopbackServer((request, body, raw) =>
      standIn.#handle(request.method ?? "", request.url ?? "", body, raw, request.headers["content-type"]),
    );
    standIn.#close = server.close;
    standIn.url = server.url;
    return standIn;
  }

  rateLimitNext(count: number, retryAfterSeconds: number): void {
    this.#rateLimits = { count, retryAfterSeconds };
  }

  failNext(count: number, status = 502): void {
    this.#failures = { count, status };
  }

  /**
   * The bot can no longer post to the chat. Texts as the Bot API gives them: "Forbidden: bot was blocked
   * by the user" (a private chat), "Forbidden: bot was kicked from the supergroup chat" (a group).
   */
  blockBot(description = "Forbidden: bot was blocked by the user"): void {
    this.#refusal = { status: 403, description };
  }

  unblockBot(): void {
    this.#refusal = null;
  }

  /** The group becomes a supergroup with a new id; the old id answers with `migrate_to_chat_id`. */
  upgradeToSupergroup(newChatId: string): void {
    this.#migrated.set(this.chatId, newChatId);
    this.chatId = newChatId;
  }

  /** The chat is a forum: messages may go to one of these topics (`message_thread_id`). */
  enableTopics(threadIds: number[]): void {
    this.#topics = new Set(threadIds);
  }

  /**
   * Per-chat flood limits on the given clock: twenty messages a minute in a group, and with `perSecond`
   * one message a second in any chat (core.telegram.org/bots/faq "My bot is hitting limits": "avoid
   * sending more than one message per second" in a chat, "no more than 20 messages per minute" to a group;
   * beyond that the API answers 429 with `parameters.retry_after`). Off by default: real Telegram tolerates
   * short bursts, and tests that post a few alerts in a row on the wall clock would trip the strict check.
   */
  enforceFloodLimits(clock: () => number, options: { perSecond?: boolean } = {}): void {
    this.#flood = { clock, perSecond: options.perSecond ?? true };
  }

  async close(): Promise<void> {
    await this.#close?.();
  }

  async #handle(
    method: string,
    rawUrl: string,
    body: string,
    raw: Buffer,
    contentType: string | undefined,
  ): Promise<JsonReply> {
    this.requests += 1;
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(new URL(rawUrl, "http://127.0.0.1").pathname);
    if (!match || match[1] !== this.botToken) return this.#error(401, "Unauthorized");
    if (method === "POST" && match[2] === "setWebhook") return this.#setWebhook(body);
    if (method === "POST" && match[2] === "setMyCommands") return this.#setMyCommands(body);
    const photo = match[2] === "sendPhoto";
    if ((match[2] !== "sendMessage" && !photo) || method !== "POST") return this.#error(404, "Not Found");
    if (this.#rateLimits.count > 0) {
      this.#rateLimits.count -= 1;
      const seconds = this.#rateLimits.retryAfterSeconds;
      return {
        status: 429,
        body: {
          ok: false,
          error_code: 429,
          description: `Too Many Requests: retry after ${seconds}`,
          parameters: { retry_after: seconds },
        },
      };
    }
    if (this.#failures.count > 0) {
      this.#failures.count -= 1;
      return this.#error(this.#failures.status, "Bad Gateway");
    }
    if (photo) return this.#sendPhoto(contentType, raw);
    let request: { chat_id?: unknown; text?: unknown; parse_mode?: unknown; message_thread_id?: unknown };
    try {
      request = JSON.parse(body);
    } catch {
      return this.#error(400, "Bad Request: can't parse JSON");
    }
    const chatId = String(request.chat_id);
    const refused = this.#chatRefusal(chatId);
    if (refused) return refused;
    const threadId = request.message_thread_id;
    if (threadId !== undefined) {
      // sendMessage message_thread_id: "Unique identifier for the target message thread (topic) of the
      // forum; for forum supergroups only"; an unknown topic is refused (tdlib/telegram-bot-api#472).
      if (typeof threadId !== "number" || !this.#topics?.has(threadId)) {
        return this.#error(400, "Bad Request: message thread not found");
      }
    }
    if (typeof request.text !== "string") return this.#error(400, "Bad Request: message text is empty");
    // A lone surrogate has no UTF-8 form; Telegram answers this (seen in RITlug/teleirc#332, #425).
    if (!request.text.isWellFormed())
      return this.#error(400, "Bad Request: strings must be encoded in UTF-8");
    const parseMode = typeof request.parse_mode === "string" ? request.parse_mode : null;
    const parsed =
      parseMode === "HTML"
        ? parseTelegramHtml(request.text)
        : parseMode === "MarkdownV2"
          ? parseMarkdownV2(request.text)
          : parseMode === null
            ? { text: request.text }
            : { error: "unsupported parse_mode" };
    if ("error" in parsed) return this.#error(400, `Bad Request: can't parse entities: ${parsed.error}`);
    if (parsed.text.trim().length === 0) return this.#error(400, "Bad Request: message text is empty");
    if (parsed.text.length > 4096) return this.#error(400, "Bad Request: message is too long");
    const flooded = this.#floodWait(chatId);
    if (flooded !== null) {
      // The Bot API's 429: "Too Many Requests: retry after N" with parameters.retry_after (seconds).
      return this.#error(429, `Too Many Requests: retry after ${flooded}`, { retry_after: flooded });
    }
    const record: TelegramMessageRecord = {
      messageId: this.messages.length + this.photos.length + 1,
      chatId,
      threadId: typeof threadId === "number" ? threadId : null,
      source: request.text,
      text: parsed.text,
      parseMode,
    };
    this.messages.push(record);
    return {
      status: 200,
      body: {
        ok: true,
        result: {
          message_id: record.messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(this.chatId), type: "supergroup" },
          text: record.text,
        },
      },
    };
  }

  #setWebhook(body: string) {
    const request = parseObject(body);
    if (request === null) return this.#error(400, "Bad Request: can't parse JSON");
    const url = typeof request.url === "string" ? request.url : "";
    // setWebhook: "HTTPS URL to send updates to"; plain HTTP is refused.
    if (!url.startsWith("https://"))
      return this.#error(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook");
    const secret = request.secret_token;
    if (secret !== undefined && (typeof secret !== "string" || !/^[A-Za-z0-9_-]{1,256}$/.test(secret))) {
      return this.#error(400, "Bad Request: secret token contains unallowed characters");
    }
    this.webhook = {
      url,
      secretToken: typeof secret === "string" ? secret : null,
      allowedUpdates: request.allowed_updates,
    };
    return { status: 200, body: { ok: true, result: true, description: "Webhook was set" } };
  }

  #setMyCommands(body: string) {
    const request = parseObject(body);
    const commands = request?.commands;
    if (!Array.isArray(commands)) return this.#error(400, "Bad Request: can't parse commands JSON object");
    for (const entry of commands as { command?: unknown; description?: unknown }[]) {
      if (typeof entry.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(entry.command)) {
        return this.#error(400, "Bad Request: BOT_COMMAND_INVALID");
      }
      if (
        typeof entry.description !== "string" ||
        entry.description.length < 1 ||
        entry.description.length > 256
      ) {
        return this.#error(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID");
      }
    }
    this.commands = commands as { command: string; description: string }[];
    return { status: 200, body: { ok: true, result: true } };
  }

  /** Seconds to wait before this chat takes another message, or null when it takes one now (and counts it). */
  #floodWait(chatId: string): number | null {
    if (!this.#flood) return null;
    const now = this.#flood.clock();
    const recent = (this.#sentAt.get(chatId) ?? []).filter((at) => at > now - 60_000);
    const last = recent.at(-1);
    if (this.#flood.perSecond && last !== undefined && now - last < 1_000) return 1;
    if (chatId.startsWith("-") && recent.length >= 20)
      return Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000));
    recent.push(now);
    this.#sentAt.set(chatId, recent);
    return null;
  }

  /** What any method sending to `chatId` meets first: a migrated group, an unknown chat, a blocked bot. */
  #chatRefusal(chatId: string): JsonReply | null {
    const movedTo = this.#migrated.get(chatId);
    if (movedTo !== undefined) {
      // core.telegram.org/bots/api#responseparameters: migrate_to_chat_id, "The group has been migrated
      // to a supergroup with the specified identifier"; the description as TwiN/gatus#179 recorded it.
      return this.#error(400, "Bad Request: group chat was upgraded to a supergroup chat", {
        migrate_to_chat_id: Number(movedTo),
      });
    }
    if (chatId !== this.chatId && !this.otherChats.has(chatId)) {
      return this.#error(400, "Bad Request: chat not found");
    }
    if (this.#refusal) return this.#error(this.#refusal.status, this.#refusal.description);
    return null;
  }

  async #sendPhoto(contentType: string | undefined, raw: Buffer): Promise<JsonReply> {
    if (raw.length > TELEGRAM_PHOTO_LIMIT_BYTES + 64 * 1024) {
      return this.#error(400, "Bad Request: file is too big");
    }
    const parsed = await parseMultipart(contentType, raw);
    if ("error" in parsed) return this.#error(400, `Bad Request: ${parsed.error}`);
    const field = (name: string) => parsed.parts.find((part) => part.name === name);
    const chatId = field("chat_id")?.text ?? "";
    const refused = this.#chatRefusal(chatId);
    if (refused) return refused;
    const thread = field("message_thread_id")?.text;
    if (thread !== undefined && thread !== null && !this.#topics?.has(Number(thread))) {
      return this.#error(400, "Bad Request: message thread not found");
    }
    const file = field("photo");
    if (!file?.bytes || !file.filename)
      return this.#error(400, "Bad Request: there is no photo in the request");
    if (file.bytes.length > TELEGRAM_PHOTO_LIMIT_BYTES)
      return this.#error(400, "Bad Request: file is too big");
    const size = pngSize(file.bytes);
    if (!size) return this.#error(400, "Bad Request: IMAGE_PROCESS_FAILED");
    // sendPhoto: "width and height must not exceed 10000 in total. Width and height ratio must be at most 20."
    const ratio = Math.max(size.width, size.height) / Math.max(1, Math.min(size.width, size.height));
    if (size.width + size.height > 10_000 || ratio > 20) {
      return this.#error(400, "Bad Request: PHOTO_INVALID_DIMENSIONS");
    }
    const captionSource = field("caption")?.text ?? "";
    const parseMode = field("parse_mode")?.text ?? null;
    const caption = parseMode === "HTML" ? parseTelegramHtml(captionSource) : { text: captionSource };
    if ("error" in caption) return this.#error(400, `Bad Request: can't parse entities: ${caption.error}`);
    // sendPhoto caption: "0-1024 characters after entities parsing".
    if (caption.text.length > 1024) return this.#error(400, "Bad Request: message caption is too long");
    const flooded = this.#floodWait(chatId);
    if (flooded !== null) {
      return this.#error(429, `Too Many Requests: retry after ${flooded}`, { retry_after: flooded });
    }
    const record: TelegramPhotoRecord = {
      messageId: this.messages.length + this.photos.length + 1,
      chatId,
      threadId: thread ? Number(thread) : null,
      caption: caption.text,
      bytes: file.bytes,
      ...size,
    };
    this.photos.push(record);
    return {
      status: 200,
      body: {
        ok: true,
        result: {
          message_id: record.messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(chatId), type: "supergroup" },
          photo: [{ file_id: `photo-${record.messageId}`, width: size.width, height: size.height }],
          caption: caption.text,
        },
      },
    };
  }

  #error(status: number, description: string, parameters?: Record<string, unknown>) {
    this.rejected.push({ status, description });
    return {
      status,
      body: { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) },
    };
  }
}

function parseObject(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const byteOffset = (source: string, index: number) => Buffer.byteLength(source.slice(0, index), "utf8");

/** Telegram's HTML subset → visible text, or the error Telegram would give. */
export function parseTelegramHtml(source: string): { text: string } | { error: string } {
  const stack: string[] = [];
  let text = "";
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === "<") {
      const end = source.indexOf(">", i);
      if (end < 0) return { error: `Unclosed start tag at byte offset ${byteOffset(source, i)}` };
      const inner = source.slice(i + 1, end);
      if (inner.startsWith("/")) {
        const name = inner.slice(1).trim().toLowerCase();
        const open = stack.pop();
        if (open === undefined)
          return { error: `Unexpected end tag at byte offset ${byteOffset(source, i)}` };
        if (open !== name) {
          return {
            error: `Unmatched end tag at byte offset ${byteOffset(source, i)}, expected "</${open}>", found "</${name}>"`,
          };
        }
      } else {
        const tag = /^([a-z-]+)(\s+[a-z-]+="[^"<>]*")*\s*$/i.exec(inner);
        const name = tag?.[1]?.toLowerCase();
        if (!tag || !name || !ALLOWED_TAGS.has(name)) {
          return {
            error: `Unsupported start tag "${inner.split(/\s/)[0]}" at byte offset ${byteOffset(source, i)}`,
          };
        }
        if (name === "a" && !/\shref="[^"]+"/.test(inner))
          return { error: `Can't find href in tag at byte offset ${byteOffset(source, i)}` };
        stack.push(name);
      }
      i = end + 1;
      continue;
    }
    if (ch === ">") return { error: `Unexpected character '>' at byte offset ${byteOffset(source, i)}` };
    if (ch === "&") {
      const entity = /^&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});/.exec(source.slice(i));
      if (!entity) return { error: `Unsupported HTML entity at byte offset ${byteOffset(source, i)}` };
      const name = entity[1]!;
      text +=
        name === "lt"
          ? "<"
          : name === "gt"
            ? ">"
            : name === "amp"
              ? "&"
              : name === "quot"
                ? '"'
                : String.fromCodePoint(
                    name.startsWith("#x")
                      ? Number.parseInt(name.slice(2), 16)
                      : Number.parseInt(name.slice(1), 10),
                  );
      i += entity[0].length;
      continue;
    }
    text += ch;
    i += 1;
  }
  if (stack.length > 0)
    return { error: `Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"` };
  return { text };
}

const MARKDOWN_RESERVED = "_*[]()~`>#+-=|{}.!";

/** MarkdownV2 subset: escapes and paired markers (no links or pre blocks). */
export function parseMarkdownV2(source: string): { text: string } | { error: string } {
  let text = "";
  const open: { marker: string; at: number }[] = [];
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === "\\") {
      const next = source[i + 1];
      if (next === undefined)
        return { error: `Character '\\' is reserved and must be escaped with the preceding '\\'` };
      text += next;
      i += 1;
      continue;
    }
    const marker =
      ch === "_" && source[i + 1] === "_" ? "__" : ch === "|" && source[i + 1] === "|" ? "||" : ch;
    if (["*", "_", "__", "~", "||", "`"].includes(marker)) {
      if (open.at(-1)?.marker === marker) open.pop();
      else open.push({ marker, at: i });
      i += marker.length - 1;
      continue;
    }
    if (MARKDOWN_RESERVED.includes(ch)) {
      return { error: `Character '${ch}' is reserved and must be escaped with the preceding '\\'` };
    }
    text += ch;
  }
  const unclosed = open.at(-1);
  if (unclosed)
    return {
      error: `Can't find end of the entity starting at byte offset ${byteOffset(source, unclosed.at)}`,
    };
  return { text };
}
