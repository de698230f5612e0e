/**
 * A loopback Amazon ECS answering `DescribeServices` and `UpdateService` in the service's JSON 1.1
 * protocol, so the capacity Lambda runs with the real @aws-sdk/client-ecs pointed at it. It keeps each
 * service's capacity provider strategy and deployments, and records every UpdateService request as sent.
 *
 * DOCS <Page> below is https://docs.aws.amazon.com/AmazonECS/latest/APIReference/<Page>.html (the ECS API
 * reference): API_DescribeServices, API_UpdateService, CommonErrors, CommonParameters.
 *
 * Wire format (DOCS CommonParameters and each operation's "Request Syntax"): `POST /`, the operation in
 * `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`, `Content-Type: application/x-amz-json-1.1`,
 * JSON request and answer bodies; errors as `{"__type": "<Exception>", "message": "..."}` with status 400
 * for client errors (DOCS CommonErrors).
 */
import { type JsonReply, startLoopbackServer } from "./loopbackHttp.ts";

const TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113.";
const JSON_11 = { "content-type": "application/x-amz-json-1.1" };
const REGION = "eu-west-1";
const ACCOUNT = "123456789012";

export interface StrategyItem {
  capacityProvider: string;
  weight?: number;
  base?: number;
}

export interface StandInDeployment {
  id: string;
  status: "PRIMARY" | "ACTIVE" | "INACTIVE";
  taskDefinition: string;
  desiredCount: number;
  pendingCount: number;
  runningCount: number;
  /** Epoch seconds, as the JSON protocol carries timestamps. */
  createdAt: number;
  updatedAt: number;
  capacityProviderStrategy: StrategyItem[];
  rolloutState: "COMPLETED" | "IN_PROGRESS" | "FAILED";
}

export interface StandInService {
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  status: "ACTIVE" | "DRAINING" | "INACTIVE";
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  capacityProviderStrategy: StrategyItem[];
  taskDefinition: string;
  deployments: StandInDeployment[];
}

export interface UpdateServiceRequest {
  cluster?: string;
  service: string;
  capacityProviderStrategy?: StrategyItem[];
  forceNewDeployment?: boolean;
  [other: string]: unknown;
}

export class EcsStandIn {
  readonly clusterName: string;
  readonly services = new Map<string, StandInService>();
  /** Every UpdateService request body that reached the stand-in (throttled ones included). */
  readonly updateRequests: UpdateServiceRequest[] = [];
  readonly operations: string[] = [];
  endpoint = "";
  /** The clock of the stand-in (epoch ms), for deployment times. */
  now: () => number = Date.now;
  #throttle = 0;
  #deploymentCounter = 0;
  #close: (() => Promise<void>) | null = null;

  constructor(clusterName: string) {
    this.clusterName = clusterName;
  }

  static async start(clusterName: string): Promise<EcsStandIn> {
    const standIn = new EcsStandIn(clusterName);
    const server = await startLoopbackServer((request, body) =>
      standIn.#handle(String(request.headers["x-amz-target"] ?? ""), body),
    );
    standIn.endpoint = server.url;
    standIn.#close = server.close;
    return standIn;
  }

  get clusterArn(): string {
    return `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${this.clusterName}`;
  }

  /** A running service with one completed deployment on `provider`, `runningCount` tasks of one. */
  addService(name: string, provider: string, options: { runningCount?: number; createdAt?: number } = {}) {
    const at = (options.createdAt ?? this.now()) / 1000;
    const runningCount = options.runningCount ?? 1;
    const taskDefinition = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/HyperliquidMonitorTask:7`;
    const strategy = [{ capacityProvider: provider, weight: 1, base: 0 }];
    const service: StandInService = {
      serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${this.clusterName}/${name}`,
      serviceName: name,
      clusterArn: this.clusterArn,
      status: "ACTIVE",
      desiredCount: 1,
      runningCount,
      pendingCount: 0,
      capacityProviderStrategy: strategy,
      taskDefinition,
      deployments: [this.#deployment(strategy, taskDefinition, at, runningCount, "COMPLETED")],
    };
    this.services.set(name, service);
    return service;
  }

  /** The next `count` requests answer ThrottlingException. */
  throttleNext(count: number): void {
    this.#throttle = count;
  }

  async close(): Promise<void> {
    await this.#close?.();
  }

