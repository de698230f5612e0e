/**
 * The Discord interactions endpoint (discord.com/developers/docs/interactions/overview#preparing-for-interactions).
 *
 * Every request carries `X-Signature-Ed25519` (hex) over `X-Signature-Timestamp` + the raw body, made with
 * the application's key; a request that does not verify against DISCORD_PUBLIC_KEY gets 401 and nothing
 * else happens (Discord itself sends bad signatures to check that the endpoint refuses them). A timestamp
 * more than five minutes from now is refused too, so a captured request cannot be replayed later.
 *
 * PING (type 1) is answered `{"type":1}`; an APPLICATION_COMMAND (type 2) with
 * CHANNEL_MESSAGE_WITH_SOURCE (type 4) and an embed, in the HTTP response itself: Discord wants the
 * answer within three seconds (discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction),
 * so the store reads get a deadline shorter than that. `allowed_mentions: {parse: []}` keeps any name in a
 * reply from pinging; commands that show balances, positions or PnL answer with flag 64 (EPHEMERAL), seen
 * only by the user who asked.
 *
 * `/pnl` with its chart: an HTTP response cannot carry a file (an interaction answered with
 * multipart/form-data in the response fails: discord/discord-api-docs#5933), so the same answer, embed
 * and PNG, goes multipart to the Create Interaction Response endpoint (`POST /interactions/{id}/{token}/
 * callback`, which "supports file attachments similar to the webhook endpoints"), and the HTTP request is
 * answered as the docs say for that case: "respond to the original HTTP request with a 202 and no body"
 * (…/receiving-and-responding#interaction-callback). When too little of the three seconds is left to
 * draw and upload the chart, when it cannot be drawn, or when the callback fails, the text embed goes in
 * the HTTP response as for any other command.
 */
import { type KeyObject, verify } from "node:crypto";
import {
  type DiscordInteractionResponse,
  postDiscordInteractionResponse,
} from "../../../lambda-alerts/src/channels/discord.ts";
import type { Logger } from "../../../lambda-alerts/src/logger.ts";
import { CHART_FILENAME } from "../../../lambda-alerts/src/render/chartLazily.ts";
import { type CommandReply, isSensitive, usageReply } from "../commands/answers.ts";
import { parseCommand } from "../commands/parse.ts";
import type { PnlChartInput } from "../commands/pnlSeries.ts";
import { discordReplyEmbed } from "../commands/render.ts";
import { type CommandContext, runCommand } from "../commands/runCommand.ts";
import {
  emptyResponse,
  type FunctionUrlResult,
  jsonResponse,
  parseJsonObject,
  settingsMissResponse,
} from "../http.ts";
import type { RateLimiter } from "../rateLimit.ts";
import type { DiscordCommandSettings } from "../settings.ts";

export const DISCORD_SIGNATURE_HEADER = "x-signature-ed25519";
export const DISCORD_TIMESTAMP_HEADER = "x-signature-timestamp";
/** Timestamps further than this from now are refused (replay protection). */
export const MAX_TIMESTAMP_SKEW_MS = 5 * 60_000;

/** discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-interaction-type */
const PING = 1;
const APPLICATION_COMMAND = 2;
/** …#interaction-response-object-interaction-callback-type */
const PONG = 1;
const CHANNEL_MESSAGE_WITH_SOURCE = 4;
/** discord.com/developers/docs/resources/message#message-object-message-flags: EPHEMERAL = 1 << 6. */
const EPHEMERAL = 64;
/**
 * What a chart needs of the time left after the store read: drawing takes 0.1-0.6 s (the first one loads
 * the WebAssembly module and fonts), then the ~80 KB upload to Discord. With less, the text goes alone.
 */
export const DISCORD_CHART_MIN_MS = 700;
/** Left after drawing for the upload; with less, the text goes in the HTTP response instead. */
const DISCORD_UPLOAD_MIN_MS = 150;

export interface DiscordContext {
  settings: DiscordCommandSettings | null;
  rateLimiter: RateLimiter;
  logger: Logger;
  now: () => number;
  /** Epoch ms (on `now`) by which the interaction must be answered. */
  answerBy: number;
  command: Omit<CommandContext, "platform" | "now">;
  /** Draws `/pnl`'s chart as a PNG. */
  renderChart: (chart: PnlChartInput) => Promise<Uint8Array>;
  fetch?: typeof fetch;
}

/** Ed25519 over timestamp + body; false for anything malformed. */
export function signatureValid(
  publicKey: KeyObject,
  signatureHex: string | undefined,
  timestamp: string | undefined,
  body: Buffer,
): boolean {
  if (signatureHex === undefined || timestamp === undefined) return false;
  if (!/^[0-9a-fA-F]{128}$/.test(signatureHex)) return false;
  try {
    return verify(
      null,
      Buffer.concat([Buffer.from(timestamp, "utf8"), body]),
      publicKey,
      Buffer.from(signatureHex, "hex"),
    );
  } catch {
    return false;
  }
}

/** Discord's timestamp is Unix seconds; false when absent, malformed or too far from now. */
export function timestampFresh(timestamp: string | undefined, now: number): boolean {
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(now - Number(timestamp) * 1000) <= MAX_TIMESTAMP_SKEW_MS;
}

