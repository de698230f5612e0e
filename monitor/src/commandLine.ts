/**
 * Command-line options for every entry point (`npm start`, `demo`, `cost`, `bench`, `soak`): `--help`
 * (or `-h`) prints the usage and exits 0; a mistake (an unknown option, a missing value, a stray
 * argument) prints one line and the usage to stderr and exits 2, never a stack trace. The options list
 * is generated from the same option table `parseArgs` reads, so a new option always shows in `--help`.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

type OptionTable = NonNullable<ParseArgsConfig["options"]>;

export interface CommandSpec<O extends OptionTable> {
  /** Its short name, which starts a mistake's line (`cost: unknown option --x`). */
  name: string;
  /** How to run it, e.g. `npm run cost --`. */
  command: string;
  /** What it does, in a sentence or two. */
  summary: string;
  options: O;
  /** One line per option (shown after its name); options without one are still listed. */
  describe?: Partial<Record<keyof O & string, string>>;
  /** Extra lines after the options (environment variables, examples). */
  notes?: string[];
  /** What follows the options, for commands that take arguments (`/command [argument…]`). */
  positionals?: string;
}

/** The usage text `--help` prints. */
export function usageOf<O extends OptionTable>(spec: CommandSpec<O>): string {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : ""}--${name}${option.type === "string" ? " <value>" : ""}`;
    const described = spec.describe?.[name as keyof O & string] ?? "";
    const fallback =
      option.default !== undefined && option.type === "string" ? ` (default ${String(option.default)})` : "";
    return [flag, `${described}${fallback}`.trim()];
  });
  rows.push(["-h, --help", "print this help and exit"]);
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return [
    `usage: ${spec.command} [options]${spec.positionals ? ` ${spec.positionals}` : ""}`,
    "",
    spec.summary,
    "",
    "options:",
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`.trimEnd()),
    ...(spec.notes && spec.notes.length > 0 ? ["", ...spec.notes] : []),
    "",
  ].join("\n");
}

/** parseArgs's own messages run on ("To specify a positional argument…"): keep the first sentence. */
function mistakeOf(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS_")) return null;
  const unknown = /^Unknown option '([^']+)'/.exec(error.message);
  if (unknown) return `unknown option ${unknown[1]}`;
  const first = error.message.split(/\.\s/)[0]!.replace(/\.$/, "");
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/**
 * Parses `args` (default: this process's) strictly against `spec.options`. Exits on `--help` and on a
 * mistake; otherwise returns the option values, typed like parseArgs's.
 */
export function parseCommandLine<const O extends OptionTable>(
  spec: CommandSpec<O>,
  args: string[] = process.argv.slice(2),
): ReturnType<typeof parseArgs<{ options: O; strict: true }>>["values"] {
  return parseCommandLineWithArguments(spec, args).values;
}

/** As parseCommandLine, for commands that also take arguments (`spec.positionals` says which). */
export function parseCommandLineWithArguments<const O extends OptionTable>(
  spec: CommandSpec<O>,
  args: string[] = process.argv.slice(2),
): {
  values: ReturnType<typeof parseArgs<{ options: O; strict: true }>>["values"];
  positionals: string[];
} {
  // Before parsing, so `--help` works whatever else is on the line (a half-typed command included).
  const end = args.indexOf("--");
  const before = end === -1 ? args : args.slice(0, end);
  if (before.includes("--help") || before.includes("-h")) {
    process.stdout.write(usageOf(spec));
    process.exit(0);
  }
  try {
    const parsed = parseArgs({
      args,
      options: spec.options,
      strict: true,
      allowPositionals: spec.positionals !== undefined,
    });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    const mistake = mistakeOf(error);
    if (mistake === null) throw error;
    process.stderr.write(`${spec.name}: ${mistake}\n\n${usageOf(spec)}`);
    process.exit(2);
  }
}
