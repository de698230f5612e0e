/** The monitor's version: package.json's, which the image ships next to monitor/src. */
import { readFileSync } from "node:fs";

function readVersion(): string {
  try {
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof version === "string" ? version : "unknown";
  } catch {
    return "unknown";
  }
}

export const MONITOR_VERSION = readVersion();
