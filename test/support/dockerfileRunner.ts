/**
 * Builds a Dockerfile's stages as plain directories, without Docker: FROM starts a stage, WORKDIR,
 * COPY (from the build context or `--from=` an earlier stage), RUN (sh, in the stage's directory) and ENV
 * are carried out; USER, EXPOSE and STOPSIGNAL are left to the static checks. What it proves is the
 * image's *contents*: exactly the files the Dockerfile copies and the packages its RUN installs, started
 * with its CMD. The base image itself (Node 24 on Debian) is stood in by this machine's Node 24, and a
 * caller may stand in for a named RUN command (the build stage's full `npm ci`, say, by the checkout's
 * own install of the same lock file). No Docker daemon runs here; `cdk deploy` builds the real image.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { instructionsOf } from "./dockerfile.ts";
import { testTempDir } from "./tempDirs.ts";

export { instructionsOf };

export interface BuiltImage {
  /** The final stage's root directory (the image's `/`). */
  root: string;
  workdir: string;
  env: Record<string, string>;
  cmd: string[];
}

interface StageState {
  name: string | null;
  root: string;
  workdir: string;
}

export function buildWithoutDocker(
  dockerfilePath: string,
  context: string,
  runEnv: NodeJS.ProcessEnv,
  /** RUN commands (exactly as written) carried out by a function of the stage's WORKDIR instead. */
  standIns: Record<string, (workdir: string) => void> = {},
): BuiltImage {
  const unused = new Set(Object.keys(standIns));
  const stages: StageState[] = [];
  let env: Record<string, string> = {};
  let cmd: string[] = [];
  const current = () => stages.at(-1)!;
  const inStage = (stage: StageState, path: string) =>
    join(stage.root, isAbsolute(path) ? path : join(stage.workdir, path));

  for (const line of instructionsOf(readFileSync(dockerfilePath, "utf8"))) {
    const [keyword, ...rest] = line.split(/\s+/);
    const args = rest.filter((arg) => !arg.startsWith("--platform=") && !arg.startsWith("--chown="));
    switch (keyword) {
      case "FROM": {
        const as = args.findIndex((arg) => arg.toUpperCase() === "AS");
        stages.push({
          name: as >= 0 ? args[as + 1]! : null,
          root: testTempDir("hl-image-"),
          workdir: "/",
        });
        env = {};
        break;
      }
      case "WORKDIR":
        current().workdir = args[0]!;
        mkdirSync(inStage(current(), "."), { recursive: true });
        break;
      case "ENV": {
        const [name, value] = args.join(" ").split("=");
        env[name!] = value!;
        break;
      }
      case "COPY": {
        const from = args.find((arg) => arg.startsWith("--from="))?.slice("--from=".length);
        const paths = args.filter((arg) => !arg.startsWith("--"));
        const destination = inStage(current(), paths.at(-1)!);
        const source = from ? stages.find((stage) => stage.name === from) : null;
        if (from && !source) throw new Error(`COPY --from=${from}: no such stage`);
        for (const path of paths.slice(0, -1)) {
          const origin = source ? inStage(source, path) : join(context, path);
          const target =
            paths.length > 2 || destination.endsWith("/")
              ? join(destination, path.split("/").at(-1)!)
              : destination;
          cpSync(origin, target, { recursive: true });
        }
        break;
      }
      case "RUN": {
        const command = rest.join(" ");
        const standIn = standIns[command];
        if (standIn) {
          unused.delete(command);
          standIn(inStage(current(), "."));
          break;
        }
        execFileSync("sh", ["-c", command], {
          cwd: inStage(current(), "."),
          env: { ...runEnv, ...env },
          stdio: "pipe",
          timeout: 180_000,
        });
        break;
      }
      case "CMD":
        cmd = JSON.parse(rest.join(" "));
        break;
      case "USER":
      case "EXPOSE":
      case "STOPSIGNAL":
        break;
      default:
        throw new Error(`Dockerfile instruction not handled here: ${keyword}`);
    }
  }
  // A stand-in for a command the Dockerfile no longer has would quietly test something else.
  if (unused.size > 0) throw new Error(`no RUN instruction is: ${[...unused].join("; ")}`);
  const final = current();
  return { root: final.root, workdir: inStage(final, "."), env, cmd };
}
