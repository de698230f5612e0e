/**
 * The commands Lambda in the synthesized stack: a Function URL without AWS auth (the function checks
 * Telegram's secret and Discord's signature itself), bounded concurrency, a two-week log group, reads only
 * on the tables (dynamodb mode) or the Supabase secret (supabase mode), and outputs that say what to run.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CHART_ASSETS } from "../../lambda-alerts/src/render/chartAssets.ts";
import { CHART_ASSETS_FOLDER, chartAssetsBundling } from "../../lib/chartAssetsBundling.ts";
import { COMMANDS_MEMORY_MB, COMMANDS_TIMEOUT_SECONDS } from "../../lib/commands.ts";
import { resourcesOfType, type Synthesized, synthesize } from "../support/cdkApp.ts";

let dynamo: Synthesized;
let supabase: Synthesized;

beforeAll(() => {
  dynamo = synthesize({ db_mode: "dynamodb" });
  supabase = synthesize({ db_mode: "supabase" });
}, 120_000);

const commandsFunction = (synth: Synthesized) =>
  resourcesOfType(synth, "AWS::Lambda::Function").find(
    ([, fn]) => fn.Properties.FunctionName === "hl-monitor-commands",
  )!;

function policyOf(synth: Synthesized, roleId: string) {
  return resourcesOfType(synth, "AWS::IAM::Policy")
    .filter(([, policy]) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement) as {
    Action: string | string[];
    Resource: unknown;
  }[];
}

describe("commands Lambda", () => {
  it("runs Node 24 on ARM64 with a 10 s timeout, bundled without the AWS SDK", () => {
    const [, fn] = commandsFunction(dynamo);
    expect(fn.Properties).toMatchObject({
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      Timeout: COMMANDS_TIMEOUT_SECONDS,
    });
    expect(fn.Properties.Environment.Variables).toMatchObject({
      ALERTS_SECRET_ID: "hl-monitor/alerts",
      CREDENTIALS_SECRET_ID: "hl-monitor/credentials",
      DB_MODE: "dynamodb",
      TABLE_PREFIX: "hl-",
    });
  });

  it("reserves no concurrency unless asked: a new account's quota (10) refuses any reservation and the deploy would fail", () => {
    // Lambda keeps 100 units unreserved ("You can reserve up to the Unreserved account concurrency value minus
    // 100", Lambda developer guide, configuration-concurrency); new accounts start with a quota of 10.
    expect(commandsFunction(dynamo)[1].Properties.ReservedConcurrentExecutions).toBeUndefined();
    const capped = synthesize({ db_mode: "dynamodb", commands_concurrency: "2" });
    expect(commandsFunction(capped)[1].Properties.ReservedConcurrentExecutions).toBe(2);
  }, 120_000);

  it("draws /pnl's chart: the chart assets beside the bundle as in the alert Lambda, CHART_ASSETS_DIR pointing there", () => {
    const [, fn] = commandsFunction(dynamo);
    const alerts = resourcesOfType(dynamo, "AWS::Lambda::Function").find(
      ([, f]) => f.Properties.FunctionName === "hl-monitor-alerts",
    )!;
    expect(fn.Properties.Environment.Variables.CHART_ASSETS_DIR).toBe(`/var/task/${CHART_ASSETS_FOLDER}`);
    expect(alerts[1].Properties.Environment.Variables.CHART_ASSETS_DIR).toBe(
      fn.Properties.Environment.Variables.CHART_ASSETS_DIR,
    );
    // resvg rendering measured at ~85 MB over the handler's own (docs/commands.md): 256 MB holds both.
    expect(fn.Properties.MemorySize).toBe(COMMANDS_MEMORY_MB);
    // The hook both functions bundle with: every asset copied from node_modules into the folder.
    const hook = chartAssetsBundling().commandHooks.afterBundling("/in", "/out");
    for (const { file, packagePath } of Object.values(CHART_ASSETS)) {
      expect(hook).toContain(`cp "/in/node_modules/${packagePath}" "/out/${CHART_ASSETS_FOLDER}/${file}"`);
    }
  });

  it("has one Function URL with auth type NONE, and the URL and registration commands as outputs", () => {
    const urls = resourcesOfType(dynamo, "AWS::Lambda::Url");
    expect(urls).toHaveLength(1);
    expect(urls[0]![1].Properties.AuthType).toBe("NONE");
    const outputs = dynamo.json.Outputs;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        "CommandsUrl",
        "TelegramWebhookCommand",
        "DiscordInteractionsUrl",
        "DiscordRegisterCommand",
      ]),
    );
    expect(outputs.TelegramWebhookCommand.Value).toMatchObject({ "Fn::Join": expect.anything() });
    expect(JSON.stringify(outputs.TelegramWebhookCommand.Value)).toContain(
      "npm run telegram:webhook -- --url ",
    );
    expect(outputs.DiscordRegisterCommand.Value).toContain("npm run discord:register");
  });

  it("logs to its own two-week log group", () => {
    const groups = resourcesOfType(dynamo, "AWS::Logs::LogGroup").filter(
      ([, group]) => group.Properties.LogGroupName === "/aws/lambda/hl-monitor-commands",
    );
    expect(groups).toHaveLength(1);
    expect(groups[0]![1].Properties.RetentionInDays).toBe(14);
  });

  it("dynamodb mode: may only read (GetItem, Query) four tables and the fills index, and read two secrets", () => {
    const [, fn] = commandsFunction(dynamo);
    const statements = policyOf(dynamo, fn.Properties.Role["Fn::GetAtt"][0]);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.filter((a) => a.startsWith("dynamodb:")).sort()).toEqual([
      "dynamodb:GetItem",
      "dynamodb:Query",
    ]);
    expect(
      actions.filter(
        (a) =>
          !/^(dynamodb:(GetItem|Query)|logs:(CreateLogStream|PutLogEvents)|secretsmanager:(GetSecretValue|DescribeSecret))$/.test(
            a,
          ),
      ),
    ).toEqual([]);
    const tableStatement = statements.find((s) => JSON.stringify(s.Action).includes("dynamodb:Query"))!;
    expect(JSON.stringify(tableStatement.Resource)).not.toContain("Tablescvd");
    expect(JSON.stringify(tableStatement.Resource)).toContain("/index/byTime");
    const secrets = JSON.stringify(
      statements.filter((s) => JSON.stringify(s.Action).includes("secretsmanager")),
    );
    expect(secrets).toContain("Secretsalerts");
    expect(secrets).toContain("Secretscredentials");
  });

  it("supabase mode: no table access, and not the Supabase secret (the service key): its read key is in the alerts secret", () => {
    const [, fn] = commandsFunction(supabase);
    expect(fn.Properties.Environment.Variables).toMatchObject({ DB_MODE: "supabase" });
    const statements = policyOf(supabase, fn.Properties.Role["Fn::GetAtt"][0]);
    expect(JSON.stringify(statements)).not.toContain("dynamodb:");
    expect(JSON.stringify(statements)).not.toContain("Secretssupabase");
    expect(JSON.stringify(statements)).toContain("Secretsalerts");
  });
});
