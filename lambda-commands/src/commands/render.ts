/**
 * A command reply on each platform, drawn by the alert renderers so replies get the same escaping and
 * limits as alerts: Telegram HTML split into messages of at most 4,096 characters, a Discord embed cut to
 * Discord's embed limits, with no mention able to ping anyone.
 */
import { ALERT_SCHEMA, type AlertEvent } from "../../../lambda-alerts/src/alertEvent.ts";
import { type DiscordEmbed, discordPayload } from "../../../lambda-alerts/src/render/discord.ts";
import { telegramMessages } from "../../../lambda-alerts/src/render/telegram.ts";
import type { CommandReply } from "./answers.ts";

function asEvent(reply: CommandReply, now: number): AlertEvent {
  return {
    schema: ALERT_SCHEMA,
    key: "command-reply",
    kind: "notification",
    severity: "info",
    title: reply.title,
    summary: reply.summary,
    account: null,
    coin: null,
    time: now,
    fields: reply.fields,
    links: [],
  };
}

/** The HTML texts of the reply's `sendMessage` calls (usually one). */
export function telegramReplyTexts(reply: CommandReply, now: number): string[] {
  return telegramMessages(asEvent(reply, now));
}

/** The reply's embed, with the footer naming the command side rather than an alert kind. */
export function discordReplyEmbed(reply: CommandReply, now: number): DiscordEmbed {
  const [embed] = discordPayload(asEvent(reply, now)).embeds;
  return { ...embed!, footer: { text: "hl-monitor" } };
}

/** Plain text for the local runner's terminal. */
export function plainReplyText(reply: CommandReply): string {
  const lines = [reply.title];
  if (reply.summary) lines.push(reply.summary);
  for (const field of reply.fields) lines.push(`  ${field.label}: ${field.value}`);
  return lines.join("\n");
}
