/**
 * Rendering properties, over generated alerts full of the characters that break chat messages (HTML and
 * Markdown syntax, entities, emoji, very long values, many fields): every Discord payload passes the
 * Discord stand-in's limit checks, every Telegram part parses as Telegram HTML within 4,096 characters
 * and loses no figure, and email subjects stay printable ASCII within 100 characters.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ALERT_KINDS,
  ALERT_SCHEMA,
  type AlertEvent,
  alertEventSchema,
  SEVERITIES,
} from "../../lambda-alerts/src/alertEvent.ts";
import { DISCORD_LIMITS, discordPayload, embedLength } from "../../lambda-alerts/src/render/discord.ts";
import { TELEGRAM_MESSAGE_LIMIT, telegramMessages } from "../../lambda-alerts/src/render/telegram.ts";
import { alertSubject, alertText } from "../../lambda-alerts/src/render/text.ts";
import { cutAt, truncate } from "../../lambda-alerts/src/render/truncate.ts";
import { classifySnsMessage } from "../../lambda-alerts/src/snsMessage.ts";
import { fillsSkippedAlert } from "../../monitor/src/alerts/healthAlerts.ts";
import { alertLinks } from "../../monitor/src/alerts/links.ts";
import { malformedStrings, validateDiscordPayload } from "../support/discordStandIn.ts";
import { parseMarkdownV2, parseTelegramHtml } from "../support/telegramStandIn.ts";

const hostile = fc.constantFrom(
  "<",
  ">",
  "&",
  '"',
  "'",
  "&amp;",
  "&lt;",
  "<b>",
  "</b>",
  "<script>",
  "*",
  "_",
  "__",
  "~",
  "`",
  "```",
  "|",
  "||",
  "\\",
  "[x](y)",
  "#",
  "-",
  ".",
  "!",
  "@everyone",
  "🔴",
  "😀",
  "é",
  "\u0000",
  "\n",
  " ",
  "-0.00012345",
  "BTC",
  "USDC",
);
const text = (maxPieces: number) =>
  fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: hostile },
        { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
        { weight: 1, arbitrary: fc.constant("x".repeat(1500)) },
      ),
      { maxLength: maxPieces },
    )
    .map((pieces) => pieces.join(""));
const nonEmpty = (maxPieces: number, max: number) =>
  text(maxPieces).map((value) => (value.length === 0 ? "x" : value.slice(0, max)));

const alertArbitrary: fc.Arbitrary<AlertEvent> = fc.record({
  schema: fc.constant(ALERT_SCHEMA),
  key: nonEmpty(4, 512),
  kind: fc.constantFrom(...ALERT_KINDS),
  severity: fc.constantFrom(...SEVERITIES),
  title: nonEmpty(20, 1000),
  summary: text(40).map((value) => value.slice(0, 10_000)),
  account: fc.option(fc.constant("0x70997970c51812dc3a010c7d01b50e0d17dc79c8"), { nil: null }),
  coin: fc.option(nonEmpty(3, 20), { nil: null }),
  time: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  fields: fc.array(
    fc.record({ label: nonEmpty(6, 1000), value: text(12).map((value) => value.slice(0, 10_000)) }),
    { maxLength: 40 },
  ),
  links: fc.array(fc.record({ label: nonEmpty(3, 200), url: fc.webUrl({ validSchemes: ["https"] }) }), {
    maxLength: 3,
  }),
});

const squeeze = (value: string) => value.replace(/\s+/g, "");

describe("rendering generated alerts", () => {
  it("generated alerts satisfy the alert schema", () => {
    fc.assert(
      fc.property(alertArbitrary, (alert) => alertEventSchema.safeParse(alert).success),
      { numRuns: 200 },
    );
  });

  it("Discord: no payload exceeds a limit or breaks the format", () => {
    fc.assert(
      fc.property(alertArbitrary, (alert) => {
        const payload = discordPayload(alert);
        expect(validateDiscordPayload(payload)).toEqual([]);
        const embed = payload.embeds[0]!;
        expect(embedLength(embed)).toBeLessThanOrEqual(DISCORD_LIMITS.total);
        expect(payload.allowed_mentions).toEqual({ parse: [] });
        // The title survives, cut at most.
        expect(alert.title.startsWith(embed.title.replace(/…$/, ""))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it("Telegram: every part parses as Telegram HTML, fits 4,096 characters, and no figure is lost", () => {
    fc.assert(
      fc.property(alertArbitrary, (alert) => {
        const parts = telegramMessages(alert);
        expect(parts.length).toBeGreaterThan(0);
        const visible: string[] = [];
        for (const html of parts) {
          const parsed = parseTelegramHtml(html);
          if ("error" in parsed) throw new Error(`${parsed.error} in ${html.slice(0, 200)}`);
          expect(parsed.text.length).toBeLessThanOrEqual(TELEGRAM_MESSAGE_LIMIT);
          expect(parsed.text.trim().length).toBeGreaterThan(0);
          visible.push(parsed.text);
        }
        const all = squeeze(visible.join(""));
        for (const field of alert.fields) expect(all).toContain(squeeze(field.value));
        expect(all).toContain(squeeze(alert.title));
      }),
      { numRuns: 400 },
    );
  });

  it("email: the subject is printable ASCII within 100 characters, the body carries every figure", () => {
    fc.assert(
      fc.property(alertArbitrary, (alert) => {
        const subject = alertSubject(alert);
        expect(subject.length).toBeLessThanOrEqual(100);
        expect(subject).toMatch(/^[\x20-\x7e]+$/);
        const body = alertText(alert);
        for (const field of alert.fields) expect(body).toContain(field.value);
      }),
      { numRuns: 200 },
    );
  });

  it("splits a very long alert into several Telegram messages, in order", () => {
    const alert: AlertEvent = {
      schema: ALERT_SCHEMA,
      key: "long",
      kind: "daily_summary",
      severity: "info",
      title: "Daily summary",
      summary: "",
      account: null,
      coin: null,
      time: 0,
      fields: Array.from({ length: 100 }, (_, i) => ({
        label: `coin ${i} <&>`,
        value: `${i}`.padStart(90, "9"),
      })),
      links: [],
    };
    const parts = telegramMessages(alert);
    expect(parts.length).toBe(3);
    const texts = parts.map((html) => {
      const parsed = parseTelegramHtml(html);
      if ("error" in parsed) throw new Error(parsed.error);
      return parsed.text;
    });
    expect(texts[0]!.startsWith("🔵 Daily summary")).toBe(true);
    expect(texts.join("\n")).toContain("coin 99 <&>: ");
  });
});

describe("the Telegram stand-in rejects what Telegram rejects", () => {
  it("HTML", () => {
    expect(parseTelegramHtml("<b>ok</b> &lt;x&gt;")).toEqual({ text: "ok <x>" });
    expect(parseTelegramHtml("<foo>x</foo>")).toEqual({
      error: 'Unsupported start tag "foo" at byte offset 0',
    });
    expect(parseTelegramHtml("<b>x")).toEqual({
      error: 'Can\'t find end tag corresponding to start tag "b"',
    });
    expect(parseTelegramHtml("<b><i>x</b></i>")).toHaveProperty("error");
    expect(parseTelegramHtml("PnL < 0")).toHaveProperty("error");
    expect(parseTelegramHtml("A & B")).toHaveProperty("error");
  });

  it("MarkdownV2", () => {
    expect(parseMarkdownV2("*bold* 1\\.5")).toEqual({ text: "bold 1.5" });
    expect(parseMarkdownV2("price 1.5")).toEqual({
      error: "Character '.' is reserved and must be escaped with the preceding '\\'",
    });
    expect(parseMarkdownV2("*open")).toHaveProperty("error");
  });
});

/** Text where most characters are astral (two UTF-16 units): any cut by units is likely to land inside one. */
const emojiHeavy = (minLength: number, maxLength: number) =>
  fc
    .array(fc.constantFrom("🚨", "😀", "🔴", "👍🏽", "🇯🇵", "x", "é", " ", "\n", "<", "&", "𝟘"), {
      minLength: Math.ceil(minLength / 2),
      maxLength,
    })
    .map((pieces) => pieces.join(""));

