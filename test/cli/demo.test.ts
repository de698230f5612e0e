/**
 * `npm run demo` empties its store on every run: it must only ever remove its own folder (./data/demo
 * under the working directory, marked by the demo), whatever DATA_DIR says.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const DEMO = resolve("monitor/src/demo.ts");

function runDemo(cwd: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [DEMO], {
    cwd,
    env: { PATH: dirname(process.execPath), ...env },
    encoding: "utf8",
    timeout: 90_000,
  });
}

describe("npm run demo", () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "hl-demo-"));
  });
  afterEach(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it("leaves the user's DATA_DIR alone and keeps its store in ./data/demo", () => {
    const userData = join(work, "my-data");
    mkdirSync(userData);
    writeFileSync(join(userData, "keep.txt"), "mine");
    const first = runDemo(work, { DATA_DIR: userData });
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(readFileSync(join(userData, "keep.txt"), "utf8")).toBe("mine");
    expect(existsSync(join(work, "data", "demo", ".hl-monitor-demo"))).toBe(true);
    // The closing line about alerts says what happened: nothing was sent.
    expect(first.stdout).toMatch(/alerts raised \d+ \(.*\); the demo sends none of them/);
    // A second run empties and refills its own (marked) folder.
    const second = runDemo(work, { DATA_DIR: userData });
    expect(second.status).toBe(0);
    expect(second.stdout).toContain("fills stored 500");
    expect(readFileSync(join(userData, "keep.txt"), "utf8")).toBe("mine");
  });

  it("refuses to empty a ./data/demo it did not make, in one line", () => {
    const notOurs = join(work, "data", "demo");
    mkdirSync(notOurs, { recursive: true });
    writeFileSync(join(notOurs, "keep.txt"), "mine");
    const run = runDemo(work, { DATA_DIR: notOurs });
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^demo: .*data\/demo exists and was not made by the demo .*: move it elsewhere/,
    );
    expect(readFileSync(join(notOurs, "keep.txt"), "utf8")).toBe("mine");
  });
});
