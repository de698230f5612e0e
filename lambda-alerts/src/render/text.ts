/**
 * Plain-text rendering: the email body SNS sends, the subject line, and the log line of local runs.
 */
import type { AlertEvent } from "../alertEvent.ts";

const SEVERITY_LABEL: Record<AlertEvent["severity"], string> = {
  critical: "CRITICAL",
  warning: "WARNING",
  info: "INFO",
  success: "OK",
};

/** SNS email subjects: at most 100 characters, printable ASCII, no line breaks. */
export function alertSubject(event: AlertEvent): string {
  const ascii = `[hl-monitor] ${SEVERITY_LABEL[event.severity]}: ${event.title}`
    .replace(/[^\x20-\x7e]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

export function alertText(event: AlertEvent): string {
  const lines = [`${SEVERITY_LABEL[event.severity]}: ${event.title}`];
  if (event.summary) lines.push("", event.summary);
  if (event.fields.length > 0) {
    lines.push("");
    for (const field of event.fields) lines.push(`${field.label}: ${field.value}`);
  }
  if (event.links.length > 0) {
    lines.push("");
    for (const link of event.links) lines.push(`${link.label}: ${link.url}`);
  }
  lines.push("", `${new Date(event.time).toISOString()} · ${event.key}`);
  return lines.join("\n");
}
