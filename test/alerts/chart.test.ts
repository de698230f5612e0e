/**
 * The PnL chart: a real PNG of the documented size from the bundled fonts (no system font), for empty,
 * one-point and full series; the daily summary's series; and delivery of the picture through the
 * loopback Discord (multipart `payload_json` + `files[0]`, embed image `attachment://pnl.png`) and
 * Telegram (`sendPhoto`), falling back to the text alert when a channel refuses the picture.
 */
import { describe, expect, it } from "vitest";
import {
  ALERT_SCHEMA,
  type AlertEvent,
  alertEventSchema,
  MAX_CHART_POINTS,
} from "../../lambda-alerts/src/alertEvent.ts";
import { deliverAlert } from "../../lambda-alerts/src/deliver.ts";
import { MemoryDeliveryLedger } from "../../lambda-alerts/src/deliveryLedger.ts";
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  ChartInputError,
  pnlChartSvg,
  renderPnlChartPng,
} from "../../lambda-alerts/src/render/pnlChart.ts";
import { dailySummaryAlert } from "../../monitor/src/alerts/dailySummary.ts";
import { alertLinks } from "../../monitor/src/alerts/links.ts";
import { cumulativePnlSeries } from "../../monitor/src/domain/pnlSeries.ts";
import type { ClosedPosition } from "../../monitor/src/domain/types.ts";
import { DiscordStandIn } from "../support/discordStandIn.ts";
import { isPng, pngSize } from "../support/multipart.ts";
import { TelegramStandIn } from "../support/telegramStandIn.ts";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);
const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";

/** 30 days of closes with exact decimal PnL (a fixed pattern: the render is compared across runs). */
function month(): ClosedPosition[] {
  return Array.from({ length: 30 }, (_, i) =>
    closed(T0 + i * DAY + (i % 7) * 3_600_000, i % 3 === 0 ? `-${i}.125` : `${i * 2}.5`, i),
  );
}

function closed(closedAt: number, realizedPnl: string, n = 0): ClosedPosition {
  return {
    account: ACCOUNT,
    coin: "BTC",
    positionId: `BTC#${closedAt - 60_000}#f${n}`,
    side: "long",
    maxSize: "0.1",
    closedSize: "0.1",
    entryPx: "60000",
    exitPx: "60100",
    openedAt: closedAt - 60_000,
    closedAt,
    durationMs: 60_000,
    fees: "0.1",
    closedPnl: realizedPnl,
    realizedPnl,
    fillCount: 2,
    liquidated: false,
    partialHistory: false,
  };
}

describe("PnL chart rendering", () => {
  it("draws a 1080×720 PNG of a month, the same bytes every time", async () => {
    const series = cumulativePnlSeries(month(), { from: T0, to: T0 + 30 * DAY - 1 }, MAX_CHART_POINTS);
    const input = {
      title: "Realised PnL, last 30 days",
      cumulativePnl: series,
      accountValue: series.map((point) => ({ t: point.t, value: `1000${point.value.replace("-", "")}` })),
    };
    const png = await renderPnlChartPng(input);
    expect(isPng(png)).toBe(true);
    expect(pngSize(png)).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
    // Text, lines and antialiasing at this size: tens of kilobytes, far below both services' limits.
    expect(png.length).toBeGreaterThan(30_000);
    expect(png.length).toBeLessThan(200_000);
    expect(Buffer.from(await renderPnlChartPng(input)).equals(Buffer.from(png))).toBe(true);
  });

  it("draws the empty period and a single point without throwing", async () => {
    for (const cumulativePnl of [[], [{ t: T0, value: "-12.5" }]]) {
      const png = await renderPnlChartPng({ title: "Realised PnL", cumulativePnl });
      expect(pngSize(png)).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
    }
    expect(pnlChartSvg({ title: "x", cumulativePnl: [] })).toContain("No closed positions in this period");
    const accountOnly = pnlChartSvg({
      title: "x",
      cumulativePnl: [],
      accountValue: [{ t: T0, value: "100" }],
    });
    expect(accountOnly).toContain("No closed positions in this period");
  });

  it("shows the latest figures exactly as given and escapes the title", () => {
    const svg = pnlChartSvg({
      title: "PnL <0x7099…79c8> & co",
      cumulativePnl: [
        { t: T0, value: "0" },
        { t: T0 + DAY, value: "123.456789" },
      ],
      accountValue: [{ t: T0, value: "10000.01" }],
    });
    expect(svg).toContain("Realised PnL: +123.456789 USDC");
    expect(svg).toContain("Account value: 10000.01 USDC");
    expect(svg).toContain("PnL &#60;0x7099…79c8&#62; &#38; co");
  });

  it("refuses a point that is not a number with an actionable error", () => {
    expect(() => pnlChartSvg({ title: "x", cumulativePnl: [{ t: T0, value: "abc" }] })).toThrow(
      ChartInputError,
    );
    expect(() => pnlChartSvg({ title: "x", cumulativePnl: [{ t: Number.NaN, value: "1" }] })).toThrow(
      /cumulativePnl\[0\] is not a point/,
    );
  });
});

