/**
 * The chat commands, parsed from a Telegram message text or a Discord slash command's options into one
 * shape, so both platforms run the very same command code.
 *
 * Text form: `/name[@bot] [argument…]`. Telegram appends `@<bot username>` to a command picked from the
 * menu in a group (core.telegram.org/bots/features#commands); it is dropped here.
 */

export const PNL_PERIODS = ["today", "7d", "30d", "all"] as const;
export type PnlPeriod = (typeof PNL_PERIODS)[number];

/** Most fills `/fills` lists: enough for a phone screen, few enough to stay within one message. */
export const MAX_FILLS = 25;
export const DEFAULT_FILLS = 10;

export type Command =
  | { name: "help" }
  | { name: "chatid" }
  | { name: "status"; account: string | null }
  | { name: "positions"; account: string | null }
  | { name: "orders"; account: string | null }
  | { name: "pnl"; period: PnlPeriod; account: string | null }
  | { name: "fills"; count: number; account: string | null };

export type CommandName = Command["name"];

export interface CommandDescription {
  name: CommandName;
  /** One line, as the platforms' command menus show it (Telegram: 1–256 characters; Discord: 1–100). */
  description: string;
  usage: string;
  /** Shows balances, positions or PnL: answered privately where the platform can (Discord ephemeral). */
  sensitive: boolean;
  telegramOnly?: boolean;
}

export const COMMANDS: readonly CommandDescription[] = [
  {
    name: "status",
    description: "Monitor health: feeds, last data, accounts, last backfill",
    usage: "/status [account]",
    sensitive: false,
  },
  {
    name: "positions",
    description: "Open positions: side, size, entry, mark, unrealised PnL, liquidation distance",
    usage: "/positions [account]",
    sensitive: true,
  },
  {
    name: "pnl",
    description: "Realised PnL net of fees over a period, wins and losses, best and worst trade",
    usage: "/pnl [today|7d|30d|all] [account]",
    sensitive: true,
  },
  { name: "fills", description: "Latest fills", usage: `/fills [1-${MAX_FILLS}] [account]`, sensitive: true },
  { name: "orders", description: "Open orders", usage: "/orders [account]", sensitive: true },
  { name: "help", description: "What each command does", usage: "/help", sensitive: false },
  {
    name: "chatid",
    description: "This chat's id, for TELEGRAM_CHAT_ID",
    usage: "/chatid",
    sensitive: false,
    telegramOnly: true,
  },
];

export type ParseResult =
  | { ok: true; command: Command }
  /** A command of ours used wrongly: answer with its usage line. */
  | { ok: false; usage: string }
  /** Not a command of ours (plain chat, another bot's command): stay silent. */
  | { ok: false; usage: null };

const ACCOUNT = /^0x[0-9a-fA-F]{1,40}$/;

/** Parses a message text such as `/pnl 7d 0xb7b6`. */
export function parseCommandText(text: string): ParseResult {
  const words = text.trim().split(/\s+/);
  const head = /^\/([a-zA-Z]+)(?:@[A-Za-z0-9_]+)?$/.exec(words[0] ?? "");
  if (!head) return { ok: false, usage: null };
  return parseCommand(head[1]!.toLowerCase(), words.slice(1));
}

/** Parses a command name and its arguments (Discord gives them as options, Telegram as words). */
export function parseCommand(name: string, args: readonly string[]): ParseResult {
  const description = COMMANDS.find((command) => command.name === name);
  if (!description) return { ok: false, usage: null };
  const usage = { ok: false as const, usage: `usage: ${description.usage}` };
  const rest = args.map((arg) => arg.trim()).filter((arg) => arg !== "");
  const account = (value: string | undefined): string | null | undefined =>
    value === undefined ? null : ACCOUNT.test(value) ? value.toLowerCase() : undefined;
  switch (description.name) {
    case "help":
    case "chatid":
      return rest.length === 0 ? { ok: true, command: { name: description.name } } : usage;
    case "status":
    case "positions":
    case "orders": {
      const chosen = account(rest[0]);
      if (rest.length > 1 || chosen === undefined) return usage;
      return { ok: true, command: { name: description.name, account: chosen } };
    }
    case "pnl": {
      let period: PnlPeriod = "30d";
      let words = rest;
      const first = words[0]?.toLowerCase();
      if (first !== undefined && (PNL_PERIODS as readonly string[]).includes(first)) {
        period = first as PnlPeriod;
        words = words.slice(1);
      }
      const chosen = account(words[0]);
      if (words.length > 1 || chosen === undefined) return usage;
      return { ok: true, command: { name: "pnl", period, account: chosen } };
    }
    case "fills": {
      let count = DEFAULT_FILLS;
      let words = rest;
      if (words[0] !== undefined && /^\d+$/.test(words[0])) {
        count = Number(words[0]);
        if (count < 1 || count > MAX_FILLS) return usage;
        words = words.slice(1);
      }
      const chosen = account(words[0]);
      if (words.length > 1 || chosen === undefined) return usage;
      return { ok: true, command: { name: "fills", count, account: chosen } };
    }
  }
}

/**
 * The accounts a command is about: all, or those whose address starts with the argument (a short label
 * such as `0xb7b6` is enough when it names one account). Null when the argument matches none.
 */
export function selectAccounts(accounts: readonly string[], argument: string | null): string[] | null {
  if (argument === null) return [...accounts];
  const matching = accounts.filter((account) => account.startsWith(argument));
  return matching.length > 0 ? matching : null;
}
