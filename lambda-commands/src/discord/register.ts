/**
 * Registers the slash commands globally for an application (`npm run discord:register`): one PUT that
 * replaces the whole set (discord.com/developers/docs/interactions/application-commands#bulk-overwrite-global-application-commands),
 * authorised with the bot token (`Authorization: Bot <token>`), which is used for this call only and never
 * stored or printed.
 */
import { discordCommandDefinitions } from "../commands/platformCommands.ts";

export const DISCORD_API = "https://discord.com/api/v10";

export async function registerDiscordCommands(options: {
  apiUrl: string;
  applicationId: string;
  botToken: string;
  fetch?: typeof fetch;
}): Promise<{ commands: string[] }> {
  const response = await (options.fetch ?? fetch)(
    `${options.apiUrl.replace(/\/+$/, "")}/applications/${options.applicationId}/commands`,
    {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bot ${options.botToken}` },
      body: JSON.stringify(discordCommandDefinitions()),
      signal: AbortSignal.timeout(15_000),
    },
  );
  const answer = (await response.json().catch(() => null)) as
    | { message?: string; code?: number }
    | unknown[]
    | null;
  if (!response.ok || !Array.isArray(answer)) {
    const detail =
      answer && !Array.isArray(answer) ? `${answer.message ?? ""} (code ${answer.code ?? "?"})` : "";
    throw new Error(`Discord command registration failed: HTTP ${response.status} ${detail}`.trim());
  }
  return { commands: (answer as { name: string }[]).map((command) => command.name) };
}
