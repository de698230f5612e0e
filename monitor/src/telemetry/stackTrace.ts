/**
 * Stack traces of the bundled monitor, mapped back to monitor/src at the moment one is written.
 *
 * The image runs the bundle without `--enable-source-maps`: that flag has Node parse the source
 * map when the bundle loads and keep it for the life of the process, about 8 MB of the task's resident
 * memory (the benchmark's figure), for the stacks the monitor writes only when it fails (everything it
 * survives is logged as a name and a message). Here the map beside the bundle (`monitor.mjs.map`, the
 * build's linked map) is read only when a stack is written, and let go with it. Run from the sources (no
 * map beside them) a stack already names the .ts files, and is returned as it is.
 */
import { readFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import { fileURLToPath } from "node:url";

/** A V8 stack frame with a position: `at name (file:line:column)` or `at file:line:column`. */
const FRAME = /^(\s*at )(?:(async )?(.*?) \()?((?:file:\/\/)?\/[^\s()]+):(\d+):(\d+)\)?$/;

/** The map of a generated file: `<file>.map` beside it (esbuild's linked map), or null when there is none. */
export function sourceMapBeside(file: string): SourceMap | null {
  const path = file.startsWith("file://") ? fileURLToPath(file) : file;
  try {
    return new SourceMap(JSON.parse(readFileSync(`${path}.map`, "utf8")) as SourceMapPayload);
  } catch {
    return null;
  }
}

interface MappedFrame {
  indent: string;
  async: string;
  /** The function's name as V8 wrote it (minified in the bundle), or undefined for `at file:line:column`. */
  name: string | undefined;
  /** The original position, `monitor/src/…ts:line:column`, or undefined where the map has none. */
  position: string | undefined;
  /** The original name of the identifier at this position (a call's callee), from the map's names. */
  calleeName: string | undefined;
}

/**
 * `stack` with each frame in a mapped file pointing at the original source, line and column (the map's
 * sources are relative to the map; the leading `../` are dropped, so a frame reads
 * `monitor/src/runtime/monitor.ts:320:11`), and named as the source names it: the bundle's names are
 * minified, so, as Node's own source-map support does, a frame takes the original name of the callee at
 * its caller's position (the frame below it). Frames the map does not cover (Node's own, a dependency's
 * code, which the build leaves unmapped) keep their text. Never throws: a stack that cannot be mapped is
 * returned unchanged.
 */
export function mappedStack(
  stack: string,
  mapFor: (file: string) => SourceMap | null = sourceMapBeside,
): string {
  const maps = new Map<string, SourceMap | null>();
  try {
    const lines = stack.split("\n");
    const frames: (MappedFrame | undefined)[] = lines.map((line) => {
      const frame = FRAME.exec(line);
      if (!frame) return undefined;
      const [, indent = "", async = "", name, file = "", line1 = "", column1 = ""] = frame;
      if (!maps.has(file)) maps.set(file, mapFor(file));
      const map = maps.get(file);
      // V8's positions are 1-based; findEntry takes 0-based ones.
      const entry = map?.findEntry(Number(line1) - 1, Number(column1) - 1);
      if (!entry || !("originalSource" in entry)) {
        return { indent, async, name, position: undefined, calleeName: undefined };
      }
      const source = entry.originalSource.replace(/^(\.\.\/)+/, "");
      return {
        indent,
        async,
        name,
        position: `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`,
        // Node's entry carries the map's name for the position; @types/node does not declare it.
        calleeName: (entry as { name?: string }).name,
      };
    });
    return lines
      .map((line, index) => {
        const frame = frames[index];
        if (!frame?.position) return line;
        const name = frames[index + 1]?.calleeName ?? frame.name;
        return name === undefined
          ? `${frame.indent}${frame.async}${frame.position}`
          : `${frame.indent}${frame.async}${name} (${frame.position})`;
      })
      .join("\n");
  } catch {
    return stack;
  }
}

/** An error's name, message and (mapped) stack, for the one line the monitor writes when it fails. */
export function fatalErrorFields(error: unknown): { name: string; message: string; stack?: string } {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const fields: { name: string; message: string; stack?: string } = {
    name: error.name,
    message: error.message,
  };
  if (typeof error.stack === "string") fields.stack = mappedStack(error.stack);
  return fields;
}
