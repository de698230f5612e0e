/**
 * The files the chart renderer needs at run time: resvg's WebAssembly module and the Inter TTF fonts
 * (SIL Open Font License 1.1). Nothing comes from the system: resvg gets the font bytes themselves.
 *
 * Deployed, the Lambda bundle is one JavaScript file; the stack copies these files next to it into
 * `chart-assets/` and points CHART_ASSETS_DIR there. Run from the sources (tests, local runs), they are
 * read from the packages in node_modules.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";

export const CHART_ASSETS = {
  wasm: { file: "resvg.wasm", packagePath: "@resvg/resvg-wasm/index_bg.wasm" },
  regular: {
    file: "Inter_400Regular.ttf",
    packagePath: "@expo-google-fonts/inter/400Regular/Inter_400Regular.ttf",
  },
  semiBold: {
    file: "Inter_600SemiBold.ttf",
    packagePath: "@expo-google-fonts/inter/600SemiBold/Inter_600SemiBold.ttf",
  },
} as const;

export type ChartAsset = keyof typeof CHART_ASSETS;

export function chartAssetPath(asset: ChartAsset, env: NodeJS.ProcessEnv = process.env): string {
  const { file, packagePath } = CHART_ASSETS[asset];
  const dir = env.CHART_ASSETS_DIR;
  if (dir) return join(dir, file);
  return createRequire(import.meta.url).resolve(packagePath);
}

export async function readChartAsset(asset: ChartAsset): Promise<Uint8Array> {
  return new Uint8Array(await readFile(chartAssetPath(asset)));
}
