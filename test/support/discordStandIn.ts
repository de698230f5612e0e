/**
 * A loopback Discord webhook endpoint that speaks Discord's wire format and enforces its documented
 * limits, so a payload Discord would refuse fails the test instead of being silently accepted.
 *
 * Implemented: `POST /api/webhooks/{id}/{token}` (`?wait=true` → 200 with a message object, else 204);
 * unknown webhook → 404 `{code: 10015, message: "Unknown Webhook"}`; invalid body → 400
 * `{code: 50035, message: "Invalid Form Body", errors}`; empty message → 400 code 50006; and 429 on demand
 * with `retry_after` (seconds, float) in the body and `Retry-After` / `X-RateLimit-*` headers.
 * On demand: the webhook deleted (from then on 404 code 10015), and the webhook's channel a forum
 * (`thread_id` required, and it must name one of the forum's posts).
 * Files (discord.com/developers/docs/reference#uploading-files): multipart/form-data with the JSON in
 * `payload_json` and each file in `files[n]`, described in `attachments` by id n; an embed may show one as
 * `attachment://<filename>`. At most 10 MiB per request (the default upload limit there); over it, 413
 * `{code: 40005, message: "Request entity too large"}` as Discord answers a webhook
 * (discord/discord-api-docs#6058). Pictures sent as `.png` must be PNGs (signature checked).
 * Limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits), counted in
 * code points as Discord counts them: content 2000, 10 embeds, title 256, description 4096, 25 fields,
 * field name 256 and value 1024 (both required, non-empty), footer 2048, author 256, 6000 in total.
 * Application commands: `PUT /api/v10/applications/{application.id}/commands` with `Authorization: Bot
 * <token>` replaces the global commands (interactions/application-commands#bulk-overwrite-global-application-commands);
 * a wrong token → 401 `{message: "401: Unauthorized", code: 0}`; names 1-32 lower-case characters,
 * descriptions 1-100 (…#application-command-object-application-command-naming), at most 100 commands.
 * Interaction responses: `POST /api/v10/interactions/{interaction.id}/{interaction.token}/callback`
 * (interactions/receiving-and-responding#create-interaction-response), JSON or multipart like a webhook,
 * for the interactions `openInteraction` made answerable; the behaviours, each with its source, are at
 * `#interactionCallback`.
 */
import { type JsonReply, startLoopbackServer } from "./loopbackHttp.ts";
import { isPng, parseMultipart } from "./multipart.ts";

/** Discord's default upload limit per request (reference#uploading-files). */
export const DISCORD_UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024;

export interface DiscordAttachmentRecord {
  field: string;
  filename: string;
  contentType: string | null;
  bytes: Uint8Array;
}

export interface DiscordEmbedRecord {
  title?: string;
  description?: string;
  url?: string;
  color?: number;
  timestamp?: string;
  fields?: { name: string; value: string; inline?: boolean }[];
  footer?: { text: string };
  author?: { name: string };
  image?: { url: string };
}

export interface DiscordMessageRecord {
  id: string;
  /** The thread (`thread_id` query parameter) it was posted in, or null. */
  threadId: string | null;
  content?: string;
  username?: string;
  embeds: DiscordEmbedRecord[];
  allowed_mentions?: unknown;
  /** Files uploaded with the message (multipart), in `files[n]` order. */
  files?: DiscordAttachmentRecord[];
  attachments?: { id: number | string; filename?: string }[];
}

/** One answer through the interaction callback endpoint. */
export interface DiscordInteractionResponseRecord {
  interactionId: string;
  /** The interaction callback type (4 = CHANNEL_MESSAGE_WITH_SOURCE, 5 = deferred). */
  type: number;
  /** The message, with the files uploaded with it (multipart), in `files[n]` order. */
  data: Omit<DiscordMessageRecord, "id" | "threadId"> & { flags?: number };
}

/** …/receiving-and-responding#interaction-response-object-interaction-callback-type: a message, or deferred. */
const MESSAGE_CALLBACK_TYPES = new Set([4, 5]);
/**
 * …#interaction-response-object-messages: "only SUPPRESS_EMBEDS, EPHEMERAL, IS_COMPONENTS_V2,
 * IS_VOICE_MESSAGE, and SUPPRESS_NOTIFICATIONS can be set" (resources/message#message-object-message-flags).
 */
