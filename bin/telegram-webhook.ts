/**
 * `npm run telegram:webhook -- --url https://<function url>/telegram`: points the bot's webhook at the
 * commands Lambda with the secret token, and sets the bot's command menu. Reads TELEGRAM_BOT_TOKEN and
 * TELEGRAM_WEBHOOK_SECRET from the environment (the same values as in the alerts secret); prints neither.
 */
import { TELEGRAM_PUBLIC_API } from "../lambda-alerts/src/channels/telegram.ts";
import { registerTelegramWebhook } from "../lambda-commands/src/telegram/register.ts";
import { parseCommandLine } from "../monitor/src/commandLine.ts";

const values = parseCommandLine({
  name: "telegram:webhook",
  command: "npm run telegram:webhook --",
  summary:
    "Registers the commands Lambda's Function URL as the bot's webhook (setWebhook with the secret token, message updates only) and its command menu (setMyCommands). Once set, getUpdates stops working: find a chat's id by sending /chatid there.",
  options: { url: { type: "string" } },
  describe: { url: "the webhook URL: the stack output CommandsUrl followed by telegram" },
  notes: [
    "environment: TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET (required; as in the alerts secret), TELEGRAM_API_URL (default https://api.telegram.org)",
  ],
});

function fail(message: string): never {
  process.stderr.write(`telegram:webhook: ${message}\n`);
  process.exit(2);
}

const token = process.env.TELEGRAM_BOT_TOKEN?.trim();
const secret = process.env.TELEGRAM_WEBHOOK_SECRET?.trim();
if (!values.url) fail("give --url (the stack output CommandsUrl followed by telegram)");
if (!values.url.startsWith("https://"))
  fail("--url must be an https:// URL (Telegram calls HTTPS webhooks only)");
if (!token) fail("set TELEGRAM_BOT_TOKEN");
if (!secret || !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
  fail(
    "set TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and - (the same as in the alerts secret)",
  );
}

try {
  const { commands } = await registerTelegramWebhook({
    apiUrl: process.env.TELEGRAM_API_URL?.trim() || TELEGRAM_PUBLIC_API,
    botToken: token,
    webhookUrl: values.url,
    secretToken: secret,
  });
  process.stdout.write(
    `webhook set to ${values.url} (message updates only); ${commands} commands in the bot's menu\n`,
  );
} catch (error) {
  process.stderr.write(`telegram:webhook: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
