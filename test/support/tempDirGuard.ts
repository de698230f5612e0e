/**
 * Vitest globalSetup: tests must remove the temporary folders they create (one run once left 23 folders,
 * 130 MB). The run gets a temporary directory of its own (TMPDIR, which `os.tmpdir()` in the workers and
 * their child processes follows), so runs on the same machine do not see each other's folders; at the
 * end, any `hl-*` entry still in it fails the run, named, and the directory is removed either way.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The prefix every test's mkdtemp uses (hl-cdk-, hl-config-, …). */
const PREFIX = "hl-";

export function leftovers(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(PREFIX))
    .sort();
}

export default function setup(): () => void {
  const original = process.env.TMPDIR;
  const runDir = mkdtempSync(join(tmpdir(), "hl-test-run-"));
  process.env.TMPDIR = runDir;
  return () => {
    if (original === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = original;
    const left = leftovers(runDir);
    rmSync(runDir, { recursive: true, force: true });
    if (left.length > 0) {
      throw new Error(
        `tests left ${left.length} temporary folder(s) behind (removed now): ${left.join(", ")}; remove what a test creates in its afterEach/afterAll`,
      );
    }
  };
}
