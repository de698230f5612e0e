/**
 * Local runs deliver alerts in process (no SNS topic): a channel that refuses for good (a deleted Discord
 * webhook) is logged once with its secret-free answer, and the other channel still gets the alert.
 */
import { afterEach, expect, it } from "vitest";
import { ALERT_SCHEMA, type AlertEvent } from "../../lambda-alerts/src/alertEvent.ts";
import { DirectAlertPublisher } from "../../monitor/src/alerts/publishers.ts";
import { capturingLogger } from "../support/capturingLogger.ts";
import { DiscordStandIn } from "../support/discordStandIn.ts";
import { TelegramStandIn } from "../support/telegramStandIn.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const alert: AlertEvent = {
  schema: ALERT_SCHEMA,
  key: "position_opened:0x70997970c51812dc3a010c7d01b50e0d17dc79c8:BTC#1700000000000#t:1",
  kind: "position_opened",
  severity: "info",
  title: "BTC long opened",
  summary: "Opened 0.5 BTC long at 35,000.1",
  account: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
  coin: "BTC",
  time: 1_700_000_000_000,
  fields: [],
  links: [],
};

it("logs a permanent refusal once, without the webhook URL, and delivers to the other channel", async () => {
  const [discord, telegram] = await Promise.all([DiscordStandIn.start(), TelegramStandIn.start()]);
  closers.push(
    () => discord.close(),
    () => telegram.close(),
  );
  const { logger, lines } = capturingLogger();
  const publisher = new DirectAlertPublisher(
    {
      discordWebhookUrl: discord.webhookUrl,
      telegram: { botToken: telegram.botToken, chatId: telegram.chatId, apiUrl: telegram.url },
    },
    { logger },
  );
  discord.deleteWebhook();
  await publisher.publish(alert);
  await publisher.publish(alert); // the same alert again: the refusal is known, nothing is logged twice

  const refusals = lines.filter((line) => line.msg === "alert channel refused the alert for good");
  expect(refusals).toHaveLength(1);
  expect(refusals[0]).toMatchObject({ channel: "discord", alert: alert.key });
  expect(String(refusals[0]!.answer)).toContain("10015");
  expect(JSON.stringify(lines)).not.toContain(discord.webhookUrl);
  expect(telegram.messages).toHaveLength(1);
  expect(discord.messages).toHaveLength(0);
});
