/**
 * The monitor's bundle, the file the image runs (bin/build-monitor.ts): it runs from a folder holding
 * nothing else, with the image's CMD; both log formats work bundled (pino writes in-process, no worker
 * transport); the embedded local store is left out and asking for it says so in one line; the source
 * map leads Node to monitor/src for the project's code and to nothing for a dependency's.
 */
import { readdirSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { join } from "node:path";
import { encode } from "@jridgewell/sourcemap-codec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownMappingsOnly } from "../../bin/build-monitor.ts";
import { LOCAL_STORE_UNAVAILABLE } from "../../monitor/src/storage/localUnavailable.ts";
import { monitorImageCommand } from "../support/dockerfile.ts";
import { ACCOUNT } from "../support/harness.ts";
import { buildImageEntry, type ImageEntry } from "../support/imageEntry.ts";
import { startMonitorProcess } from "../support/monitorProcess.ts";

let entry: ImageEntry;
beforeAll(async () => {
  entry = await buildImageEntry();
}, 60_000);
afterAll(() => entry?.remove());

/** The original file a generated position maps to, if any. */
function sourceAt(map: SourceMap, line: number, column: number): string | undefined {
  const entry = map.findEntry(line, column);
  return "originalSource" in entry ? entry.originalSource : undefined;
}

/** Where Node's source-map support (the class the monitor's stack mapping uses) places a bundle position. */
function originalOf(text: string): string | undefined {
  const bundle = readFileSync(entry.build.bundle, "utf8");
  const offset = bundle.indexOf(text);
  expect(offset, text).toBeGreaterThan(0);
  const before = bundle.slice(0, offset).split("\n");
  const map = new SourceMap(JSON.parse(readFileSync(entry.build.sourceMap, "utf8")));
  return sourceAt(map, before.length - 1, before.at(-1)!.length);
}

describe("the monitor bundle", () => {
  it("is the image's CMD: one ES module and its source map, linked from the bundle", () => {
    expect(monitorImageCommand()).toEqual(["node", "--optimize-for-size", "monitor.mjs"]);
    expect(readdirSync(entry.workdir).sort()).toEqual(["monitor.mjs", "monitor.mjs.map"]);
    expect(
      readFileSync(entry.build.bundle, "utf8").trimEnd().endsWith("//# sourceMappingURL=monitor.mjs.map"),
    ).toBe(true);
  });

  it("holds neither the embedded store nor its database", () => {
    const bundle = readFileSync(entry.build.bundle, "utf8");
    expect(bundle).toContain(LOCAL_STORE_UNAVAILABLE);
    // dynalite's own error text and LevelDB's package: neither reached the bundle.
    expect(bundle).not.toContain("dynalite");
    expect(bundle).not.toContain("classic-level");
  });

  it("maps the project's code to monitor/src and a dependency's code to nothing", () => {
    const map = JSON.parse(readFileSync(entry.build.sourceMap, "utf8"));
    expect(map.sources.some((s: string) => s.includes("node_modules"))).toBe(false);
    expect(map.sources.some((s: string) => s.endsWith("monitor/src/main.ts"))).toBe(true);
    expect(originalOf('"monitor started"')).toMatch(/monitor\/src\/runtime\/monitor\.ts$/);
    expect(originalOf("pending-write bound reached")).toMatch(/monitor\/src\/storage\/openStore\.ts$/);
    // decimal.js's own message prefix: a dependency's code, left unmapped.
    expect(originalOf("[DecimalError] ")).toBeUndefined();
  });

  it("a dependency's stretch after the project's code is unmapped, not taken for that code", () => {
    const trimmed = ownMappingsOnly({
      version: 3,
      sources: ["../monitor/src/a.ts", "../node_modules/lib/b.js"],
      names: ["x", "y"],
      // Generated line 0: own code at column 0 (name x), the library's at 10 (name y) and 20, own code at 30.
      mappings: encode([
        [
          [0, 0, 0, 0, 0],
          [10, 1, 0, 0, 1],
          [20, 1, 3, 0],
          [30, 0, 1, 0],
        ],
      ]),
    });
    expect(trimmed.sources).toEqual(["../monitor/src/a.ts"]);
    expect(trimmed.names).toEqual(["x"]);
    const map = new SourceMap(trimmed as unknown as ConstructorParameters<typeof SourceMap>[0]);
    expect(sourceAt(map, 0, 5)).toBe("../monitor/src/a.ts");
    expect(sourceAt(map, 0, 25)).toBeUndefined();
    expect(map.findEntry(0, 35)).toMatchObject({ originalSource: "../monitor/src/a.ts", originalLine: 1 });
  });

  it("writes a failure's stack mapped to monitor/src, from the map read only then (no --enable-source-maps)", async () => {
    // A recording that is not there: the replay's read fails inside the project's code, and main writes
    // the one fatal line.
    const monitor = startMonitorProcess(
      {
        ACCOUNT_ADDRESS: ACCOUNT,
        DB_MODE: "dynamodb",
        AWS_REGION: "us-east-1",
        DYNAMODB_ENDPOINT: "http://127.0.0.1:9",
      },
      {
        cwd: entry.workdir,
        args: [...entry.args, "--replay", join(entry.workdir, "no-such-recording.jsonl")],
      },
    );
    const { code } = await monitor.exited;
    expect(code).toBe(1);
    const fatal = monitor
      .output()
      .split("\n")
      .filter((line) => line.includes('"level":"fatal"'))
      .map(
        (line) => JSON.parse(line) as { msg: string; err: { name: string; message: string; stack: string } },
      );
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toBe("monitor failed");
    expect(fatal[0]!.err.message).toContain("ENOENT");
    // The frame inside readRecording, at the line of its readFileSync call, named as the source names it.
    const source = readFileSync("monitor/src/standin/recording.ts", "utf8").split("\n");
    const line = source.findIndex((text) => text.includes("parseRecording(readFileSync(path")) + 1;
    expect(line).toBeGreaterThan(0);
    expect(fatal[0]!.err.stack).toMatch(
      new RegExp(
        `\\n {4}at readRecording \\((?:[\\w.-]+/)*monitor/src/standin/recording\\.ts:${line}:\\d+\\)\\n`,
      ),
    );
    expect(fatal[0]!.err.stack).toMatch(/at \S+ \((?:[\w.-]+\/)*monitor\/src\/main\.ts:\d+:\d+\)/);
    expect(fatal[0]!.err.stack).not.toContain("monitor.mjs:");
  }, 30_000);

  it("logs pretty lines bundled, and DB_MODE=local gives one line saying what to use instead", async () => {
    const monitor = startMonitorProcess(
      {
        ACCOUNT_ADDRESS: ACCOUNT,
        DB_MODE: "local",
        LOG_FORMAT: "pretty",
        // Two shards: the monitor logs which accounts this shard watches before it opens the store.
        SHARD_COUNT: "2",
        SHARD_INDEX: "0",
      },
      { cwd: entry.workdir, args: entry.args },
    );
    const { code } = await monitor.exited;
    expect(code).toBe(2);
    expect(monitor.output()).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}watching this shard's accounts {2}shard=/m,
    );
    expect(monitor.output()).toContain(`configuration error: ${LOCAL_STORE_UNAVAILABLE}\n`);
    expect(monitor.output()).not.toMatch(/\n\s+at /);
  }, 30_000);
});
