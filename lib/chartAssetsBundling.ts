/**
 * What a Lambda that draws charts (lambda-alerts/src/render/pnlChart.ts) needs in its package: resvg's
 * WebAssembly build and the Inter TTFs are files, not modules, so esbuild cannot bundle them; they are
 * copied next to index.js into `chart-assets/`, and CHART_ASSETS_DIR points there. Used by the alert
 * Lambda (daily summary) and the commands Lambda (`/pnl`).
 */
import type { ICommandHooks } from "aws-cdk-lib/aws-lambda-nodejs";
import { CHART_ASSETS } from "../lambda-alerts/src/render/chartAssets.ts";

/** Where the chart assets sit in the Lambda package. */
export const CHART_ASSETS_FOLDER = "chart-assets";

/** The function's environment for the renderer (Lambda unpacks the package into /var/task). */
export const CHART_ASSETS_ENVIRONMENT = { CHART_ASSETS_DIR: `/var/task/${CHART_ASSETS_FOLDER}` };

/** The NodejsFunction `bundling` options that put the assets in the package. */
export function chartAssetsBundling(): {
  esbuildArgs: Record<string, string>;
  commandHooks: ICommandHooks & { afterBundling(inputDir: string, outputDir: string): string[] };
} {
  return {
    // chartAssets.ts reads import.meta only when CHART_ASSETS_DIR is unset, which it never is here.
    esbuildArgs: { "--log-override:empty-import-meta": "silent" },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      // The same bytes on ARM64 and x86: nothing native to pick per platform.
      afterBundling: (inputDir: string, outputDir: string) => [
        `mkdir -p "${outputDir}/${CHART_ASSETS_FOLDER}"`,
        ...Object.values(CHART_ASSETS).map(
          ({ file, packagePath }) =>
            `cp "${inputDir}/node_modules/${packagePath}" "${outputDir}/${CHART_ASSETS_FOLDER}/${file}"`,
        ),
      ],
    },
  };
}