const wellFormed = (value: unknown) => malformedStrings(value, "").length === 0;

describe("cuts never split a character (emoji-heavy text at every length boundary)", () => {
  it("cutAt and truncate at every length give well-formed text within the limit", () => {
    fc.assert(
      fc.property(emojiHeavy(0, 60), (value) => {
        for (let units = 0; units <= value.length + 1; units++) {
          const cut = cutAt(value, units);
          const short = truncate(value, units);
          expect(cut.isWellFormed() && short.isWellFormed()).toBe(true);
          expect(cut.length).toBeLessThanOrEqual(Math.max(0, units));
          expect(short.length).toBeLessThanOrEqual(Math.max(0, units));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a plain SNS message around the 3,000-unit cut becomes a well-formed summary", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2_990, max: 3_010 }), emojiHeavy(40, 60), (prefix, tail) => {
        const message = `${"x".repeat(prefix)}${tail}`;
        const { alert } = classifySnsMessage({ MessageId: "m", Message: message });
        expect(alert.summary.isWellFormed()).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("Discord and Telegram texts cut at their limits stay well-formed", () => {
    // Padding puts the emoji right at each limit: title 256, field value 1,024, description 4,096,
    // Telegram's 4,096 per part.
    const around = (limit: number) => fc.integer({ min: Math.max(0, limit - 6), max: limit + 2 });
    fc.assert(
      fc.property(
        around(256),
        around(1_024),
        around(4_096),
        emojiHeavy(10, 30),
        (titlePad, valuePad, summaryPad, emoji) => {
          const alert: AlertEvent = {
            schema: ALERT_SCHEMA,
            key: "k",
            kind: "monitor_degraded",
            severity: "warning",
            title: `${"t".repeat(titlePad)}${emoji}`.slice(0, 1_000),
            summary: `${"s".repeat(summaryPad)}${emoji}`,
            account: null,
            coin: null,
            time: 1_700_000_000_000,
            fields: [{ label: "Raw", value: `${"v".repeat(valuePad)}${emoji}` }],
            links: [],
          };
          const payload = discordPayload(alert);
          expect(wellFormed(payload)).toBe(true);
          expect(validateDiscordPayload(payload)).toEqual([]);
          for (const part of telegramMessages(alert)) expect(part.isWellFormed()).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("the monitor's own cuts (skipped-fill raw text) stay well-formed", () => {
    const links = alertLinks("mainnet", null);
    fc.assert(
      fc.property(fc.integer({ min: 980, max: 1_002 }), emojiHeavy(20, 40), (pad, emoji) => {
        const alert = fillsSkippedAlert(
          "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
          [{ reason: "bad", time: null, raw: `${"r".repeat(pad)}${emoji}` }],
          1_700_000_000_000,
          links,
          "socket",
        );
        expect(wellFormed(alert)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

describe("the monitor keeps alerts short: one Telegram message each", () => {
  it("the largest monitor alert (skipped fills with long raw texts) fits one Telegram part", () => {
    const items = Array.from({ length: 50 }, (_, i) => ({
      reason: `fill ${i} failed validation`,
      time: 1_700_000_000_000 + i,
      raw: "{".repeat(20_000),
    }));
    const alert = fillsSkippedAlert(
      "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
      items,
      1_700_000_000_000,
      alertLinks("mainnet", "https://eu-west-1.console.aws.amazon.com/cloudwatch/home"),
      "rest",
    )!;
    expect(telegramMessages(alert)).toHaveLength(1);
  });
});