describe("cumulative PnL series", () => {
  it("sums exactly from 0 at the start of the period, one point per close", () => {
    const series = cumulativePnlSeries(
      [closed(T0 + 2 * DAY, "0.1"), closed(T0 + DAY, "0.2"), closed(T0 - DAY, "100")],
      { from: T0, to: T0 + 30 * DAY },
      500,
    );
    expect(series).toEqual([
      { t: T0, value: "0" },
      { t: T0 + DAY, value: "0.2" },
      { t: T0 + 2 * DAY, value: "0.3" },
    ]);
    expect(cumulativePnlSeries([], { from: T0, to: T0 + DAY }, 500)).toEqual([]);
  });

  it("merges a busy month into at most the cap, keeping the exact final total", () => {
    const many = Array.from({ length: 3_000 }, (_, i) => closed(T0 + i * 800_000, "0.01", i));
    const series = cumulativePnlSeries(many, { from: T0, to: T0 + 30 * DAY - 1 }, MAX_CHART_POINTS);
    expect(series.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    expect(series.at(-1)!.value).toBe("30");
  });

  it("the daily summary carries the last 30 days, well inside SNS's 256 KB with the cap", () => {
    const many = Array.from({ length: 5_000 }, (_, i) => closed(T0 + i * 500_000, "-1234567.123456", i));
    const alert = dailySummaryAlert(
      {
        account: ACCOUNT,
        dayStart: T0 + 28 * DAY,
        fills: [],
        closed: [],
        funding: null,
        accountValue: null,
        chartClosed: many,
      },
      alertLinks("mainnet", null),
    );
    expect(alertEventSchema.safeParse(alert).success).toBe(true);
    expect(alert.chart!.title).toBe("Realised PnL, last 30 days to 2026-11-29 (UTC)");
    expect(alert.chart!.cumulativePnl.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    expect(Buffer.byteLength(JSON.stringify(alert))).toBeLessThan(64 * 1024);
  });
});

const withChart = (): AlertEvent => ({
  schema: ALERT_SCHEMA,
  key: `daily_summary:${ACCOUNT}:2026-11-29`,
  kind: "daily_summary",
  severity: "info",
  title: "Daily summary 2026-11-29: +12.5 USDC",
  summary: "Trading on 2026-11-29 (UTC).",
  account: ACCOUNT,
  coin: null,
  time: T0 + 29 * DAY,
  fields: [{ label: "Realised PnL (net of fees)", value: "+12.5 USDC" }],
  links: [],
  chart: {
    title: "Realised PnL, last 30 days",
    cumulativePnl: cumulativePnlSeries(month(), { from: T0, to: T0 + 30 * DAY - 1 }, MAX_CHART_POINTS),
  },
});

async function channels() {
  const discord = await DiscordStandIn.start();
  const telegram = await TelegramStandIn.start();
  const settings = {
    discordWebhookUrl: discord.webhookUrl,
    telegram: { apiUrl: telegram.url, botToken: telegram.botToken, chatId: telegram.chatId },
  };
  const timing = { deadline: Date.now() + 20_000, sleep: async () => {} };
  return {
    discord,
    telegram,
    deliver: (
      event: AlertEvent,
      renderChart?: (chart: NonNullable<AlertEvent["chart"]>) => Promise<Uint8Array>,
    ) =>
      deliverAlert(event, {
        settings,
        ledger: new MemoryDeliveryLedger(),
        timing,
        ...(renderChart ? { renderChart } : {}),
      }),
    close: async () => {
      await discord.close();
      await telegram.close();
    },
  };
}

describe("chart delivery", () => {
  it("Discord gets the PNG as files[0] shown in the embed; Telegram a photo, then the text", async () => {
    const c = await channels();
    try {
      const report = await c.deliver(withChart());
      expect(report).toMatchObject({ discord: "sent", telegram: "sent", chart: "sent", chartErrors: [] });
      const [message] = c.discord.messages;
      expect(message!.embeds[0]!.image).toEqual({ url: "attachment://pnl.png" });
      expect(message!.files).toHaveLength(1);
      expect(message!.files![0]).toMatchObject({
        field: "files[0]",
        filename: "pnl.png",
        contentType: "image/png",
      });
      expect(pngSize(message!.files![0]!.bytes)).toEqual({ width: 1080, height: 720 });
      expect(c.telegram.photos).toHaveLength(1);
      expect(c.telegram.photos[0]).toMatchObject({
        caption: "Daily summary 2026-11-29: +12.5 USDC",
        width: 1080,
      });
      expect(c.telegram.messages).toHaveLength(1);
      expect(c.telegram.messages[0]!.text).toContain("Realised PnL (net of fees)");
      expect(c.telegram.photos[0]!.messageId).toBeLessThan(c.telegram.messages[0]!.messageId);
    } finally {
      await c.close();
    }
  });

  it("a picture both services refuse (over their 10 MB limits) still lets the text alert through", async () => {
    const c = await channels();
    try {
      const huge = new Uint8Array(11 * 1024 * 1024);
      huge.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const report = await c.deliver(withChart(), async () => huge);
      expect(report).toMatchObject({ discord: "sent", telegram: "sent", chart: "text_only", errors: [] });
      expect(report.chartErrors.join("\n")).toMatch(/discord: HTTP 413 \(code 40005/);
      expect(report.chartErrors.join("\n")).toMatch(/telegram: HTTP 400 \(Bad Request: file is too big\)/);
      expect(c.discord.rejected.map((r) => r.status)).toEqual([413]);
      expect(c.discord.messages).toHaveLength(1);
      expect(c.discord.messages[0]!.files).toBeUndefined();
      expect(c.discord.messages[0]!.embeds[0]!.image).toBeUndefined();
      expect(c.telegram.photos).toHaveLength(0);
      expect(c.telegram.messages).toHaveLength(1);
    } finally {
      await c.close();
    }
  });

  it("a chart that cannot be drawn sends the text alone; an alert without a chart never loads the renderer", async () => {
    const c = await channels();
    try {
      const report = await c.deliver(withChart(), async () => {
        throw new Error("wasm not found");
      });
      expect(report).toMatchObject({ discord: "sent", telegram: "sent", chart: "text_only" });
      expect(report.chartErrors).toEqual(["chart not drawn: Error: wasm not found"]);
      let loaded = false;
      const { chart: _chart, ...plain } = withChart();
      const second = await c.deliver({ ...plain, key: "no-chart" }, async () => {
        loaded = true;
        return new Uint8Array();
      });
      expect(second.chart).toBe("none");
      expect(loaded).toBe(false);
      expect(c.discord.messages).toHaveLength(2);
      expect(c.telegram.photos).toHaveLength(0);
    } finally {
      await c.close();
    }
  });
});
