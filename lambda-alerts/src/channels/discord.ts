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

export async function postDiscordWebhook(
  webhookUrl: string,
  payload: DiscordWebhookPayload,
  timing: DeliveryTiming,
  threadId: string | null = null,
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
