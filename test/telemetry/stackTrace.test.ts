/**
 * Mapping a failure's stack back to the sources (monitor/src/telemetry/stackTrace.ts), against maps made
 * here with the same codec the build uses; test/cdk/monitorBundle.test.ts does it end to end with the
 * real bundle and its map.
 */
import { SourceMap, type SourceMapPayload } from "node:module";
import { encode } from "@jridgewell/sourcemap-codec";
import { describe, expect, it } from "vitest";
import { fatalErrorFields, mappedStack } from "../../monitor/src/telemetry/stackTrace.ts";

/**
 * A bundle of one line: `function a(){b()}` at column 0 from a.ts line 10 (column 2 is the call of `b`,
 * originally `loadSettings`), `function b(){…}` at column 20 from b.ts line 3, column 30 the place b
 * throws (b.ts line 4, column 5), then a dependency's stretch from column 40, left unmapped as the build
 * leaves it, and a.ts again from column 60.
 */
const map = new SourceMap({
  version: 3,
  file: "monitor.mjs",
  sources: ["../monitor/src/a.ts", "../monitor/src/b.ts"],
  names: ["loadSettings"],
  mappings: encode([[[0, 0, 9, 0], [2, 0, 9, 4, 0], [20, 1, 2, 0], [30, 1, 3, 4], [40], [60, 0, 11, 0]]]),
} as SourceMapPayload);
const BUNDLE = "file:///app/monitor.mjs";
const mapFor = (file: string) => (file === BUNDLE ? map : null);

describe("a failure's stack", () => {
  it("names the original file, line and column, and the callee's original name", () => {
    const stack = [
      "Error: settings unreadable",
      `    at Xe (${BUNDLE}:1:31)`,
      `    at async Object.Qa (${BUNDLE}:1:3)`,
      `    at ${BUNDLE}:1:1`,
      "    at process.processTicksAndRejections (node:internal/process/task_queues:104:5)",
    ].join("\n");
    expect(mappedStack(stack, mapFor).split("\n")).toEqual([
      "Error: settings unreadable",
      // Named from the caller's position (a.ts 10:5 is the call `loadSettings(…)`).
      "    at loadSettings (monitor/src/b.ts:4:5)",
      // Its caller is a line without a name in the map: V8's name stays.
      "    at async Object.Qa (monitor/src/a.ts:10:5)",
      "    at monitor/src/a.ts:10:1",
      "    at process.processTicksAndRejections (node:internal/process/task_queues:104:5)",
    ]);
  });

  it("leaves a dependency's frames, other files' frames and unmappable stacks as they are", () => {
    const dependency = `    at pino (${BUNDLE}:1:45)`;
    const other = "    at run (/app/other.mjs:3:4)";
    expect(mappedStack(`Error: x\n${dependency}\n${other}`, mapFor)).toBe(
      `Error: x\n${dependency}\n${other}`,
    );
    // No map beside the file (the monitor run from its sources): read from disk, found missing.
    const fromSources = "Error: x\n    at start (/repo/monitor/src/runtime/monitor.ts:12:3)";
    expect(mappedStack(fromSources)).toBe(fromSources);
    const broken = () => {
      throw new Error("unreadable map");
    };
    expect(mappedStack(`Error: x\n    at a (${BUNDLE}:1:1)`, broken)).toBe(
      `Error: x\n    at a (${BUNDLE}:1:1)`,
    );
  });

  it("is written with the error's name and message, and without one for a thrown non-error", () => {
    const error = new TypeError("bad");
    expect(fatalErrorFields(error)).toMatchObject({ name: "TypeError", message: "bad" });
    expect(fatalErrorFields(error).stack).toContain("test/telemetry/stackTrace.test.ts");
    expect(fatalErrorFields("text")).toEqual({ name: "Error", message: "text" });
  });
});
