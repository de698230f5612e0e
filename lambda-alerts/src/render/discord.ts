/**
 * Discord webhook payloads: one embed coloured by severity, a field per figure, links in the description.
 *
 * Discord rejects a whole message (400, code 50035) if any limit is exceeded, and the alert is then lost,
 * so every string is cut to its limit here and the embed as a whole is brought under 6,000 characters by
 * shortening the description, then dropping trailing fields (the last kept field says how many were cut).
 */
import type { AlertEvent } from "../alertEvent.ts";
import { truncate } from "./truncate.ts";

/** https://discord.com/developers/docs/resources/message#embed-object-embed-limits */
export const DISCORD_LIMITS = {
  content: 2_000,
  embeds: 10,
  title: 256,
  description: 4_096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1_024,
  footerText: 2_048,
  authorName: 256,
  username: 80,
  /** Sum of title, description, field names and values, footer text and author name over all embeds. */
  total: 6_000,
} as const;

export const SEVERITY_COLOUR: Record<AlertEvent["severity"], number> = {
  critical: 0xe74c3c,
  warning: 0xf39c12,
  info: 0x3498db,
  success: 0x2ecc71,
};

export interface DiscordEmbed {
  title: string;
  description?: string;
  url?: string;
  color: number;
  timestamp: string;
  fields: { name: string; value: string; inline: boolean }[];
  footer: { text: string };
  /** An image: for an uploaded file, `attachment://<filename>` (Discord "Uploading Files"). */
  image?: { url: string };
}

export interface DiscordWebhookPayload {
  username: string;
  embeds: DiscordEmbed[];
  /** No mention in an alert may ping anyone: names and values come from outside. */
  allowed_mentions: { parse: [] };
}

export function discordPayload(event: AlertEvent): DiscordWebhookPayload {
  const links = event.links.map((link) => `[${escapeMarkdown(link.label)}](${link.url})`).join(" · ");
  const description = [escapeMarkdown(event.summary), links].filter((part) => part.length > 0).join("\n\n");
  const embed: DiscordEmbed = {
    title: truncate(event.title, DISCORD_LIMITS.title),
    color: SEVERITY_COLOUR[event.severity],
    timestamp: new Date(event.time).toISOString(),
    fields: event.fields.map((field) => ({
      // Discord refuses a blank field name or value.
      name: truncate(orDash(field.label), DISCORD_LIMITS.fieldName),
      value: truncate(orDash(field.value), DISCORD_LIMITS.fieldValue),
      inline: field.value.length <= 40,
    })),
    footer: { text: truncate(`hl-monitor · ${event.kind}`, DISCORD_LIMITS.footerText) },
  };
  if (description.length > 0) embed.description = truncate(description, DISCORD_LIMITS.description);
  const link = event.links[0];
  if (link) embed.url = link.url;
  fitEmbed(embed);
  return { username: "hl-monitor", embeds: [embed], allowed_mentions: { parse: [] } };
}

export function embedLength(embed: DiscordEmbed): number {
  return (
    embed.title.length +
    (embed.description?.length ?? 0) +
    embed.footer.text.length +
    embed.fields.reduce((sum, field) => sum + field.name.length + field.value.length, 0)
  );
}

/** Keeps a readable description (512) before dropping figures, and figures before the rest of it. */
const DESCRIPTION_FLOOR = 512;

function fitEmbed(embed: DiscordEmbed): void {
  let real = embed.fields;
  let dropped = 0;
  if (real.length > DISCORD_LIMITS.fields) {
    dropped = real.length - (DISCORD_LIMITS.fields - 1);
    real = real.slice(0, DISCORD_LIMITS.fields - 1);
  }
  const assemble = () => {
    embed.fields = dropped > 0 ? [...real, moreField(dropped)] : real;
  };
  assemble();
  // Bounded: each pass shortens the description or removes a field.
  for (let pass = 0; pass < 64; pass++) {
    const excess = embedLength(embed) - DISCORD_LIMITS.total;
    if (excess <= 0) return;
    const description = embed.description ?? "";
    if (description.length > DESCRIPTION_FLOOR) {
      embed.description = truncate(description, Math.max(DESCRIPTION_FLOOR, description.length - excess));
    } else if (real.length > 0) {
      real = real.slice(0, -1);
      dropped += 1;
      assemble();
    } else if (description.length > 0) {
      const keep = description.length - excess;
      if (keep > 0) embed.description = truncate(description, keep);
      else delete embed.description;
    } else {
      embed.title = truncate(embed.title, Math.max(1, embed.title.length - excess));
    }
  }
}

const orDash = (value: string) => (value.trim() === "" ? "—" : value);

function moreField(count: number): { name: string; value: string; inline: boolean } {
  return { name: "…", value: `${count} more not shown`, inline: false };
}

/** Markdown in descriptions: a value such as `*BTC*` or `__x__` must show as typed, not format. */
export function escapeMarkdown(value: string): string {
  return value.replace(/([\\*_~`|>[\]()#-])/g, "\\$1");
}
