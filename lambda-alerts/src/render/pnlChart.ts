/**
 * A PNG chart of cumulative realised PnL (and account value, where snapshots exist) for chat messages.
 *
 * The geometry (scales, ticks, tick labels, line paths) comes from d3-scale and d3-shape, assembled into
 * an SVG document that resvg (WebAssembly, so the same code runs on an ARM64 Lambda and on any developer
 * machine) turns into a PNG with the bundled Inter fonts: no system font is assumed or loaded.
 *
 * Sized for a phone: 1080×720 px (3:2, shown full width in Discord and Telegram), 28 px labels, thick
 * lines, the latest figures in the legend. Load this module with a dynamic import: ordinary alerts never
 * pay for d3, the WebAssembly module or the fonts.
 */
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { scaleLinear, scaleUtc } from "d3-scale";
import { curveLinear, curveStepAfter, line } from "d3-shape";
import { readChartAsset } from "./chartAssets.ts";

export interface ChartPoint {
  /** Epoch ms. */
  t: number;
  /** An exact decimal string (USDC). */
  value: string;
}

export interface PnlChartInput {
  title: string;
  cumulativePnl: ChartPoint[];
  accountValue?: ChartPoint[];
}

export const CHART_WIDTH = 1080;
export const CHART_HEIGHT = 720;

const COLORS = {
  background: "#ffffff",
  text: "#111827",
  muted: "#6b7280",
  grid: "#e5e7eb",
  zero: "#9ca3af",
  pnl: "#2563eb",
  accountValue: "#ea580c",
};
const FONT = "Inter";
const TICK_SIZE = 28;

export class ChartInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChartInputError";
  }
}

