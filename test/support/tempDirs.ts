/**
 * Temporary folders for test helpers whose callers keep using them after the helper returns (a
 * synthesized cloud assembly, a built image): made under the run's temporary directory and removed after
 * the test file that made them. Importing this module registers that cleanup on the importing file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const made: string[] = [];

/** A new folder named `<prefix>XXXXXX` in the temporary directory, removed after this test file. */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