export async function handleDiscordInteraction(
  headers: { signature: string | undefined; timestamp: string | undefined },
  raw: Buffer,
  context: DiscordContext,
): Promise<FunctionUrlResult> {
  const settings = context.settings;
  if (
    settings === null ||
    !signatureValid(settings.publicKey, headers.signature, headers.timestamp, raw) ||
    !timestampFresh(headers.timestamp, context.now())
  ) {
    return settingsMissResponse(401);
  }
  const interaction = parseJsonObject(raw);
  if (interaction === null) return emptyResponse(400);
  if (interaction.type === PING) return jsonResponse(200, { type: PONG });
  if (interaction.type !== APPLICATION_COMMAND) return emptyResponse(400);

  const data = interaction.data as { name?: unknown; options?: unknown } | undefined;
  const name = typeof data?.name === "string" ? data.name : "";
  // In a server the user is under member.user; in a DM under user.
  const user =
    (interaction.member as { user?: { id?: unknown } } | undefined)?.user?.id ??
    (interaction.user as { id?: unknown } | undefined)?.id;
  const userKey = `discord:${typeof user === "string" ? user : "unknown"}`;
  if (!context.rateLimiter.take(userKey, context.now())) {
    context.logger.warn({ user: userKey }, "command rate limit reached; refused");
    return jsonResponse(200, {
      type: CHANNEL_MESSAGE_WITH_SOURCE,
      data: {
        content: "Too many commands: wait a minute.",
        flags: EPHEMERAL,
        allowed_mentions: { parse: [] },
      },
    });
  }

  const parsed = parseCommand(name, optionValues(data?.options));
  let reply: CommandReply;
  if (!parsed.ok) reply = usageReply(parsed.usage ?? `unknown command ${name}`);
  else if (parsed.command.name === "chatid") reply = usageReply("/chatid is a Telegram command");
  else
    reply = await runCommand(parsed.command, { ...context.command, platform: "discord", now: context.now() });

  const sensitive = parsed.ok ? isSensitive(parsed.command.name) : true;
  const answer: DiscordInteractionResponse = {
    type: CHANNEL_MESSAGE_WITH_SOURCE,
    data: {
      embeds: [discordReplyEmbed(reply, context.now())],
      allowed_mentions: { parse: [] },
      ...(sensitive ? { flags: EPHEMERAL } : {}),
    },
  };
  if (
    reply.chart !== null &&
    (await answeredWithChart(interaction, answer, reply.chart, settings, context))
  ) {
    return emptyResponse(202);
  }
  return jsonResponse(200, answer);
}

/**
 * Draws the chart and sends `answer` with it through the interaction's callback endpoint; false when it
 * did not go (no time, not drawn, refused), and the caller answers in the HTTP response instead.
 */
async function answeredWithChart(
  interaction: Record<string, unknown>,
  answer: DiscordInteractionResponse,
  chart: PnlChartInput,
  settings: DiscordCommandSettings,
  context: DiscordContext,
): Promise<boolean> {
  const { id, token } = interaction;
  // …/receiving-and-responding#interaction-object: `id` a snowflake, `token` a string.
  if (typeof id !== "string" || !/^\d{1,20}$/.test(id) || typeof token !== "string" || token === "") {
    return false;
  }
  if (context.answerBy - context.now() < DISCORD_CHART_MIN_MS) {
    context.logger.warn("too little time left for the chart; answered with text");
    return false;
  }
  try {
    const started = Date.now();
    const png = await context.renderChart(chart);
    context.logger.info({ chartMs: Date.now() - started, bytes: png.length }, "chart drawn");
    const timeLeft = context.answerBy - context.now();
    if (timeLeft < DISCORD_UPLOAD_MIN_MS) {
      context.logger.warn({ timeLeft }, "no time left to upload the chart; answered with text");
      return false;
    }
    const [first, ...rest] = answer.data.embeds ?? [];
    await postDiscordInteractionResponse(
      { apiUrl: settings.apiUrl, interactionId: id, interactionToken: token },
      {
        ...answer,
        data: {
          ...answer.data,
          embeds: first ? [{ ...first, image: { url: `attachment://${CHART_FILENAME}` } }, ...rest] : rest,
        },
      },
      // One try: a retried callback after a lost answer would be a second acknowledgement (code 40060).
      {
        deadline: context.answerBy,
        now: context.now,
        attempts: 1,
        requestTimeoutMs: timeLeft,
        ...(context.fetch ? { fetch: context.fetch } : {}),
      },
      { filename: CHART_FILENAME, contentType: "image/png", bytes: png },
    );
    return true;
  } catch (error) {
    context.logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      "chart not sent through the interaction callback; answered with text",
    );
    return false;
  }
}

/** Slash command options in registration order (period, count, account), as words for the parser. */
function optionValues(options: unknown): string[] {
  if (!Array.isArray(options)) return [];
  const order = ["period", "count", "account"];
  return options
    .filter((option): option is { name: string; value: unknown } => typeof option?.name === "string")
    .sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name))
    .map((option) => String(option.value));
}
