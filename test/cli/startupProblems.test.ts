/**
 * What a newcomer meets first gets one clear line saying what to do: no AWS credentials with
 * DB_MODE=dynamodb, a second monitor on the same data folder, and a Hyperliquid endpoint that cannot be
 * reached. The real entry point runs in child processes against loopback addresses only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closedLoopbackPort } from "../support/loopbackHttp.ts";
import { type MonitorProcess, startMonitorProcess } from "../support/monitorProcess.ts";

const ACCOUNT = "0xb7b6f3cea3f66bf525f5d8f965f6dbf6d9b017b2";

async function waitForOutput(monitor: MonitorProcess, pattern: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(monitor.output()) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(monitor.output()).toMatch(pattern);
}

describe("start-up problems", () => {
  let work: string;
  let env: Record<string, string>;
  const running: MonitorProcess[] = [];
  beforeEach(async () => {
    work = mkdtempSync(join(tmpdir(), "hl-startup-"));
    const port = await closedLoopbackPort();
    env = {
      ACCOUNT_ADDRESS: ACCOUNT,
      HEALTH_PORT: "0",
      HOME: work, // no ~/.aws here
      DATA_DIR: join(work, "data"),
      HYPERLIQUID_API_URL: `http://127.0.0.1:${port}`,
      HYPERLIQUID_WS_URL: `ws://127.0.0.1:${port}/ws`,
    };
  });
  afterEach(async () => {
    for (const monitor of running.splice(0)) {
      if (monitor.child.exitCode === null && monitor.child.signalCode === null) {
        monitor.child.kill("SIGKILL");
        await monitor.exited;
      }
    }
    rmSync(work, { recursive: true, force: true });
  });
  const start = (extra: Record<string, string> = {}) => {
    const monitor = startMonitorProcess(
      { ...env, ...extra },
      { cwd: work, args: [join(process.cwd(), "monitor/src/main.ts")] },
    );
    running.push(monitor);
    return monitor;
  };

  it("DB_MODE=dynamodb without AWS credentials: one line saying how to give them, exit 2", async () => {
    const monitor = start({
      DB_MODE: "dynamodb",
      AWS_REGION: "us-east-1",
      // No instance metadata either (it is not a loopback address): the chain ends at once.
      AWS_EC2_METADATA_DISABLED: "true",
    });
    const { code } = await monitor.exited;
    expect(code).toBe(2);
    const lines = monitor.output().trim().split("\n");
    expect(lines.at(-1)).toMatch(
      /^configuration error: no AWS credentials found for DB_MODE=dynamodb: .*AWS_PROFILE.*DB_MODE=local/,
    );
    expect(monitor.output()).not.toMatch(/\n\s+at /);
  });

  it("a second monitor on the same DATA_DIR: one line saying another monitor holds it, exit 2", async () => {
    const first = start();
    await waitForOutput(first, /embedded store started/, 20_000);
    const second = start();
    const { code } = await second.exited;
    expect(code).toBe(2);
    const lines = second.output().trim().split("\n");
    expect(lines.at(-1)).toMatch(
      /^configuration error: DATA_DIR .*data is in use by another monitor .*: stop the other monitor/,
    );
    expect(second.output()).not.toMatch(/\n\s+at /);
    // The first one is unharmed and still running.
    expect(first.child.exitCode).toBeNull();
    first.child.kill("SIGTERM");
    expect((await first.exited).code).toBe(0);
  });

  it("an unreachable endpoint: one line naming it and what to check, and the monitor keeps retrying", async () => {
    const monitor = start();
    await waitForOutput(monitor, /REST endpoint 127\.0\.0\.1:\d+\/ is unreachable/, 25_000);
    const line = monitor
      .output()
      .split("\n")
      .find((text) => text.includes("REST endpoint"))!;
    expect(JSON.parse(line)).toMatchObject({
      level: "error",
      msg: expect.stringMatching(
        /is unreachable \(ECONNREFUSED\): check HYPERLIQUID_API_URL .* the monitor keeps retrying/,
      ),
    });
    expect(monitor.output().match(/REST endpoint .* is unreachable/g)).toHaveLength(1);
    expect(monitor.output()).toMatch(
      /WebSocket endpoint 127\.0\.0\.1:\d+\/ws is unreachable \(ECONNREFUSED\): check HYPERLIQUID_WS_URL/,
    );
    // A daemon does not exit on a network problem: it is still there, and stops cleanly.
    expect(monitor.child.exitCode).toBeNull();
    monitor.child.kill("SIGTERM");
    expect((await monitor.exited).code).toBe(0);
  });
});
