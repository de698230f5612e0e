/**
 * A Lambda handler bundled as the stack's NodejsFunction bundles it (lib/bundledFunction.ts): one minified
 * CommonJS file for Node 24, the AWS SDK left to the runtime. Tests run what the stack would deploy.
 */
import { join } from "node:path";
import { build } from "esbuild";
import { PROJECT_ROOT } from "../../lib/paths.ts";

/** `entry` from the repository root, e.g. `lambda-alerts/src/handler.ts`. */
export async function bundleLambda(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [join(PROJECT_ROOT, entry)],
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    minify: true,
    external: ["@aws-sdk/*"],
    outfile,
    logLevel: "silent",
    // The chart assets' loader reads import.meta only when CHART_ASSETS_DIR is unset (as the stack says).
    logOverride: { "empty-import-meta": "silent" },
  });
}
