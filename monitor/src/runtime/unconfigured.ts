/**
 * What a deployed task does while its configuration is wrong or not there yet (`ON_CONFIG_ERROR=wait`,
 * which the CDK stack sets). A fresh deployment starts before the operator has put the account address
 * into its secret; exiting would make ECS restart the task again and again, trip the deployment circuit
 * breaker and roll the whole first deployment back. Instead the task stays up, says what to fix in the
 * log every few minutes, and emits no heartbeat, so the "monitor silent" alarm tells the operator too.
 * `/health` answers 200 (the process is fine; only its settings are not) and `/ready` 503.
 */
import { HealthServer } from "./healthServer.ts";

export interface UnconfiguredOptions {
  problem: string;
  healthPort: number;
  /** How often the problem is logged again. */
  repeatMs?: number;
  write?: (line: string) => void;
}

export interface Unconfigured {
  port: number;
  stop(): Promise<void>;
}

export async function waitUnconfigured(options: UnconfiguredOptions): Promise<Unconfigured> {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const health = new HealthServer(() => ({ ready: false, status: "unconfigured", problem: options.problem }));
  const port = await health.listen(options.healthPort);
  const say = () =>
    write(
      JSON.stringify({
        level: "error",
        time: Date.now(),
        msg: "configuration error: not monitoring until it is fixed",
        problem: options.problem,
        healthPort: port,
        fix: "put the value into the task's secret, then force a new deployment (see docs/deploy.md)",
      }),
    );
  say();
  const timer = setInterval(say, options.repeatMs ?? 5 * 60_000);
  return {
    port,
    async stop() {
      clearInterval(timer);
      await health.close();
    },
  };
}

/** The health port for an unconfigured task: HEALTH_PORT when it is a valid port, else the default. */
export function healthPortFrom(env: Record<string, string | undefined>): number {
  const port = Number(env.HEALTH_PORT);
  return Number.isInteger(port) && port >= 0 && port <= 65535 && env.HEALTH_PORT !== "" ? port : 8080;
}