const CALLBACK_FLAGS = (1 << 2) | (1 << 6) | (1 << 15) | (1 << 13) | (1 << 12);
/** "you must send an initial response within 3 seconds … the token will be invalidated" (same page). */
export const INTERACTION_RESPONSE_WINDOW_MS = 3_000;

const codePoints = (value: string) => [...value].length;

export class DiscordStandIn {
  readonly webhookId = "1234567890123456789";
  readonly webhookToken = "Xq7-secret-webhook-token_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
  readonly messages: DiscordMessageRecord[] = [];
  readonly rejected: { status: number; body: unknown }[] = [];
  requests = 0;
  readonly applicationId = "1187654321098765432";
  readonly botToken = "MTE4NzY1NDMyMTA5ODc2NTQzMg.Gx-secret-bot-token_abcdefghijklmnop";
  /** The global commands last registered, or null. */
  applicationCommands: { name: string; description: string; options?: unknown[] }[] | null = null;
  /** Answers received through the interaction callback endpoint, accepted ones only. */
  readonly interactionResponses: DiscordInteractionResponseRecord[] = [];
  readonly #interactions = new Map<string, { token: string; openedAt: number; acknowledged: boolean }>();
  #clock: () => number = Date.now;
  #rateLimits: { count: number; retryAfterSeconds: number; headerOnly: boolean } = {
    count: 0,
    retryAfterSeconds: 0,
    headerOnly: false,
  };
  #failures: { count: number; status: number } = { count: 0, status: 500 };
  #deleted = false;
  #forumThreads: Set<string> | null = null;
  #close: (() => Promise<void>) | null = null;
  #url = "";

  static async start(): Promise<DiscordStandIn> {
    const standIn = new DiscordStandIn();
    const server = await startLoopbackServer((request, body, raw) => {
      if (request.url?.startsWith("/api/v10/applications/"))
        return standIn.#applicationCommands(
          request.method ?? "",
          request.url,
          request.headers.authorization,
          body,
        );
      if (request.url?.startsWith("/api/v10/interactions/"))
        return standIn.#interactionCallback(
          request.method ?? "",
          request.url,
          request.headers["content-type"],
          body,
          raw,
        );
      return standIn.#handle(
        request.method ?? "",
        request.url ?? "",
        request.headers["content-type"],
        body,
        raw,
      );
    });
    standIn.#close = server.close;
    standIn.#url = server.url;
    return standIn;
  }

  get webhookUrl(): string {
    return `${this.#url}/api/webhooks/${this.webhookId}/${this.webhookToken}`;
  }

  /** The next `count` requests get 429 with this wait (body and headers, or headers only). */
  rateLimitNext(count: number, retryAfterSeconds: number, options: { headerOnly?: boolean } = {}): void {
    this.#rateLimits = { count, retryAfterSeconds, headerOnly: options.headerOnly ?? false };
  }

  failNext(count: number, status = 500): void {
    this.#failures = { count, status };
  }

  /** The webhook is deleted (in Discord's settings, or its channel is). */
  deleteWebhook(): void {
    this.#deleted = true;
  }

  /** The webhook's channel is a forum with these posts (threads). */
  makeForum(threadIds: string[]): void {
    this.#forumThreads = new Set(threadIds);
  }

  async close(): Promise<void> {
    await this.#close?.();
  }

  /**
   * Discord sends an interaction (to the app's endpoint): from now, its id and token may be answered
   * through the callback endpoint, once, within INTERACTION_RESPONSE_WINDOW_MS on `clock`.
   */
  openInteraction(
    interaction: { id?: string; token?: string } = {},
    clock: () => number = this.#clock,
  ): { id: string; token: string } {
    this.#clock = clock;
    const id = interaction.id ?? String(1_200_000_000_000_000_000n + BigInt(this.#interactions.size));
    const token = interaction.token ?? `aW50ZXJhY3Rpb246${id}:secret-interaction-token_AbCdEf`;
    this.#interactions.set(id, { token, openedAt: clock(), acknowledged: false });
    return { id, token };
  }

  get apiUrl(): string {
    return `${this.#url}/api/v10`;
  }

  #applicationCommands(method: string, rawUrl: string, authorization: string | undefined, body: string) {
    this.requests += 1;
    const match = /^\/api\/v10\/applications\/(\d+)\/commands$/.exec(
      new URL(rawUrl, "http://127.0.0.1").pathname,
    );
    if (authorization !== `Bot ${this.botToken}`)
      return this.#reject(401, { message: "401: Unauthorized", code: 0 });
    if (!match || method !== "PUT")
      return { status: 405, body: { message: "405: Method Not Allowed", code: 0 } };
    if (match[1] !== this.applicationId)
      return this.#reject(404, { message: "Unknown Application", code: 10002 });
    let commands: unknown;
    try {
      commands = JSON.parse(body);
    } catch {
      return this.#reject(400, { code: 50109, message: "The request body contains invalid JSON." });
    }
    if (!Array.isArray(commands) || commands.length > 100) {
      return this.#reject(400, { code: 50035, message: "Invalid Form Body" });
    }
    for (const command of commands as { name?: unknown; description?: unknown }[]) {
      const nameOk = typeof command.name === "string" && /^[-_\p{Ll}\p{N}]{1,32}$/u.test(command.name);
      const descriptionOk =
        typeof command.description === "string" &&
        command.description.length >= 1 &&
        command.description.length <= 100;
      if (!nameOk || !descriptionOk) return this.#reject(400, { code: 50035, message: "Invalid Form Body" });
    }
    this.applicationCommands = commands as { name: string; description: string }[];
    return { status: 200, body: commands };
  }

  async #handle(
    method: string,
    rawUrl: string,
    contentType: string | undefined,
    body: string,
    raw: Buffer,
  ): Promise<JsonReply> {
    this.requests += 1;
    const url = new URL(rawUrl, "http://127.0.0.1");
    const match = /^\/api\/webhooks\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (method !== "POST" || !match)
      return { status: 405, body: { message: "405: Method Not Allowed", code: 0 } };
    // topics/opcodes-and-status-codes: JSON error code 10015 "Unknown webhook"; a deleted webhook answers
    // so for good (resources/webhook).
    if (match[1] !== this.webhookId || match[2] !== this.webhookToken || this.#deleted) {
      return this.#reject(404, { message: "Unknown Webhook", code: 10015 });
    }
    const threadId = url.searchParams.get("thread_id");
    if (this.#forumThreads) {
      // resources/webhook "Execute Webhook": "If the webhook channel is a forum or media channel, you must
      // provide either thread_id in the query string params, or thread_name in the JSON/form params".
      // Code 220001 with this text as Discord answers it (louislam/uptime-kuma#4096).
      if (threadId === null) {
        return this.#reject(400, {
          message: "Webhooks posted to forum channels must have a thread_name or thread_id",
          code: 220001,
        });
      }
      // topics/opcodes-and-status-codes: 10003 Unknown Channel (a thread is a channel).
      if (!this.#forumThreads.has(threadId))
        return this.#reject(404, { message: "Unknown Channel", code: 10003 });
    } else if (threadId !== null) {
      return this.#reject(404, { message: "Unknown Channel", code: 10003 });
    }
    if (this.#rateLimits.count > 0) {
      this.#rateLimits.count -= 1;
      const seconds = this.#rateLimits.retryAfterSeconds;
      return {
        status: 429,
        headers: {
          "retry-after": String(Math.ceil(seconds)),
          "x-ratelimit-limit": "5",
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset-after": String(seconds),
          "x-ratelimit-scope": "user",
        },
        body: this.#rateLimits.headerOnly
          ? { message: "You are being rate limited.", global: false }
          : { message: "You are being rate limited.", retry_after: seconds, global: false },
      };
    }
    if (this.#failures.count > 0) {
      this.#failures.count -= 1;
      return { status: this.#failures.status, body: { message: "500: Internal Server Error", code: 0 } };
    }
    const body_ = await this.#readBody(contentType, body, raw);
    if ("reply" in body_) return body_.reply;
    const { files } = body_;
    const payload = body_.json as DiscordMessageRecord;
    const refused = this.#refuseMessage(payload, files);
    if (refused) return refused;
    const message = {
      ...payload,
      embeds: payload.embeds ?? [],
      ...(files.length > 0 ? { files } : {}),
      threadId,
      id: String(1_100_000_000_000_000_000n + BigInt(this.messages.length)),
    };
    this.messages.push(message);
    return url.searchParams.get("wait") === "true"
      ? {
          status: 200,
          body: {
            id: message.id,
            type: 0,
            content: payload.content ?? "",
            embeds: message.embeds,
            webhook_id: this.webhookId,
          },
        }
      : { status: 204 };
  }

  /**
   * `POST /api/v10/interactions/{id}/{token}/callback` (interactions/receiving-and-responding#create-interaction-response).
   */
  async #interactionCallback(
    method: string,
    rawUrl: string,
    contentType: string | undefined,
    body: string,
    raw: Buffer,
  ): Promise<JsonReply> {
    this.requests += 1;
    const url = new URL(rawUrl, "http://127.0.0.1");
    const match = /^\/api\/v10\/interactions\/([^/]+)\/([^/]+)\/callback$/.exec(url.pathname);
    if (method !== "POST" || !match)
      return { status: 405, body: { message: "405: Method Not Allowed", code: 0 } };
    const interaction = this.#interactions.get(decodeURIComponent(match[1]!));
    // topics/opcodes-and-status-codes, JSON error codes: 10062 "Unknown interaction"; a token past the 3 s
    // for the initial response "will be invalidated" (receiving-and-responding#interaction-callback).
    if (
      !interaction ||
      interaction.token !== decodeURIComponent(match[2]!) ||
      this.#clock() - interaction.openedAt > INTERACTION_RESPONSE_WINDOW_MS
    ) {
      return this.#reject(404, { message: "Unknown interaction", code: 10062 });
    }
    // topics/opcodes-and-status-codes, JSON error codes: 40060 "Interaction has already been acknowledged".
    if (interaction.acknowledged) {
      return this.#reject(400, { message: "Interaction has already been acknowledged", code: 40060 });
    }
    // The same server errors on demand as the webhook (`failNext`).
    if (this.#failures.count > 0) {
      this.#failures.count -= 1;
      return { status: this.#failures.status, body: { message: "500: Internal Server Error", code: 0 } };
    }
    // "This endpoint also supports file attachments similar to the webhook endpoints" (same section):
    // JSON, or multipart with the interaction response in `payload_json` and the files in `files[n]`.
    const read = await this.#readBody(contentType, body, raw);
    if ("reply" in read) return read.reply;
    const response = read.json as { type?: unknown; data?: DiscordInteractionResponseRecord["data"] };
    // …#interaction-response-object: `type` is a callback type; a command is answered with a message (4)
    // or deferred (5). (Discord's wording of this refusal is not documented; 50035 "Invalid form body".)
    if (typeof response?.type !== "number" || !MESSAGE_CALLBACK_TYPES.has(response.type)) {
      return this.#reject(400, {
        code: 50035,
        message: "Invalid Form Body",
        errors: { type: "not a message response" },
      });
    }
    const data = response.data ?? { embeds: [] };
    const flags = data.flags ?? 0;
    if (!Number.isInteger(flags) || (flags & ~CALLBACK_FLAGS) !== 0) {
      return this.#reject(400, {
        code: 50035,
        message: "Invalid Form Body",
        errors: { "data.flags": "not allowed" },
      });
    }
    // reference#uploading-files: `attachments` goes "in payload_json (or Callback Data Payloads)", so
    // a callback's files are described in `data.attachments`; the message limits are a message's.
    const refused =
      response.type === 4 ? this.#refuseMessage(data as DiscordMessageRecord, read.files) : null;
    if (refused) return refused;
    interaction.acknowledged = true;
    this.interactionResponses.push({
      interactionId: match[1]!,
      type: response.type,
      data: { ...data, embeds: data.embeds ?? [], ...(read.files.length > 0 ? { files: read.files } : {}) },
    });
    // create-interaction-response: "Returns 204 unless with_response is set to true which returns 200
    // with the body as interaction callback response".
    if (url.searchParams.get("with_response") !== "true") return { status: 204 };
    return {
      status: 200,
      body: {
        interaction: {
          id: match[1],
          type: 2,
          response_message_id: String(1_100_000_000_000_000_000n + BigInt(this.interactionResponses.length)),
          response_message_loading: response.type === 5,
          response_message_ephemeral: (flags & (1 << 6)) !== 0,
        },
      },
    };
  }

  /** The JSON body, or from a multipart body `payload_json` and the files (reference#uploading-files). */
  async #readBody(
    contentType: string | undefined,
    body: string,
    raw: Buffer,
  ): Promise<{ json: unknown; files: DiscordAttachmentRecord[] } | { reply: JsonReply }> {
    let files: DiscordAttachmentRecord[] = [];
    let json = body;
    if (contentType?.startsWith("multipart/form-data")) {
      const upload = await this.#readUpload(contentType, raw);
      if ("reply" in upload) return upload;
      files = upload.files;
      json = upload.json;
    } else if (!contentType?.startsWith("application/json")) {
      // topics/opcodes-and-status-codes: 50035 "Invalid form body … or invalid Content-Type provided".
      return {
        reply: this.#reject(400, {
          code: 50035,
          message: "Invalid Form Body",
          errors: { _errors: ["content-type"] },
        }),
      };
    }
    try {
      return { json: JSON.parse(json), files };
    } catch {
      // topics/opcodes-and-status-codes: 50109 "The request body contains invalid JSON."
      return {
        reply: this.#reject(400, { code: 50109, message: "The request body contains invalid JSON." }),
      };
    }
  }

  /** The refusal Discord would give this message and its files, or null when it takes them. */
  #refuseMessage(payload: DiscordMessageRecord, files: DiscordAttachmentRecord[]): JsonReply | null {
    // reference#uploading-files: each `files[n]` is described in `attachments` by `id: n`, and an embed
    // refers to it as `attachment://<filename>`.
    const fileErrors = attachmentErrors(payload, files);
    if (fileErrors.length > 0) {
      return this.#reject(400, { code: 50035, message: "Invalid Form Body", errors: fileErrors });
    }
    // Discord stores text as UTF-8, where an unpaired surrogate is not representable, and refuses it
    // (discord/discord-api-docs#6561: "these aren't valid unicode strings"; the expected answer is a 400).
    const malformed = malformedStrings(payload, "");
    if (malformed.length > 0) {
      return this.#reject(400, {
        code: 50035,
        message: "Invalid Form Body",
        errors: Object.fromEntries(malformed.map((path) => [path, "not a valid unicode string"])),
      });
    }
    const errors = validateDiscordPayload(payload);
    if (errors.length > 0) return this.#reject(400, { code: 50035, message: "Invalid Form Body", errors });
    // topics/opcodes-and-status-codes: 50006 "Cannot send an empty message".
    if (!payload.content && (payload.embeds ?? []).length === 0) {
      return this.#reject(400, { code: 50006, message: "Cannot send an empty message" });
    }
    return null;
  }

  async #readUpload(
    contentType: string,
    raw: Buffer,
  ): Promise<{ json: string; files: DiscordAttachmentRecord[] } | { reply: JsonReply }> {
    if (raw.length > DISCORD_UPLOAD_LIMIT_BYTES) {
      return { reply: this.#reject(413, { code: 40005, message: "Request entity too large" }) };
    }
    const parsed = await parseMultipart(contentType, raw);
    const invalid = (errors: unknown) => ({
      reply: this.#reject(400, { code: 50035, message: "Invalid Form Body", errors }),
    });
    if ("error" in parsed) return invalid({ _errors: [parsed.error] });
    const json = parsed.parts.find((part) => part.name === "payload_json")?.text;
    if (json === undefined || json === null) return invalid({ payload_json: "required with files" });
    const files: DiscordAttachmentRecord[] = [];
    for (const part of parsed.parts) {
      if (part.name === "payload_json") continue;
      if (!/^files\[\d+\]$/.test(part.name) || part.bytes === null || !part.filename) {
        return invalid({ [part.name]: "unexpected form field" });
      }
      if (part.filename.toLowerCase().endsWith(".png") && !isPng(part.bytes)) {
        return invalid({ [part.name]: "not a PNG" });
      }
      files.push({
        field: part.name,
        filename: part.filename,
        contentType: part.contentType,
        bytes: part.bytes,
      });
    }
    return { json, files };
  }

  #reject(status: number, body: unknown) {
    this.rejected.push({ status, body });
    return { status, body };
  }
}

