/**
 * Telegram `sendMessage` texts in HTML parse mode.
 *
 * HTML rather than MarkdownV2: three characters to escape (`&`, `<`, `>`, plus `"` inside attributes)
 * instead of eighteen, so a price, a coin name or an alarm reason can never break the message. A message
 * is built as lines of styled segments, escaped at the last moment, and split between lines into
 * messages of at most 4,096 visible characters (Telegram's limit counts text after entity parsing, so
 * tags do not count; a line longer than that is split inside its text, never inside a tag or entity).
 */
import type { AlertEvent } from "../alertEvent.ts";
import { TELEGRAM_CAPTION_LIMIT } from "../channels/telegram.ts";
import { cutAt } from "./truncate.ts";

export const TELEGRAM_MESSAGE_LIMIT = 4_096;

const SEVERITY_ICON: Record<AlertEvent["severity"], string> = {
  critical: "🔴",
  warning: "🟠",
  info: "🔵",
  success: "🟢",
};

type Style = "plain" | "bold" | "italic" | "code";
interface Segment {
  text: string;
  style: Style;
  href?: string;
}
type Line = Segment[];

export function telegramMessages(event: AlertEvent, limit = TELEGRAM_MESSAGE_LIMIT): string[] {
  const lines: Line[] = [
    [
      { text: `${SEVERITY_ICON[event.severity]} `, style: "plain" },
      { text: event.title, style: "bold" },
    ],
  ];
  if (event.summary) lines.push(...event.summary.split("\n").map((text): Line => [{ text, style: "plain" }]));
  for (const field of event.fields) {
    lines.push([
      { text: `${field.label}: `, style: "plain" },
      { text: field.value, style: "code" },
    ]);
  }
  if (event.links.length > 0) {
    const links: Line = [];
    event.links.forEach((link, index) => {
      if (index > 0) links.push({ text: " · ", style: "plain" });
      links.push({ text: link.label, style: "plain", href: link.url });
    });
    lines.push(links);
  }
  lines.push([{ text: new Date(event.time).toISOString().replace("T", " ").slice(0, 19), style: "italic" }]);
  return splitIntoMessages(lines, limit).map((message) => message.map(renderLine).join("\n"));
}

/** A photo's caption: the title in bold, cut to Telegram's caption limit (counted on the plain text). */
export function telegramCaptionHtml(title: string): string {
  return `<b>${escapeHtml(cutAt(title, TELEGRAM_CAPTION_LIMIT - 10))}</b>`;
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function renderLine(line: Line): string {
  return line.map(renderSegment).join("");
}

function renderSegment(segment: Segment): string {
  const body = escapeHtml(segment.text);
  const styled =
    segment.style === "bold"
      ? `<b>${body}</b>`
      : segment.style === "italic"
        ? `<i>${body}</i>`
        : segment.style === "code"
          ? `<code>${body}</code>`
          : body;
  return segment.href ? `<a href="${escapeHtml(segment.href)}">${styled}</a>` : styled;
}

const lineLength = (line: Line) => line.reduce((sum, segment) => sum + segment.text.length, 0);

/** Greedy packing of whole lines (a newline between lines counts as one character). */
function splitIntoMessages(lines: Line[], limit: number): Line[][] {
  const messages: Line[][] = [];
  let current: Line[] = [];
  let length = 0;
  const flush = () => {
    if (current.length > 0) messages.push(current);
    current = [];
    length = 0;
  };
  for (const whole of lines) {
    for (const line of splitLongLine(whole, limit)) {
      const added = lineLength(line) + (current.length > 0 ? 1 : 0);
      if (length + added > limit) flush();
      length += lineLength(line) + (current.length > 0 ? 1 : 0);
      current.push(line);
    }
  }
  flush();
  // A part of nothing but blanks would be refused ("message text is empty") and carries nothing.
  return messages.filter((message) =>
    message.some((line) => line.some((segment) => segment.text.trim() !== "")),
  );
}

function splitLongLine(line: Line, limit: number): Line[] {
  if (lineLength(line) <= limit) return [line];
  const pieces: Line[] = [];
  let current: Line = [];
  let room = limit;
  for (const segment of line) {
    let rest = segment.text;
    // Bounded: each pass consumes at least one code unit or starts a new piece.
    while (rest.length > 0) {
      if (room === 0) {
        pieces.push(current);
        current = [];
        room = limit;
      }
      let part = cutAt(rest, room);
      if (part.length === 0) {
        // A surrogate pair would straddle the cut: start a new piece.
        if (current.length === 0) part = rest.slice(0, 2);
        else {
          room = 0;
          continue;
        }
      }
      current.push({ ...segment, text: part });
      room -= part.length;
      rest = rest.slice(part.length);
    }
  }
  if (current.length > 0) pieces.push(current);
  return pieces;
}
