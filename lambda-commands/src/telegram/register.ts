/**
 * Registers the webhook (setWebhook with the secret token, `message` updates only) and the command menu
 * (setMyCommands), for `npm run telegram:webhook`. The token is part of the URL path only; errors carry
 * Telegram's description, never the URL.
 */
import { telegramCommandList } from "../commands/platformCommands.ts";

export interface TelegramRegistration {
  apiUrl: string;
  botToken: string;
  webhookUrl: string;
  secretToken: string;
  fetch?: typeof fetch;
}

export async function registerTelegramWebhook(options: TelegramRegistration): Promise<{ commands: number }> {
  const call = async (method: string, body: unknown) => {
    const response = await (options.fetch ?? fetch)(
      `${options.apiUrl.replace(/\/+$/, "")}/bot${options.botToken}/${method}`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      },
    );
    const answer = (await response.json().catch(() => null)) as { ok?: boolean; description?: string } | null;
    if (!response.ok || answer?.ok !== true) {
      throw new Error(
        `Telegram ${method} failed: HTTP ${response.status} ${answer?.description ?? ""}`.trim(),
      );
    }
  };
  // core.telegram.org/bots/api#setwebhook: the secret arrives in X-Telegram-Bot-Api-Secret-Token.
  await call("setWebhook", {
    url: options.webhookUrl,
    secret_token: options.secretToken,
    allowed_updates: ["message"],
  });
  const commands = telegramCommandList();
  await call("setMyCommands", { commands });
  return { commands: commands.length };
}
