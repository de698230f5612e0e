/**
 * `npm run build:monitor [-- --outdir DIR]`: bundles the monitor (monitor/src/main.ts) into one ES module
 * with its source map, the file the container image runs (`node --optimize-for-size monitor.mjs`, see
 * monitor/Dockerfile) and the file the benchmark measures (test/bench): both call `buildMonitor`.
 *
 * Everything the monitor loads is bundled, so the image needs no node_modules: the AWS SDK clients, the
 * Hyperliquid and Supabase clients, pino (its JSON and pretty output are both written in-process; no
 * worker-thread transport is used) and decimal.js. Left out is the embedded local store (dynalite and
 * its native LevelDB binding), which only `DB_MODE=local` on a developer's machine runs: in the bundle
 * its module is replaced by monitor/src/storage/localUnavailable.ts, which says so in one line.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { decode, encode, type SourceMapSegment } from "@jridgewell/sourcemap-codec";
import { build, type Plugin } from "esbuild";
import { parseCommandLine } from "../monitor/src/commandLine.ts";

/** The repository root (this script also runs inside the image's build stage, without lib/). */
const ROOT = join(import.meta.dirname, "..");
export const MONITOR_ENTRY = "monitor/src/main.ts";
/** The bundle's file name; `.mjs`, so Node loads it as an ES module without a package.json beside it. */
export const MONITOR_BUNDLE = "monitor.mjs";
export const DEFAULT_OUTDIR = "dist";

export interface MonitorBuild {
  bundle: string;
  sourceMap: string;
  bundleBytes: number;
  sourceMapBytes: number;
}

const LOCAL_STORE = resolve(ROOT, "monitor/src/storage/local.ts");
const LOCAL_STORE_STAND_IN = resolve(ROOT, "monitor/src/storage/localUnavailable.ts");

/** Resolves the embedded store's module to its stand-in, wherever it is imported from. */
const withoutLocalStore: Plugin = {
  name: "without-local-store",
  setup(builder) {
    builder.onResolve({ filter: /\/local\.ts$/ }, (args) =>
      resolve(args.resolveDir, args.path) === LOCAL_STORE ? { path: LOCAL_STORE_STAND_IN } : undefined,
    );
  },
};

export async function buildMonitor(outdir: string): Promise<MonitorBuild> {
  const bundle = resolve(outdir, MONITOR_BUNDLE);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [MONITOR_ENTRY],
    outfile: bundle,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    minify: true,
    // The monitor maps the stack it writes when it fails back to monitor/src through this map, read only
    // then (monitor/src/telemetry/stackTrace.ts); the sources stay out of it, which needs only positions.
    sourcemap: "linked",
    sourcesContent: false,
    // CommonJS dependencies (ws, pino) call `require` for Node's built-in modules, which an ES module
    // does not define.
    banner: {
      js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
    },
    plugins: [withoutLocalStore],
    logLevel: "silent",
  });
  if (result.warnings.length > 0) {
    // A warning here (an unresolvable dynamic require, say) would be a failure only at run time.
    throw new Error(`esbuild warnings:\n${result.warnings.map((w) => w.text).join("\n")}`);
  }
  const sourceMap = `${bundle}.map`;
  writeFileSync(sourceMap, JSON.stringify(ownMappingsOnly(JSON.parse(readFileSync(sourceMap, "utf8")))));
  return {
    bundle,
    sourceMap,
    bundleBytes: statSync(bundle).size,
    sourceMapBytes: statSync(sourceMap).size,
  };
}

interface SourceMapV3 {
  version: 3;
  sources: string[];
  names: string[];
  mappings: string;
  [key: string]: unknown;
}

/**
 * Keeps the mappings into the project's own sources (monitor/src, lambda-alerts/src) and marks the
 * dependencies' stretches of the bundle as unmapped. The dependencies' 280,000 mappings would make the
 * map several times larger, cost about 40 MB of memory and 150-250 ms to decode (measured when Node
 * decoded it at start, with --enable-source-maps) at the moment the monitor fails, for stack frames
 * inside libraries, which name the bundle's line and column instead.
 */
export function ownMappingsOnly(map: SourceMapV3): SourceMapV3 {
  const own = map.sources.map((source) => !source.split("/").includes("node_modules"));
  const sources: string[] = [];
  const names: string[] = [];
  const sourceIndex = new Map<number, number>();
  const nameIndex = new Map<number, number>();
  const reindex = (index: number, from: string[], to: string[], seen: Map<number, number>) => {
    let mapped = seen.get(index);
    if (mapped === undefined) {
      mapped = to.push(from[index]!) - 1;
      seen.set(index, mapped);
    }
    return mapped;
  };
  const lines = decode(map.mappings).map((line) => {
    const kept: SourceMapSegment[] = [];
    let unmapped = false;
    for (const segment of line) {
      if (segment.length === 1 || !own[segment[1]]) {
        // One unmapped segment starts each run of dependency code, so it is not taken for the own code
        // before it.
        if (!unmapped) kept.push([segment[0]]);
        unmapped = true;
        continue;
      }
      unmapped = false;
      const source = reindex(segment[1], map.sources, sources, sourceIndex);
      kept.push(
        segment.length === 5
          ? [segment[0], source, segment[2], segment[3], reindex(segment[4], map.names, names, nameIndex)]
          : [segment[0], source, segment[2], segment[3]],
      );
    }
    return kept;
  });
  return { ...map, sources, names, mappings: encode(lines) };
}

if (import.meta.filename === process.argv[1]) {
  const values = parseCommandLine({
    name: "build:monitor",
    command: "npm run build:monitor --",
    summary: `Bundles the monitor into ${MONITOR_BUNDLE} and its source map: what the container image runs and the benchmark measures.`,
    options: { outdir: { type: "string", default: DEFAULT_OUTDIR } },
    describe: { outdir: "folder for the bundle and its source map" },
  });
  const built = await buildMonitor(values.outdir);
  for (const [file, bytes] of [
    [built.bundle, built.bundleBytes],
    [built.sourceMap, built.sourceMapBytes],
  ] as const) {
    process.stdout.write(`${relative(process.cwd(), file)}  ${(bytes / 1024).toFixed(1)} KB\n`);
  }
}
