/**
 * The monitor's real entry point (`node monitor/src/main.ts`) in a child process, with only the
 * environment given, its stdout and stderr collected.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname } from "node:path";

export interface MonitorProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (and how long after this call it came). */
  exited: Promise<{ code: number | null; ms: number }>;
}

export function startMonitorProcess(
  env: Record<string, string>,
  options: { cwd?: string; args?: string[] } = {},
): MonitorProcess {
  let output = "";
  const started = Date.now();
  const child = spawn(process.execPath, options.args ?? ["monitor/src/main.ts"], {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    // Only Node 24 on the PATH: nothing from the test's environment leaks in.
    env: { PATH: dirname(process.execPath), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk) => {
    output += String(chunk);
  });
  child.stderr!.on("data", (chunk) => {
    output += String(chunk);
  });
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) =>
    child.once("exit", (code) => resolve({ code, ms: Date.now() - started })),
  );
  return { child, output: () => output, exited };
}
