/**
 * The command lists each platform registers. The slash commands `npm run discord:register` puts (PUT /applications/{id}/commands replaces the whole
 * set: discord.com/developers/docs/interactions/application-commands#bulk-overwrite-global-application-commands).
 * Option types: STRING 3, INTEGER 4 (…#application-command-object-application-command-option-type).
 */
import { COMMANDS, MAX_FILLS, PNL_PERIODS } from "./parse.ts";

const STRING = 3;
const INTEGER = 4;
/** CHAT_INPUT: a slash command (…#application-command-object-application-command-types). */
const CHAT_INPUT = 1;

const accountOption = {
  type: STRING,
  name: "account",
  description: "An account address, or its start (0xb7b6); all accounts when left out",
  required: false,
};

export function discordCommandDefinitions() {
  return COMMANDS.filter((command) => !command.telegramOnly).map((command) => {
    const options: object[] = [];
    if (command.name === "pnl") {
      options.push({
        type: STRING,
        name: "period",
        description: "today, 7d, 30d (default) or all",
        required: false,
        choices: PNL_PERIODS.map((period) => ({ name: period, value: period })),
      });
    }
    if (command.name === "fills") {
      options.push({
        type: INTEGER,
        name: "count",
        description: `How many fills (1-${MAX_FILLS}, default 10)`,
        required: false,
        min_value: 1,
        max_value: MAX_FILLS,
      });
    }
    if (command.name !== "help") options.push(accountOption);
    return { name: command.name, type: CHAT_INPUT, description: command.description.slice(0, 100), options };
  });
}

/** Telegram's setMyCommands list (core.telegram.org/bots/api#botcommand: name 1-32, description 1-256). */
export function telegramCommandList() {
  return COMMANDS.map((command) => ({
    command: command.name,
    description: command.description.slice(0, 256),
  }));
}
