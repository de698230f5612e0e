/**
 * The container image's entry point, run here without Docker: the monitor bundled by the function the
 * image's build stage runs (bin/build-monitor.ts), started with the Dockerfile's own CMD from a folder
 * that stands for the image's WORKDIR (the bundle and its source map, nothing else). The benchmark times
 * and measures exactly this; test/cdk/imageRun.test.ts carries out the Dockerfile itself.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { buildMonitor, MONITOR_BUNDLE, type MonitorBuild } from "../../bin/build-monitor.ts";
import { monitorImageCommand } from "./dockerfile.ts";

export interface ImageEntry {
  /** The folder standing for the image's WORKDIR: the bundle and its source map. */
  workdir: string;
  /** The CMD's arguments after `node` (run them with this machine's Node 24). */
  args: string[];
  build: MonitorBuild;
  /** Removes the folder. */
  remove(): void;
}

export async function buildImageEntry(): Promise<ImageEntry> {
  const [program, ...args] = monitorImageCommand();
  if (program !== "node" || args.at(-1) !== MONITOR_BUNDLE) {
    throw new Error(
      `the image's CMD no longer runs node … ${MONITOR_BUNDLE}: ${[program, ...args].join(" ")}`,
    );
  }
  const workdir = mkdtempSync(join(tmpdir(), "hl-image-entry-"));
  try {
    const build = await buildMonitor(workdir);
    if (basename(build.bundle) !== MONITOR_BUNDLE) throw new Error(`unexpected bundle ${build.bundle}`);
    return { workdir, args, build, remove: () => rmSync(workdir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(workdir, { recursive: true, force: true });
    throw error;
  }
}