/** `attachments` must describe each uploaded file, and `attachment://` images must name one. */
function attachmentErrors(payload: DiscordMessageRecord, files: DiscordAttachmentRecord[]): string[] {
  const errors: string[] = [];
  const names = new Set(files.map((file) => file.filename));
  for (const file of files) {
    const id = Number(/\d+/.exec(file.field)![0]);
    if (!(payload.attachments ?? []).some((attachment) => Number(attachment.id) === id)) {
      errors.push(`attachments: no entry for ${file.field}`);
    }
  }
  for (const [i, embed] of (payload.embeds ?? []).entries()) {
    const url = embed.image?.url;
    if (url?.startsWith("attachment://") && !names.has(url.slice("attachment://".length))) {
      errors.push(`embeds.${i}.image.url: no uploaded file ${url}`);
    }
  }
  return errors;
}

/** Paths of the strings in `value` that are not well-formed UTF-16 (a lone surrogate). */
export function malformedStrings(value: unknown, path: string): string[] {
  if (typeof value === "string") return value.isWellFormed() ? [] : [path || "(root)"];
  if (Array.isArray(value)) return value.flatMap((item, i) => malformedStrings(item, `${path}.${i}`));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) =>
      malformedStrings(item, path ? `${path}.${key}` : key),
    );
  }
  return [];
}