export async function renderPnlChartPng(input: PnlChartInput): Promise<Uint8Array> {
  const svg = pnlChartSvg(input);
  const fonts = await loadRenderer();
  const resvg = new Resvg(svg, {
    fitTo: { mode: "original" },
    background: COLORS.background,
    font: { fontBuffers: fonts, defaultFontFamily: FONT, sansSerifFamily: FONT },
  });
  try {
    const image = resvg.render();
    try {
      return image.asPng();
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

let renderer: Promise<Uint8Array[]> | null = null;

/** Loads the WebAssembly module once per process, and the fonts with it. */
function loadRenderer(): Promise<Uint8Array[]> {
  renderer ??= (async () => {
    const [wasm, regular, semiBold] = await Promise.all([
      readChartAsset("wasm"),
      readChartAsset("regular"),
      readChartAsset("semiBold"),
    ]);
    await initWasm(wasm);
    return [regular, semiBold];
  })().catch((error: unknown) => {
    renderer = null; // a later call tries again
    throw error;
  });
  return renderer;
}

interface PlotPoint {
  t: number;
  y: number;
}

/**
 * The decimal strings become numbers here only to place points on the canvas (plotting, not money
 * maths): the figures printed in the legend are the input strings themselves.
 */
function toPlot(points: readonly ChartPoint[], series: string): PlotPoint[] {
  return points.map((point, index) => {
    const y = Number(point.value);
    if (!Number.isFinite(point.t) || !Number.isFinite(y)) {
      throw new ChartInputError(
        `${series}[${index}] is not a point: t must be epoch ms and value a decimal string (got t=${String(point.t).slice(0, 20)}, value=${String(point.value).slice(0, 40)})`,
      );
    }
    return { t: point.t, y };
  });
}

/** The chart as an SVG document (exported for tests and for looking at the layout without resvg). */
export function pnlChartSvg(input: PnlChartInput): string {
  const pnl = toPlot(input.cumulativePnl, "cumulativePnl").sort((a, b) => a.t - b.t);
  const value = toPlot(input.accountValue ?? [], "accountValue").sort((a, b) => a.t - b.t);
  const hasValue = value.length > 0;
  const margin = { top: 170, right: hasValue ? 170 : 60, bottom: 90, left: 170 };
  const width = CHART_WIDTH - margin.left - margin.right;
  const height = CHART_HEIGHT - margin.top - margin.bottom;
  const parts: string[] = [];

  parts.push(
    text(margin.left - 140, 62, input.title, { size: 40, weight: 600, anchor: "start" }),
    ...legend(input, margin.left - 140, 124, hasValue),
  );

  const times = [...pnl, ...value].map((point) => point.t);
  if (times.length === 0) {
    parts.push(frame(margin, width, height));
    parts.push(
      text(margin.left + width / 2, margin.top + height / 2, "No closed positions in this period", {
        size: 34,
        anchor: "middle",
        color: COLORS.muted,
      }),
    );
    return document(parts);
  }
  const [tMin, tMax] = padded(Math.min(...times), Math.max(...times), 3_600_000);
  const x = scaleUtc().domain([tMin, tMax]).range([0, width]);
  const spanDays = (tMax - tMin) / 86_400_000;
  const xFormat = x.tickFormat(5, spanDays > 2 ? "%b %-d" : spanDays > 0.25 ? "%b %-d %H:%M" : "%H:%M");

  // PnL axis (left) always shows zero: above or below the line is what the trader looks for.
  const pnlValues = pnl.map((point) => point.y);
  const [pMin, pMax] = padded(Math.min(0, ...pnlValues), Math.max(0, ...pnlValues), 1);
  const y = scaleLinear().domain([pMin, pMax]).range([height, 0]).nice(5);
  const yFormat = y.tickFormat(5, "+$,f");

  parts.push(`<g transform="translate(${margin.left},${margin.top})">`);
  for (const tick of y.ticks(5)) {
    const py = round(y(tick));
    parts.push(line_(0, py, width, py, tick === 0 ? COLORS.zero : COLORS.grid, tick === 0 ? 3 : 2));
    const label = tick === 0 ? "$0" : yFormat(tick);
    parts.push(text(-16, py + 10, label, { size: TICK_SIZE, anchor: "end", color: COLORS.pnl }));
  }
  for (const tick of x.ticks(5)) {
    const px = round(x(tick));
    parts.push(line_(px, height, px, height + 12, COLORS.muted, 2));
    parts.push(text(px, height + 50, xFormat(tick), { size: TICK_SIZE, anchor: "middle" }));
  }
  parts.push(line_(0, height, width, height, COLORS.muted, 2));

  if (hasValue) {
    const values = value.map((point) => point.y);
    const [vMin, vMax] = padded(Math.min(...values), Math.max(...values), 1);
    const v = scaleLinear().domain([vMin, vMax]).range([height, 0]).nice(5);
    const vFormat = v.tickFormat(5, "$,.3~s");
    for (const tick of v.ticks(5)) {
      const py = round(v(tick));
      parts.push(
        text(width + 16, py + 10, vFormat(tick), {
          size: TICK_SIZE,
          anchor: "start",
          color: COLORS.accountValue,
        }),
      );
    }
    const path = line<PlotPoint>()
      .x((point) => round(x(point.t)))
      .y((point) => round(v(point.y)))
      .curve(curveLinear)(value);
    parts.push(series(path, COLORS.accountValue, 4));
    if (value.length === 1) parts.push(dot(x(value[0]!.t), v(value[0]!.y), COLORS.accountValue));
  }

  if (pnl.length === 0) {
    parts.push(
      text(width / 2, height / 2, "No closed positions in this period", {
        size: 34,
        anchor: "middle",
        color: COLORS.muted,
      }),
    );
  } else {
    // Realised PnL moves only when a position closes: a step line, held flat to the end of the period.
    const held = [...pnl, { t: tMax, y: pnl.at(-1)!.y }];
    const path = line<PlotPoint>()
      .x((point) => round(x(point.t)))
      .y((point) => round(y(point.y)))
      .curve(curveStepAfter)(held);
    parts.push(series(path, COLORS.pnl, 5));
    if (pnl.length === 1) parts.push(dot(x(pnl[0]!.t), y(pnl[0]!.y), COLORS.pnl));
  }
  parts.push("</g>");
  return document(parts);
}

function legend(input: PnlChartInput, left: number, baseline: number, hasValue: boolean): string[] {
  const last = input.cumulativePnl.at(-1);
  const pnlText = `Realised PnL${last ? `: ${signedText(last.value)} USDC` : ""}`;
  const items = [swatch(left, baseline, COLORS.pnl), text(left + 44, baseline, pnlText, { size: 28 })];
  if (hasValue) {
    const latest = input.accountValue!.at(-1)!;
    const at = left + 44 + Math.max(360, pnlText.length * 16) + 40;
    items.push(
      swatch(at, baseline, COLORS.accountValue),
      text(at + 44, baseline, `Account value: ${latest.value} USDC`, { size: 28 }),
    );
  }
  return items;
}

/** The input string with an explicit "+" when positive: shown exactly as given, never re-computed. */
function signedText(value: string): string {
  const trimmed = value.trim();
  if (trimmed.startsWith("-") || trimmed.startsWith("+") || /^0*(\.0*)?$/.test(trimmed)) return trimmed;
  return `+${trimmed}`;
}

/** A domain that is never empty: equal ends (one point, a flat line) are moved apart by `minSpan`. */
function padded(min: number, max: number, minSpan: number): [number, number] {
  if (max > min) return [min, max];
  const middle = (min + max) / 2;
  return [middle - minSpan / 2, middle + minSpan / 2];
}

const round = (value: number) => Math.round(value * 10) / 10;

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function text(
  x: number,
  y: number,
  content: string,
  options: { size: number; anchor?: "start" | "middle" | "end"; weight?: number; color?: string },
): string {
  return `<text x="${round(x)}" y="${round(y)}" font-family="${FONT}" font-size="${options.size}" font-weight="${options.weight ?? 400}" text-anchor="${options.anchor ?? "start"}" fill="${options.color ?? COLORS.text}">${escapeXml(content)}</text>`;
}

function line_(x1: number, y1: number, x2: number, y2: number, color: string, width: number): string {
  return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${color}" stroke-width="${width}"/>`;
}

function series(path: string | null, color: string, width: number): string {
  return path
    ? `<path d="${path}" fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round" stroke-linecap="round"/>`
    : "";
}

function dot(cx: number, cy: number, color: string): string {
  return `<circle cx="${round(cx)}" cy="${round(cy)}" r="9" fill="${color}"/>`;
}

function swatch(x: number, baseline: number, color: string): string {
  return `<rect x="${x}" y="${baseline - 14}" width="32" height="8" rx="4" fill="${color}"/>`;
}

function frame(margin: { top: number; left: number }, width: number, height: number): string {
  return `<rect x="${margin.left}" y="${margin.top}" width="${width}" height="${height}" fill="none" stroke="${COLORS.grid}" stroke-width="2"/>`;
}

function document(parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}"><rect width="100%" height="100%" fill="${COLORS.background}"/>${parts.join("")}</svg>`;
}
