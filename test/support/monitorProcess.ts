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

/**
 * The settings that point a monitor process at loopback stand-ins only: the Hyperliquid stand-in's
 * URLs, a DynamoDB API endpoint with local credentials, and a health port chosen by the system.
 */
export function loopbackEnvironment(
  hyperliquid: { wsUrl: string; apiUrl: string },
  dynamoEndpoint: string,
): Record<string, string> {
  return {
    HYPERLIQUID_WS_URL: hyperliquid.wsUrl,
    HYPERLIQUID_API_URL: hyperliquid.apiUrl,
    DYNAMODB_ENDPOINT: dynamoEndpoint,
    AWS_REGION: "local",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    HEALTH_PORT: "0",
  };
}

/** The health server's port as the "monitor started" line gives it; undefined after `attempts` × 25 ms. */
export async function healthPortOf(monitor: MonitorProcess, attempts: number): Promise<string | undefined> {
  for (let i = 0; i < attempts; i++) {
    const port = /"healthPort":(\d+)/.exec(monitor.output())?.[1];
    if (port) return port;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return undefined;
}
