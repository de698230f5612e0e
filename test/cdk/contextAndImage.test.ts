/**
 * The deployment's inputs: every bad `--context` value ends synthesis with one line (checked through the
 * real app entry point, as `cdk synth` runs it), and the container image's Dockerfile and build context.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_OUTDIR, MONITOR_BUNDLE } from "../../bin/build-monitor.ts";
import {
  CONTEXT_KEYS,
  ContextError,
  checkContextKeys,
  settingsFromContext,
} from "../../lib/deploymentSettings.ts";
import { IMAGE_CONTEXT_ALLOW } from "../../lib/monitorService.ts";
import { runAppEntryPoint, synthesize } from "../support/cdkApp.ts";
import { instructionsOf } from "../support/dockerfile.ts";

const contextError = (context: Record<string, unknown>) => {
  try {
    settingsFromContext((key) => context[key]);
  } catch (error) {
    expect(error).toBeInstanceOf(ContextError);
    return (error as Error).message;
  }
  throw new Error("expected a ContextError");
};

describe("context", () => {
  it("defaults: dynamodb, prod, no e-mail, one shard, Spot, no reserved concurrency", () => {
    expect(settingsFromContext(() => undefined)).toEqual({
      dbMode: "dynamodb",
      stage: "prod",
      alertEmail: null,
      shards: 1,
      spot: true,
      exec: true,
      desiredCount: 1,
      commandsConcurrency: null,
    });
    expect(
      settingsFromContext(
        (key) =>
          ({
            db_mode: "supabase",
            stage: "staging",
            alert_email: "a@b.io",
            shards: "4",
            spot: false,
            exec: "false",
            desired_count: "0",
            commands_concurrency: "2",
          })[key],
      ),
    ).toEqual({
      dbMode: "supabase",
      stage: "staging",
      alertEmail: "a@b.io",
      shards: 4,
      spot: false,
      exec: false,
      desiredCount: 0,
      commandsConcurrency: 2,
    });
  });

  it("names the key, the value and what is allowed, in one line", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ db_mode: "postgres" }, "--context db_mode=postgres is not allowed: use dynamodb or supabase"],
      [{ db_mode: "DynamoDB" }, "--context db_mode=DynamoDB is not allowed: use dynamodb or supabase"],
      [
        { stage: "Prod!" },
        "--context stage=Prod! is not allowed: use 1 to 20 lower-case letters, digits or '-', starting with a letter (e.g. prod, staging)",
      ],
      [
        { alert_email: "not-an-email" },
        "--context alert_email=not-an-email is not allowed: use one e-mail address, or leave it out for no e-mail",
      ],
      [{ shards: "0" }, "--context shards=0 is not allowed: use a whole number from 1 to 20"],
      [{ shards: "2.5" }, "--context shards=2.5 is not allowed: use a whole number from 1 to 20"],
      [{ shards: "21" }, "--context shards=21 is not allowed: use a whole number from 1 to 20"],
      [{ spot: "yes" }, "--context spot=yes is not allowed: use true or false"],
      [
        { exec: "off" },
        "--context exec=off is not allowed: use true (ECS Exec on, sessions logged) or false (no ECS Exec, read-only root filesystem)",
      ],
      [{ shards: ["1"] }, '--context shards must be a plain value, not ["1"]'],
      [
        { desired_count: "2" },
        "--context desired_count=2 is not allowed: use 1 (every service runs its task) or 0 (deployed stopped, as the pipeline deploys staging)",
      ],
      [
        { commands_concurrency: "0" },
        "--context commands_concurrency=0 is not allowed: use a whole number from 1 to 50 (instances of the commands Lambda at most; the account must have 100 more than all reservations), or leave it out for no reservation",
      ],
    ];
    for (const [context, message] of cases) {
      const error = contextError(context);
      expect(error).toBe(message);
      expect(error).not.toContain("\n");
    }
  });

  it("catches a misspelt key instead of deploying the default", () => {
    for (const [key, meant] of [
      ["dbMode", "db_mode"],
      ["db-mode", "db_mode"],
      ["shard", "shards"],
      ["alert-email", "alert_email"],
      ["Spot", "spot"],
      ["Exec", "exec"],
      ["execs", "exec"],
      ["desired-count", "desired_count"],
      ["desiredCount", "desired_count"],
    ]) {
      expect(() => checkContextKeys([key!])).toThrow(
        `--context ${key} is not a setting: did you mean ${meant}?`,
      );
    }
    // CDK's own keys pass.
    checkContextKeys([
      "aws:cdk:bundling-stacks",
      "@aws-cdk/core:newStyleStackSynthesis",
      "acknowledged-issue-numbers",
      "availability-zones:account=123456789012:region=eu-west-1",
      ...CONTEXT_KEYS,
    ]);
  });

  it("the app entry point prints that line and exits 1, with no stack trace", () => {
    // How the CDK CLI hands `--context db_mode=postgres` to the app.
    const result = runAppEntryPoint("bin/hl-monitor.ts", { db_mode: "postgres" });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "hl-monitor: --context db_mode=postgres is not allowed: use dynamodb or supabase\n",
    );
  });
});

describe("container image", () => {
  const instructions = instructionsOf(readFileSync("monitor/Dockerfile", "utf8"));

  const froms = instructions.filter((line) => line.startsWith("FROM "));
  const buildStage = instructions.slice(0, instructions.indexOf(froms[1]!));
  const finalStage = instructions.slice(instructions.indexOf(froms[1]!));

  it("bundles in a build stage on the build machine's platform, from the lock file with the bundler", () => {
    expect(froms).toEqual([
      // The bundle is plain JavaScript: bundling natively spares an x86-64 machine from emulating arm64.
      "FROM --platform=$BUILDPLATFORM node:24-bookworm-slim AS build",
      "FROM --platform=linux/arm64 node:24-bookworm-slim",
    ]);
    // Every dependency from the lock file, dev ones (esbuild) included, then the shared build script.
    expect(buildStage).toContain("RUN npm ci --ignore-scripts --no-audit --no-fund");
    expect(buildStage.some((line) => line.includes("--omit=dev"))).toBe(false);
    expect(buildStage.at(-1)).toBe("RUN node bin/build-monitor.ts --outdir dist");
    expect(buildStage).toContain("COPY bin/build-monitor.ts ./bin/build-monitor.ts");
  });

  it("ships only the bundle and its source map, as a non-root user", () => {
    // Only files from the build stage: no node_modules, no sources, no RUN (nothing arm64 runs at build).
    const copies = finalStage.filter((line) => line.startsWith("COPY "));
    expect(copies).toEqual([
      "COPY --from=build --chown=root:root /app/dist/monitor.mjs /app/dist/monitor.mjs.map ./",
    ]);
    expect(finalStage.some((line) => line.startsWith("RUN "))).toBe(false);
    expect(finalStage).toContain("WORKDIR /app");
    // The CMD's file is one the stage copies (from the folder the build script writes to).
    const cmd = JSON.parse(finalStage.at(-1)!.slice("CMD ".length)) as string[];
    expect(cmd).toEqual(["node", "--optimize-for-size", MONITOR_BUNDLE]);
    expect(copies[0]).toContain(`/app/${DEFAULT_OUTDIR}/${cmd.at(-1)} `);
    expect(copies[0]).toContain(`/app/${DEFAULT_OUTDIR}/${cmd.at(-1)}.map `);
    // The USER comes after every COPY and before CMD; SIGTERM is what ECS and Spot send.
    const user = finalStage.findIndex((line) => line.startsWith("USER "));
    expect(finalStage[user]).toBe("USER node");
    expect(finalStage.findLastIndex((line) => line.startsWith("COPY "))).toBeLessThan(user);
    expect(finalStage).toContain("STOPSIGNAL SIGTERM");
  });

  it("copies into the image only what exists in the narrowed build context", () => {
    for (const path of IMAGE_CONTEXT_ALLOW) expect(existsSync(path), path).toBe(true);
    const copied = instructions
      .filter((line) => line.startsWith("COPY ") && !line.includes("--from="))
      .flatMap((line) =>
        line
          .split(/\s+/)
          .slice(1, -1)
          .filter((part) => !part.startsWith("--")),
      );
    for (const source of copied) {
      expect(
        IMAGE_CONTEXT_ALLOW.some((allowed) => source === allowed || source.startsWith(`${allowed}/`)),
        source,
      ).toBe(true);
    }
  });

  it("the staged build context of a real synth holds the allowed paths and nothing else", async () => {
    const synth = synthesize();
    const assets = JSON.parse(
      readFileSync(join(synth.outdir, `${synth.stack.stackName}.assets.json`), "utf8"),
    );
    const [image] = Object.values(assets.dockerImages) as {
      source: { directory: string; dockerFile: string };
    }[];
    expect(image!.source.dockerFile).toBe("monitor/Dockerfile");
    const root = join(synth.outdir, image!.source.directory);
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(relative(root, path));
      }
    };
    walk(root);
    expect(files).toContain("monitor/src/main.ts");
    expect(files).toContain("package-lock.json");
    expect(files).toContain("bin/build-monitor.ts");
    // Of bin/, the build script alone.
    expect(files.filter((file) => file.startsWith("bin/"))).toEqual(["bin/build-monitor.ts"]);
    for (const file of files) {
      expect(
        IMAGE_CONTEXT_ALLOW.some((allowed) => file === allowed || file.startsWith(`${allowed}/`)),
        file,
      ).toBe(true);
    }
  }, 60_000);
});
