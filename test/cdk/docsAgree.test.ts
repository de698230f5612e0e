/**
 * What the docs say about the deployed stack, checked against the synthesized template: the alarm
 * notification shown in docs/alerts.md is the Lambda's rendering of the real "monitor silent" alarm, and
 * docs/storage.md names exactly the tables that have TTL.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { alertFromAlarm } from "../../lambda-alerts/src/cloudwatchAlarm.ts";
import { alertText } from "../../lambda-alerts/src/render/text.ts";
import { TABLES } from "../../monitor/src/storage/dynamodb/tables.ts";
import { resourcesOfType, type Synthesized, synthesize } from "../support/cdkApp.ts";

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize({ db_mode: "dynamodb" });
});

/** The body of the `<details>` example of one alert kind in docs/alerts.md. */
function alertExample(kind: string): string {
  const alerts = readFileSync("docs/alerts.md", "utf8");
  const start = alerts.indexOf(`<summary><code>${kind}</code></summary>`);
  expect(start, kind).toBeGreaterThan(0);
  const body = alerts.indexOf("```text\n", start) + "```text\n".length;
  return alerts.slice(body, alerts.indexOf("\n```", body));
}

describe("docs agree with the template", () => {
  it("the cloudwatch_alarm example is what the Lambda sends for the real 'monitor silent' alarm", () => {
    const alarms = resourcesOfType(synth, "AWS::CloudWatch::Alarm").map(([, alarm]) => alarm.Properties);
    const silent = alarms.find((alarm) => alarm.AlarmName === "hl-monitor: monitor silent");
    expect(silent, "an alarm named hl-monitor: monitor silent").toBeDefined();
    // The notification CloudWatch publishes for it (fields as in test/fixtures/alerts/), at the example's
    // time, account and region; the state reason is CloudWatch's wording for breaching missing data.
    const event = alertFromAlarm({
      AlarmName: silent.AlarmName,
      AlarmDescription: silent.AlarmDescription,
      AWSAccountId: "123456789012",
      NewStateValue: "ALARM",
      OldStateValue: "OK",
      NewStateReason:
        "Threshold Crossed: no datapoints were received for 5 periods and 5 missing datapoints were treated as [Breaching].",
      StateChangeTime: "2026-11-21T14:12:00.000+0000",
      Region: "EU (Ireland)",
      AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${silent.AlarmName}`,
      Trigger: {
        MetricName: silent.MetricName,
        Namespace: silent.Namespace,
        Statistic: silent.Statistic,
        ComparisonOperator: silent.ComparisonOperator,
        Threshold: silent.Threshold,
        Period: silent.Period,
        EvaluationPeriods: silent.EvaluationPeriods,
      },
    });
    expect(alertExample("cloudwatch_alarm")).toBe(alertText(event));
  });

  it("docs/storage.md names exactly the monitor's tables that have TTL", () => {
    const tables = resourcesOfType(synth, "AWS::DynamoDB::Table").map(([, table]) => table.Properties);
    const monitorTables = new Set(TABLES.map((table) => `hl-${table.role}`));
    const withTtl = tables
      .filter((table) => monitorTables.has(table.TableName) && table.TimeToLiveSpecification?.Enabled)
      .map((table) => table.TableName)
      .sort();
    const storage = readFileSync("docs/storage.md", "utf8");
    // "Only two tables have TTL, …: `hl-dashboard` (…) and `hl-cvd`. `hl-fills`, … keep every item."
    const paragraph = /Only two tables have TTL[\s\S]*?keep every item\./.exec(storage)?.[0] ?? "";
    const [ttlSentence = "", keepSentence = ""] = paragraph.split(/\.\s+(?=`hl-)/);
    const names = (text: string) => [...text.matchAll(/`(hl-[a-z-]+)`/g)].map((match) => match[1]!).sort();
    expect(withTtl).toEqual(["hl-cvd", "hl-dashboard"]);
    expect(names(ttlSentence)).toEqual(withTtl);
    expect(names(keepSentence)).toEqual([...monitorTables].filter((name) => !withTtl.includes(name)).sort());
  });
});
