/**
 * Every command answers `--help` with its options, and an unknown option gives one line and the usage
 * (exit 2), never a stack trace. The real entry points run in child processes; none gets far enough to
 * open a store or a connection.
 */
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const COMMANDS = [
  { name: "monitor", entry: "monitor/src/main.ts", options: ["--record", "--replay", "--speed"] },
  { name: "demo", entry: "monitor/src/demo.ts", options: [] },
  { name: "cost", entry: "bin/cost.ts", options: ["--mode", "--activity", "--accounts", "--json"] },
  { name: "bench", entry: "test/bench/bench.ts", options: ["--json", "--quick"] },
  { name: "soak", entry: "test/soak/soak.ts", options: ["--minutes", "--seed", "--json", "--log"] },
  { name: "commands", entry: "bin/commands.ts", options: ["--data-dir", "--account", "--now"] },
  { name: "telegram:webhook", entry: "bin/telegram-webhook.ts", options: ["--url"] },
  { name: "discord:register", entry: "bin/discord-register.ts", options: [] },
] as const;

function run(entry: string, args: string[]) {
  return spawnSync(process.execPath, [resolve(entry), ...args], {
    env: { PATH: dirname(process.execPath) },
    encoding: "utf8",
    timeout: 30_000,
  });
}

describe.each(COMMANDS)("$entry", ({ name, entry, options }) => {
  it("--help prints the usage with every option and exits 0", () => {
    const result = run(entry, ["--help"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm (start|run \w+)/);
    for (const option of [...options, "--help"]) expect(result.stdout).toContain(option);
    expect(run(entry, ["-h"]).stdout).toBe(result.stdout);
  });

  it("an unknown option gives one line and the usage, no stack trace", () => {
    const result = run(entry, ["--no-such-option"]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    const [first, blank, usage] = result.stderr.split("\n");
    expect(first).toBe(`${name}: unknown option --no-such-option`);
    expect(blank).toBe("");
    expect(usage).toMatch(/^usage: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
