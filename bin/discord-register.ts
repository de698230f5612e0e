/**
 * `npm run discord:register`: registers the slash commands for the Discord application. Reads
 * DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN from the environment; the token is used for this one call
 * and never stored or printed (the Lambda itself needs only the application's public key).
 */
import { DISCORD_API, registerDiscordCommands } from "../lambda-commands/src/discord/register.ts";
import { parseCommandLine } from "../monitor/src/commandLine.ts";

parseCommandLine({
  name: "discord:register",
  command: "npm run discord:register --",
  summary:
    "Registers (replaces) the application's global slash commands: /status, /positions, /pnl, /fills, /orders, /help. Run it once, and again after an upgrade that changes the commands.",
  options: {},
  notes: [
    "environment: DISCORD_APPLICATION_ID (the application id) and DISCORD_BOT_TOKEN (Developer Portal → Bot → Reset Token; not stored anywhere), DISCORD_API_URL (default https://discord.com/api/v10)",
  ],
});

function fail(message: string): never {
  process.stderr.write(`discord:register: ${message}\n`);
  process.exit(2);
}

const applicationId = process.env.DISCORD_APPLICATION_ID?.trim();
const token = process.env.DISCORD_BOT_TOKEN?.trim();
if (!applicationId || !/^\d{1,20}$/.test(applicationId)) fail("set DISCORD_APPLICATION_ID (digits)");
if (!token) fail("set DISCORD_BOT_TOKEN (used for this call only)");

try {
  const { commands } = await registerDiscordCommands({
    apiUrl: process.env.DISCORD_API_URL?.trim() || DISCORD_API,
    applicationId,
    botToken: token,
  });
  process.stdout.write(
    `registered ${commands.length} commands: ${commands.map((name) => `/${name}`).join(" ")}\n`,
  );
} catch (error) {
  process.stderr.write(`discord:register: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
