/**
 * When to switch, from the trigger and the service as ECS describes it now. Stateless on purpose: ECS
 * holds the only state there is (the service's capacity provider strategy, and the time its current
 * deployment started), so repeated, late or concurrent events decide the same thing, and nothing has to be
 * stored or cleaned up.
 *
 * - To on-demand: ECS could not place a task, or no task has run for five minutes, while the service is on
 *   Spot. Already on on-demand: nothing (a repeated event is a no-op).
 * - Back to Spot: on a steady-state report, once the service has run on on-demand for the quiet period.
 *   Six hours: Spot capacity shortages are regional and clear within hours rather than minutes, and each
 *   return attempt that finds no capacity costs an alert pair and a deployment; four attempts a day at most
 *   is little noise for a saving of about 60 % of compute. A failed return is harmless: the deployment
 *   keeps the on-demand task running until a Spot task is healthy (minimum healthy 100 %), and the
 *   placement failure switches straight back.
 */
import type { Service } from "@aws-sdk/client-ecs";
import type { CapacityTrigger } from "./capacityEvents.ts";

export const SPOT = "FARGATE_SPOT";
export const ON_DEMAND = "FARGATE";
export const QUIET_PERIOD_MS = 6 * 60 * 60 * 1000;

export type Decision =
  | { action: "to_on_demand"; since: string }
  | { action: "to_spot"; onDemandSince: number }
  | { action: "none"; reason: string };

export type Provider = "spot" | "on_demand" | "other";

/** Which capacity the service asks for now: any weight on FARGATE_SPOT counts as Spot. */
export function providerOf(service: Service): Provider {
  const strategy = service.capacityProviderStrategy ?? [];
  if (strategy.some((item) => item.capacityProvider === SPOT && (item.weight ?? 0) > 0)) return "spot";
  if (strategy.length > 0 && strategy.every((item) => item.capacityProvider === ON_DEMAND))
    return "on_demand";
  return "other";
}

/** When the service's current (PRIMARY) deployment started: the switch to on-demand, for a switched one. */
export function primarySince(service: Service): number | null {
  const primary = service.deployments?.find((deployment) => deployment.status === "PRIMARY");
  return primary?.createdAt ? primary.createdAt.getTime() : null;
}

export function decide(trigger: CapacityTrigger, service: Service, now: number): Decision {
  if (service.status !== "ACTIVE") return { action: "none", reason: `service is ${service.status}` };
  const provider = providerOf(service);
  if (provider === "other") {
    return { action: "none", reason: "service uses neither FARGATE_SPOT nor FARGATE alone: left as it is" };
  }
  if (trigger.kind === "placement_failure" || trigger.kind === "no_running_task") {
    if (provider === "on_demand") return { action: "none", reason: "already on on-demand FARGATE" };
    const running = service.runningCount ?? 0;
    const desired = service.desiredCount ?? 0;
    if (trigger.kind === "no_running_task" && running >= desired) {
      return { action: "none", reason: `the alarm is late: ${running} of ${desired} tasks run now` };
    }
    return {
      action: "to_on_demand",
      since:
        trigger.kind === "placement_failure"
          ? `ECS could not place a task on Spot${trigger.reason ? ` (${trigger.reason})` : ""}`
          : "no task has run for 5 minutes on Spot",
    };
  }
  // A steady-state report.
  if (provider === "spot") return { action: "none", reason: "on Spot already" };
  const since = primarySince(service);
  if (since === null) return { action: "none", reason: "no primary deployment to date the switch by" };
  if (now - since < QUIET_PERIOD_MS) {
    return {
      action: "none",
      reason: `on on-demand since ${new Date(since).toISOString()}: back to Spot from ${new Date(since + QUIET_PERIOD_MS).toISOString()}`,
    };
  }
  return { action: "to_spot", onDemandSince: since };
}