/** Every limit breach as `path: reason` (empty when Discord would accept the payload). */
export function validateDiscordPayload(payload: Omit<DiscordMessageRecord, "id" | "threadId">): string[] {
  const errors: string[] = [];
  const max = (path: string, value: string | undefined, limit: number) => {
    if (value !== undefined && codePoints(value) > limit) errors.push(`${path}: longer than ${limit}`);
  };
  if (typeof payload !== "object" || payload === null) return ["body: not an object"];
  max("content", payload.content, 2000);
  max("username", payload.username, 80);
  const embeds = payload.embeds ?? [];
  if (!Array.isArray(embeds)) return ["embeds: not an array"];
  if (embeds.length > 10) errors.push("embeds: more than 10");
  let total = 0;
  embeds.forEach((embed, i) => {
    max(`embeds.${i}.title`, embed.title, 256);
    max(`embeds.${i}.description`, embed.description, 4096);
    max(`embeds.${i}.footer.text`, embed.footer?.text, 2048);
    max(`embeds.${i}.author.name`, embed.author?.name, 256);
    if (embed.url !== undefined && !/^https?:\/\/\S+$/.test(embed.url))
      errors.push(`embeds.${i}.url: not a URL`);
    if (
      embed.color !== undefined &&
      !(Number.isInteger(embed.color) && embed.color >= 0 && embed.color <= 0xffffff)
    ) {
      errors.push(`embeds.${i}.color: not a colour`);
    }
    if (embed.timestamp !== undefined && Number.isNaN(Date.parse(embed.timestamp))) {
      errors.push(`embeds.${i}.timestamp: not ISO8601`);
    }
    const fields = embed.fields ?? [];
    if (fields.length > 25) errors.push(`embeds.${i}.fields: more than 25`);
    fields.forEach((field, j) => {
      if (typeof field.name !== "string" || field.name.trim() === "")
        errors.push(`embeds.${i}.fields.${j}.name: required`);
      if (typeof field.value !== "string" || field.value.trim() === "")
        errors.push(`embeds.${i}.fields.${j}.value: required`);
      max(`embeds.${i}.fields.${j}.name`, field.name, 256);
      max(`embeds.${i}.fields.${j}.value`, field.value, 1024);
      total += codePoints(field.name ?? "") + codePoints(field.value ?? "");
    });
    total += codePoints(embed.title ?? "") + codePoints(embed.description ?? "");
    total += codePoints(embed.footer?.text ?? "") + codePoints(embed.author?.name ?? "");
  });
  if (total > 6000) errors.push(`embeds: ${total} characters in total, more than 6000`);
  return errors;
}
