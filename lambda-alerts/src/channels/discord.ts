/**
 * Discord "Execute Webhook": POST the payload to the webhook URL with `?wait=true`, so success is a
 * 200 with the created message (proof it was posted) rather than an empty 204.
 *
 * Threads and forum channels: `thread_id` in the query string posts into that thread; a webhook of a forum
 * channel must have one (discord.com/developers/docs/resources/webhook#execute-webhook).
 *
 * Also "Create Interaction Response" (`POST /interactions/{id}/{token}/callback`), for the commands
 * Lambda's replies that carry a file: the interaction's token in the path is its authorisation, and the
 * endpoint "supports file attachments similar to the webhook endpoints"
 * (discord.com/developers/docs/interactions/receiving-and-responding#create-interaction-response).
 *
 * Rate limits: a 429 carries `retry_after` in seconds (a float) in the JSON body, and `Retry-After` in
 * seconds as a header; the body is preferred because it is more precise.
 */
import type { DiscordEmbed, DiscordWebhookPayload } from "../render/discord.ts";
import { cutAt } from "../render/truncate.ts";
import { type ChannelRequest, type ChannelResponse, type DeliveryTiming, postJson } from "./httpDelivery.ts";

/** A file sent with the message (Discord "Uploading Files": multipart, `files[n]` + `payload_json`). */
export interface DiscordAttachment {
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

/** An interaction response (…/receiving-and-responding#interaction-response-object) with a message. */
export interface DiscordInteractionResponse {
  type: number;
  data: {
    content?: string;
    embeds?: DiscordEmbed[];
    allowed_mentions: { parse: [] };
    flags?: number;
  };
}

export async function postDiscordWebhook(
  webhookUrl: string,
  payload: DiscordWebhookPayload,
  timing: DeliveryTiming,
  threadId: string | null = null,
  attachment: DiscordAttachment | null = null,
): Promise<ChannelResponse> {
  const url = new URL(webhookUrl);
  url.searchParams.set("wait", "true");
  // A thread (or a forum channel's post) is a query parameter; one already in the webhook URL is kept.
  if (threadId) url.searchParams.set("thread_id", threadId);
  return postJson(
    {
      ...DISCORD_ANSWERS,
      url: url.toString(),
      body: payload,
      ...(attachment
        ? { form: () => uploadForm({ ...payload, attachments: attachmentsOf(attachment) }, attachment) }
        : {}),
    },
    timing,
  );
}

/**
 * Answers an interaction through its callback endpoint (204 on success). With an attachment the body is
 * multipart: the interaction response in `payload_json`, the file described in its `data.attachments`
 * (reference#uploading-files: `attachments` "can be passed to the payload_json parameter (or Callback Data
 * Payloads)").
 */
export async function postDiscordInteractionResponse(
  target: { apiUrl: string; interactionId: string; interactionToken: string },
  response: DiscordInteractionResponse,
  timing: DeliveryTiming,
  attachment: DiscordAttachment | null = null,
): Promise<ChannelResponse> {
  const base = target.apiUrl.replace(/\/+$/, "");
  const path = `interactions/${encodeURIComponent(target.interactionId)}/${encodeURIComponent(target.interactionToken)}/callback`;
  return postJson(
    {
      ...DISCORD_ANSWERS,
      url: `${base}/${path}`,
      body: response,
      ...(attachment
        ? {
            form: () =>
              uploadForm(
                { ...response, data: { ...response.data, attachments: attachmentsOf(attachment) } },
                attachment,
              ),
          }
        : {}),
    },
    timing,
  );
}

/** How Discord's answers read: the same on every endpoint (topics/opcodes-and-status-codes, rate-limits). */
const DISCORD_ANSWERS: Pick<ChannelRequest, "channel" | "retryAfterMs" | "describe"> = {
  channel: "discord",
  retryAfterMs: (response, body) => {
    const fromBody = (body as { retry_after?: unknown } | null)?.retry_after;
    if (typeof fromBody === "number" && Number.isFinite(fromBody)) return Math.ceil(fromBody * 1000);
    return secondsHeader(response.headers.get("retry-after"));
  },
  describe: (body) => {
    const error = body as { code?: unknown; message?: unknown } | null;
    if (error && typeof error === "object" && "message" in error) {
      return `(code ${String(error.code)}: ${cutAt(String(error.message), 200)})`;
    }
    return "";
  },
};

/** The one file's entry in `attachments`: id 0 is the placeholder of `files[0]`. */
const attachmentsOf = (attachment: DiscordAttachment) => [{ id: 0, filename: attachment.filename }];

/**
 * discord.com/developers/docs/reference#uploading-files: the JSON goes in `payload_json`, each file in
 * `files[n]`, described in `attachments` by id n; an embed shows it as `attachment://<filename>`.
 */
function uploadForm(payloadJson: unknown, attachment: DiscordAttachment): FormData {
  const form = new FormData();
  form.set("payload_json", JSON.stringify(payloadJson));
  form.set(
    "files[0]",
    new Blob([attachment.bytes as Uint8Array<ArrayBuffer>], { type: attachment.contentType }),
    attachment.filename,
  );
  return form;
}

export function secondsHeader(value: string | null): number | null {
  if (value === null) return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds * 1000) : null;
}
