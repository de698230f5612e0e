/**
 * Reading a Dockerfile without Docker: its instructions one per line (comments dropped, continuation
 * lines joined) and the final stage's CMD, the command the image's container runs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../lib/paths.ts";

/** The monitor's Dockerfile, relative to the repository root (the image's build context). */
export const MONITOR_DOCKERFILE = "monitor/Dockerfile";

export function instructionsOf(dockerfile: string): string[] {
  return dockerfile
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** The exec-form CMD of the final stage (the last CMD), e.g. ["node", "--optimize-for-size", "monitor.mjs"]. */
export function commandOf(dockerfile: string): string[] {
  const cmd = instructionsOf(dockerfile).findLast((line) => line.startsWith("CMD "));
  if (!cmd) throw new Error("the Dockerfile has no CMD");
  const parsed: unknown = JSON.parse(cmd.slice("CMD ".length));
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === "string")) {
    throw new Error(`the Dockerfile's CMD is not in exec form: ${cmd}`);
  }
  return parsed;
}

/** The monitor image's CMD, read from its Dockerfile in this checkout. */
export function monitorImageCommand(): string[] {
  return commandOf(readFileSync(join(PROJECT_ROOT, MONITOR_DOCKERFILE), "utf8"));
}
