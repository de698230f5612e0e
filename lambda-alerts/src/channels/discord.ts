/**
 * Discord "Execute Webhook": POST the payload to the webhook URL with `?wait=true`, so success is a
 * 200 with the created message (proof it was posted) rather than an empty 204.
 *
 * Threads and forum channels: `thread_id` in the query string posts into that thread; a webhook of a forum
 * channel must have one (discord.com/developers/docs/resources/webhook#execute-webhook).
 *
 * Rate limits: a 429 carries `retry_after` in seconds (a float) in the JSON body, and `Retry-After` in
 * seconds as a header; the body is preferred because it is more precise.
 */
import type { DiscordWebhookPayload } from "../render/discord.ts";
import { cutAt } from "../render/truncate.ts";
import { type ChannelResponse, type DeliveryTiming, postJson } from "./httpDelivery.ts";

/** A file sent with the message (Discord "Uploading Files": multipart, `files[n]` + `payload_json`). */
export interface DiscordAttachment {
  filename: string;
  contentType: string;
  bytes: Uint8Array;
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
      channel: "discord",
      url: url.toString(),
      body: payload,
      // discord.com/developers/docs/reference#uploading-files: the JSON goes in `payload_json`, each file
      // in `files[n]`, described in `attachments` by id n; an embed shows it as `attachment://<filename>`.
      ...(attachment
        ? {
            form: () => {
              const form = new FormData();
              form.set(
                "payload_json",
                JSON.stringify({ ...payload, attachments: [{ id: 0, filename: attachment.filename }] }),
              );
              form.set(
                "files[0]",
                new Blob([attachment.bytes as Uint8Array<ArrayBuffer>], { type: attachment.contentType }),
                attachment.filename,
              );
              return form;
            },
          }
        : {}),
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
    },
    timing,
  );
}

export function secondsHeader(value: string | null): number | null {
  if (value === null) return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds * 1000) : null;
}
