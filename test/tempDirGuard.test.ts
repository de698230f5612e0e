/** The run's temporary-folder guard (vitest globalSetup): a folder left behind fails the run, named. */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import setup from "./support/tempDirGuard.ts";

describe("the temporary-folder guard", () => {
  it("passes a run that removed what it made, and restores TMPDIR", () => {
    const before = process.env.TMPDIR;
    const teardown = setup();
    const runDir = tmpdir();
    expect(runDir).not.toBe(before);
    expect(teardown).not.toThrow();
    expect(process.env.TMPDIR).toBe(before);
    expect(existsSync(runDir)).toBe(false);
  });

  it("fails a run that left an hl-* folder, naming it, and removes it", () => {
    const teardown = setup();
    const runDir = tmpdir();
    const left = mkdtempSync(join(runDir, "hl-leaky-"));
    mkdtempSync(join(runDir, "other-")); // not a test folder of ours: removed, not reported
    expect(teardown).toThrow(
      new RegExp(`tests left 1 temporary folder\\(s\\) behind .*: ${left.split("/").at(-1)};`),
    );
    expect(existsSync(runDir)).toBe(false);
  });
});