  #handle(target: string, body: string): JsonReply {
    if (!target.startsWith(TARGET_PREFIX)) {
      // DOCS CommonErrors: InvalidAction, "the action or operation requested is invalid", 400.
      return this.#error(400, "InvalidAction", `Unknown target: ${target}`);
    }
    const operation = target.slice(TARGET_PREFIX.length);
    this.operations.push(operation);
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(body) as Record<string, unknown>;
    } catch {
      // The JSON 1.1 protocol's answer to a body that does not parse (Smithy awsJson1_1: SerializationException, 400).
      return this.#error(
        400,
        "SerializationException",
        "Start of structure or map found where not expected.",
      );
    }
    if (operation === "UpdateService") this.updateRequests.push(request as UpdateServiceRequest);
    if (this.#throttle > 0) {
      this.#throttle -= 1;
      // DOCS CommonErrors: ThrottlingException, HTTP 400, "the request was denied due to
      // request throttling"; the SDK's standard retry strategy retries it with backoff.
      return this.#error(400, "ThrottlingException", "Rate exceeded");
    }
    if (operation === "DescribeServices") return this.#describeServices(request);
    if (operation === "UpdateService") return this.#updateService(request as UpdateServiceRequest);
    // DOCS CommonErrors: InvalidAction (400); the stand-in serves the fallback's two operations only.
    return this.#error(400, "InvalidAction", `${operation} is not served by this stand-in`);
  }

  /** DOCS API_DescribeServices: `cluster`, `services` (1 to 10 names or ARNs). */
  #describeServices(request: Record<string, unknown>): JsonReply {
    if (!this.#isThisCluster(request.cluster)) return this.#clusterNotFound();
    const names = request.services;
    if (!Array.isArray(names) || names.length === 0 || names.length > 10) {
      // DOCS API_DescribeServices: `services` is required, "up to 10 services"; InvalidParameterException (400).
      return this.#error(400, "InvalidParameterException", "services must contain 1 to 10 items.");
    }
    const services: StandInService[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const name of names as string[]) {
      const service = this.services.get(this.#serviceName(name));
      // DOCS API_DescribeServices: an unknown service is not an error but a `failures` entry with
      // reason MISSING (Amazon ECS developer guide, api_failures_messages).
      if (service) services.push(service);
      else failures.push({ arn: this.#serviceArn(name), reason: "MISSING" });
    }
    return { status: 200, headers: JSON_11, body: { services, failures } };
  }

  /**
   * DOCS API_UpdateService: a new capacity provider strategy does not start a deployment
   * by itself ("This parameter doesn't trigger a new service deployment"); `forceNewDeployment` does. The
   * answer is `{ service }` with the new PRIMARY deployment first.
   */
  #updateService(request: UpdateServiceRequest): JsonReply {
    if (!this.#isThisCluster(request.cluster)) return this.#clusterNotFound();
    const service = this.services.get(this.#serviceName(String(request.service ?? "")));
    if (!service) {
      // DOCS API_UpdateService Errors: ServiceNotFoundException (400) "The specified service wasn't found".
      return this.#error(400, "ServiceNotFoundException", "Service not found.");
    }
    if (service.status !== "ACTIVE") {
      // DOCS API_UpdateService Errors: ServiceNotActiveException (400) for a service that is not ACTIVE.
      return this.#error(400, "ServiceNotActiveException", "Service was not ACTIVE.");
    }
    if (request.capacityProviderStrategy) {
      const known = ["FARGATE", "FARGATE_SPOT"];
      const bad = request.capacityProviderStrategy.find((item) => !known.includes(item.capacityProvider));
      if (bad) {
        // DOCS API_UpdateService (capacityProviderStrategy): a provider must be associated with the cluster.
        return this.#error(
          400,
          "InvalidParameterException",
          `The specified capacity provider ${bad.capacityProvider} is not in an ACTIVE state.`,
        );
      }
      service.capacityProviderStrategy = request.capacityProviderStrategy.map((item) => ({
        capacityProvider: item.capacityProvider,
        weight: item.weight ?? 0,
        base: item.base ?? 0,
      }));
    }
    if (request.forceNewDeployment) {
      for (const deployment of service.deployments) {
        if (deployment.status === "PRIMARY") deployment.status = "ACTIVE";
      }
      service.deployments.unshift(
        this.#deployment(
          service.capacityProviderStrategy,
          service.taskDefinition,
          this.now() / 1000,
          0,
          "IN_PROGRESS",
        ),
      );
    }
    return { status: 200, headers: JSON_11, body: { service } };
  }

  #deployment(
    strategy: StrategyItem[],
    taskDefinition: string,
    at: number,
    runningCount: number,
    rolloutState: StandInDeployment["rolloutState"],
  ): StandInDeployment {
    this.#deploymentCounter += 1;
    return {
      id: `ecs-svc/${String(1_000_000_000 + this.#deploymentCounter)}`,
      status: "PRIMARY",
      taskDefinition,
      desiredCount: 1,
      pendingCount: 0,
      runningCount,
      createdAt: at,
      updatedAt: at,
      capacityProviderStrategy: strategy.map((item) => ({ ...item })),
      rolloutState,
    };
  }

  #isThisCluster(cluster: unknown): boolean {
    return cluster === this.clusterName || cluster === this.clusterArn;
  }

  #serviceName(nameOrArn: string): string {
    return nameOrArn.split("/").at(-1) ?? nameOrArn;
  }

  #serviceArn(nameOrArn: string): string {
    return nameOrArn.startsWith("arn:")
      ? nameOrArn
      : `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${this.clusterName}/${nameOrArn}`;
  }

  #clusterNotFound(): JsonReply {
    // DOCS API_DescribeServices / API_UpdateService Errors: ClusterNotFoundException (400).
    return this.#error(400, "ClusterNotFoundException", "Cluster not found.");
  }

  #error(status: number, type: string, message: string): JsonReply {
    return { status, headers: JSON_11, body: { __type: type, message } };
  }
}
