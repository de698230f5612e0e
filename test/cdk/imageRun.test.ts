/**
 * The monitor image's contents run: the real Dockerfile carried out over the build context exactly as
 * CDK stages it (test/support/dockerfileRunner.ts), then its CMD started with the task definition's
 * environment from a real synth, against the loopback Hyperliquid stand-in and a DynamoDB-compatible
 * server. Catches a file the image lacks, a module the bundle left out, or an environment the monitor
 * rejects, none of which a template assertion sees. The build stage's `npm ci` (every dependency, 640 MB)
 * is stood in by this checkout's own install of the same lock file; its bundling step runs for real.
 */
import { readdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../lib/paths.ts";
import { CREDENTIALS_SECRET } from "../../monitor/src/config/secretVariables.ts";
import { HyperliquidStandIn } from "../../monitor/src/standin/server.ts";
import { startEmbeddedDynamo } from "../../monitor/src/storage/local.ts";
import { resourcesOfType, synthesize } from "../support/cdkApp.ts";
import { buildWithoutDocker } from "../support/dockerfileRunner.ts";
import { ACCOUNT, eventually } from "../support/harness.ts";
import { loopbackEnvironment, startMonitorProcess } from "../support/monitorProcess.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("the monitor image, built from its Dockerfile without Docker", () => {
  it("holds the bundle and its source map only, and its CMD runs the monitor to ready", async () => {
    const synth = synthesize();
    const assets = JSON.parse(
      readFileSync(join(synth.outdir, `${synth.stack.stackName}.assets.json`), "utf8"),
    );
    const [asset] = Object.values(assets.dockerImages) as {
      source: { directory: string; dockerFile: string };
    }[];
    const context = join(synth.outdir, asset!.source.directory);
    const image = buildWithoutDocker(join(context, asset!.source.dockerFile), context, process.env, {
      "npm ci --ignore-scripts --no-audit --no-fund": (workdir) =>
        symlinkSync(join(PROJECT_ROOT, "node_modules"), join(workdir, "node_modules")),
    });

    // The bundle and its map, nothing else: no node_modules, no sources, no package.json.
    expect(readdirSync(image.workdir).sort()).toEqual(["monitor.mjs", "monitor.mjs.map"]);
    expect(readdirSync(image.root)).toEqual(["app"]);
    expect(image.cmd).toEqual(["node", "--optimize-for-size", "monitor.mjs"]);

    // The task's environment from the synthesized task definition; deploy-time values stood in.
    const [, definition] = resourcesOfType(synth, "AWS::ECS::TaskDefinition")[0]!;
    expect(
      definition.Properties.ContainerDefinitions[0].Secrets.map((s: { Name: string }) => s.Name),
    ).toEqual([CREDENTIALS_SECRET.variable]);
    const taskEnv: Record<string, string> = {};
    for (const { Name, Value } of definition.Properties.ContainerDefinitions[0].Environment) {
      if (typeof Value === "string") taskEnv[Name] = Value;
    }
    const standIn = new HyperliquidStandIn();
    const urls = await standIn.start();
    cleanups.push(() => standIn.stop());
    const dynamo = await startEmbeddedDynamo({ dataDir: null });
    cleanups.push(() => dynamo.close());

    const [program, ...args] = image.cmd;
    expect(program).toBe("node");
    // Only what the container would have: the image's ENV and the task's environment.
    const monitor = startMonitorProcess(
      {
        ...image.env,
        ...taskEnv,
        // What the ECS secret injects (the credentials secret's whole JSON), and loopback stand-ins
        // for Hyperliquid and DynamoDB.
        [CREDENTIALS_SECRET.variable]: JSON.stringify({ ACCOUNT_ADDRESS: ACCOUNT }),
        ...loopbackEnvironment(urls, dynamo.endpoint),
        CVD_COINS: "BTC",
      },
      { cwd: image.workdir, args },
    );
    cleanups.push(() => {
      if (monitor.child.exitCode === null) monitor.child.kill("SIGKILL");
    });
    await eventually(
      "the monitor in the image is in sync",
      () => monitor.output().includes('"msg":"fills in sync"'),
      30_000,
    );
    expect(monitor.output()).not.toContain("configuration error");
    const started = monitor
      .output()
      .split("\n")
      .filter((line) => line.includes('"msg":"monitor started"'))
      .map((line) => JSON.parse(line))[0];
    expect(started).toMatchObject({ dbMode: "dynamodb", accounts: [ACCOUNT] });
    await eventually(
      "/ready answers 200",
      async () => (await fetch(`http://127.0.0.1:${started.healthPort}/ready`)).status === 200,
      20_000,
    );
    monitor.child.kill("SIGTERM");
    expect((await monitor.exited).code).toBe(0);
    // Bundled pino writes JSON lines, one per event, as CloudWatch Logs Insights reads them.
    const lines = monitor.output().trimEnd().split("\n");
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    // Nothing written beside the code (a read-only root filesystem with exec=false).
    expect(readdirSync(image.workdir).sort()).toEqual(["monitor.mjs", "monitor.mjs.map"]);
  }, 120_000);
});
