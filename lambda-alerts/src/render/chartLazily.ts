/**
 * The chart renderer behind a dynamic import, for the Lambdas that draw a chart only sometimes (an alert
 * with a chart, a `/pnl` reply): the chart module (d3, the resvg WebAssembly module and the fonts) is
 * loaded on first use, so everything else never pays for it. Bundled, the import stays inside the one file
 * and is evaluated only when called.
 */
import type { PnlChartInput } from "./pnlChart.ts";

/** The file name a chart goes by in Discord (`attachment://pnl.png`) and Telegram. */
export const CHART_FILENAME = "pnl.png";

export async function renderChartLazily(chart: PnlChartInput): Promise<Uint8Array> {
  const { renderPnlChartPng } = await import("./pnlChart.ts");
  return renderPnlChartPng(chart);
}
