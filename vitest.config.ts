import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Each run's temporary folders live in a directory of its own, and a folder left behind fails the run.
    globalSetup: ["test/support/tempDirGuard.ts"],
  },
});
