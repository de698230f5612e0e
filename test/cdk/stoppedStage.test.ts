/**
 * `--context desired_count=0`: the stage the pipeline deploys as staging. It exists (stack, secrets,
 * tables, topic) but runs no task and has no alarms between releases, so it costs only what a stopped
 * stage costs; bin/smoke-check.ts --scale-from-zero runs it for the check.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { resourcesOfType, type Synthesized, synthesize } from "../support/cdkApp.ts";

let stopped: Synthesized;
let running: Synthesized;

beforeAll(() => {
  stopped = synthesize({ stage: "staging", desired_count: "0" });
  running = synthesize({ stage: "staging" });
}, 120_000);

describe("a stage deployed stopped (desired_count=0)", () => {
  it("keeps its services, with no task", () => {
    const services = resourcesOfType(stopped, "AWS::ECS::Service");
    expect(services).toHaveLength(1);
    expect(services[0]![1].Properties.DesiredCount).toBe(0);
    expect(services[0]![1].Properties.ServiceName).toBe("hl-monitor-service-staging");
    for (const [, service] of resourcesOfType(running, "AWS::ECS::Service")) {
      expect(service.Properties.DesiredCount).toBe(1);
    }
  });

  it("has no alarms: with no task every one would sit in ALARM (or INSUFFICIENT_DATA) and cost money", () => {
    expect(resourcesOfType(stopped, "AWS::CloudWatch::Alarm")).toHaveLength(0);
    expect(resourcesOfType(running, "AWS::CloudWatch::Alarm").length).toBeGreaterThan(0);
    // The rest of the stage is there for the check: secrets, topic, dashboard.
    expect(resourcesOfType(stopped, "AWS::SecretsManager::Secret").length).toBeGreaterThan(0);
    expect(resourcesOfType(stopped, "AWS::SNS::Topic")).toHaveLength(1);
    expect(resourcesOfType(stopped, "AWS::CloudWatch::Dashboard")).toHaveLength(1);
  });

  it("passes cdk-nag like any other stage", () => {
    expect(stopped.nag.violations).toEqual([]);
  });
});
