/**
 * The files a newcomer opens first: `.env.example` lists every variable the monitor and the Lambdas
 * read, each with a one-line comment, and works as a `.env` as it is; LICENSE matches package.json; the
 * README and docs/ link only to what exists, give the test command CI runs and every metric emitted.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { ALERT_CHANNEL_FAILURES } from "../lambda-alerts/src/handler.ts";
import { loadConfig } from "../monitor/src/config/config.ts";
import { COUNTERS, ESSENTIAL_METRICS, GAUGES, SHARD_HEARTBEAT } from "../monitor/src/telemetry/metrics.ts";

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

/** The README and the docs/ pages it links: what a newcomer reads, checked against the files and the code. */
const MARKDOWN_FILES = [
  "README.md",
  ...readdirSync("docs")
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** The text outside fenced code blocks, inline code spans and HTML comments: where links and headings are. */
function prose(markdown: string): string {
  return markdown
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "")
    .replace(/`[^`\n]*`/g, "``");
}

/**
 * GitHub's heading anchors: lower case, punctuation removed (letters, digits, `_`, `-` and spaces stay),
 * each space a `-`; a repeated heading gets `-1`, `-2`… Inline code keeps its text, link syntax its label.
 */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutFences = markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");
  for (const match of withoutFences.matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const text = match[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/[`*]/g, "");
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

describe("README.md and docs/*.md", () => {
  it("link only to files that exist and headings that exist (GitHub's anchors)", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of MARKDOWN_FILES) {
      for (const match of prose(readFileSync(file, "utf8")).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: — not a file of this repository
        checked += 1;
        const [path, anchor] = target.split("#", 2) as [string, string | undefined];
        const resolved = path === "" ? file : join(dirname(file), path);
        if (!existsSync(resolved)) {
          broken.push(`${file}: ${target} (no file ${resolved})`);
          continue;
        }
        if (anchor !== undefined && !headingAnchors(readFileSync(resolved, "utf8")).has(anchor)) {
          broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(broken).toEqual([]);
  });

  it("README's test command is the one .ci/run runs", () => {
    const readme = readFileSync("README.md", "utf8");
    const quickStart = readme.slice(
      readme.indexOf("## Quick start"),
      readme.indexOf("\n## ", readme.indexOf("## Quick start") + 1),
    );
    const testLine = /^npm ci && (npm [^#\n]*?) +# the test suite/m.exec(quickStart);
    expect(testLine, "a quick-start line `npm ci && <command>  # the test suite`").not.toBeNull();
    const ciRun = readFileSync(".ci/run", "utf8");
    expect(ciRun).toContain(`echo "== test"\n${testLine![1]}\n`);
  });

  it("docs/operations.md lists every metric the monitor and the alert Lambda emit, and no other", () => {
    const operations = readFileSync("docs/operations.md", "utf8");
    const table = operations.slice(operations.indexOf("| figure | kind |"));
    const listed = new Set<string>();
    for (const row of table.split("\n").slice(2)) {
      if (!row.trim().startsWith("|")) break;
      for (const name of row.split("|")[1]!.matchAll(/`([A-Za-z]+)`/g)) listed.add(name[1]!);
    }
    const emitted = ["Heartbeat", ...Object.keys(COUNTERS), ...Object.keys(GAUGES)];
    expect([...listed].sort()).toEqual([...emitted].sort());
    for (const name of ESSENTIAL_METRICS)
      expect(operations).toMatch(new RegExp(`nine are declared[\\s\\S]*\`${name}\``));
    for (const name of [SHARD_HEARTBEAT, "AlertsDelivered", ALERT_CHANNEL_FAILURES]) {
      expect(operations).toContain(`\`${name}\``);
    }
  });
});
