/**
 * The files a newcomer opens first: `.env.example` lists every variable the monitor and the Lambdas
 * read, each with a one-line comment, and works as a `.env` as it is; LICENSE matches package.json.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../monitor/src/config/config.ts";

const ADDRESS = "0xb7b6f3cea3f66bf525f5d8f965f6dbf6d9b017b2";
/** Set by ECS for the task role's credentials, never by a user. */
const SET_BY_ECS = new Set(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".ts"))
    .map((path) => join(dir, path));
}

/** Every variable read: the configuration schemas' keys and every `env.X` / `source.X` in the sources. */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  for (const schema of ["monitor/src/config/config.ts", "monitor/src/config/alertConfig.ts"]) {
    for (const match of readFileSync(schema, "utf8").matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm))
      names.add(match[1]!);
  }
  for (const file of [
    ...sourceFiles("monitor/src"),
    ...sourceFiles("lambda-alerts/src"),
    ...sourceFiles("lambda-commands/src"),
  ]) {
    for (const match of readFileSync(file, "utf8").matchAll(/\b(?:env|source)\.([A-Z][A-Z0-9_]+)/g)) {
      if (!SET_BY_ECS.has(match[1]!)) names.add(match[1]!);
    }
  }
  return names;
}

describe(".env.example", () => {
  const text = readFileSync(".env.example", "utf8");
  const lines = text.split("\n");
  const listed = new Map<string, number>();
  lines.forEach((line, index) => {
    const match = /^(?:# )?([A-Z][A-Z0-9_]+)=$/.exec(line);
    if (match) listed.set(match[1]!, index);
  });

  it("lists every variable read, and none that is not", () => {
    const read = variablesRead();
    expect(read.size).toBeGreaterThan(40);
    expect([...read].filter((name) => !listed.has(name)).sort()).toEqual([]);
    expect([...listed.keys()].filter((name) => !read.has(name)).sort()).toEqual([]);
  });

  it("gives each variable a one-line comment just above it", () => {
    for (const [name, index] of listed) {
      const above = lines[index - 1] ?? "";
      expect(above, name).toMatch(/^# \S/);
      expect(/^(?:# )?[A-Z][A-Z0-9_]+=$/.test(above), name).toBe(false);
    }
  });

  it("works as a .env as it is: blank values mean the defaults", () => {
    const fromExample = { ...parseEnv(text), ACCOUNT_ADDRESS: ADDRESS };
    expect(loadConfig(fromExample)).toEqual(loadConfig({ ACCOUNT_ADDRESS: ADDRESS }));
  });
});

describe("LICENSE", () => {
  it("is the MIT licence package.json names, held by the project's contributors", () => {
    const license = readFileSync("LICENSE", "utf8");
    expect(JSON.parse(readFileSync("package.json", "utf8")).license).toBe("MIT");
    expect(license.split("\n")[0]).toBe("MIT License");
    expect(license).toContain("Copyright (c) 2026 hl-monitor contributors");
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
  });
});
