/**
 * The monitor on ECS Fargate: one cluster, and per shard one service running exactly one task of
 * 0.25 vCPU and 512 MiB on ARM64 (Graviton, about 20 % cheaper than x86) and, by default, Fargate Spot
 * (about 70 % cheaper than on-demand; an interruption comes with two minutes' warning, within which the
 * monitor flushes and exits, and the replacement backfills whatever it missed). The service asks for Spot
 * through a capacity provider strategy, on a cluster with both Fargate providers, so that when Spot has no
 * capacity lib/capacityFallback.ts can switch it to on-demand FARGATE (and back) with UpdateService.
 *
 * ECS Exec is on by default (a shell in the running task, for diagnosis), with every session logged to
 * the monitor's log group; `exec=false` turns it off and locks the container down instead: a read-only
 * root filesystem and no Linux capabilities (ECS Exec's agent needs to write, so it cannot have both).
 */
import { Duration, IgnoreMode, Size } from "aws-cdk-lib";
import type { SecurityGroup, Vpc } from "aws-cdk-lib/aws-ec2";
import { SubnetType } from "aws-cdk-lib/aws-ec2";
import { Platform } from "aws-cdk-lib/aws-ecr-assets";
import {
  AwsLogDriverMode,
  Capability,
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  Secret as EcsSecret,
  ExecuteCommandLogging,
  FargateService,
  FargateTaskDefinition,
  LinuxParameters,
  LogDrivers,
  OperatingSystemFamily,
} from "aws-cdk-lib/aws-ecs";
import type { Role } from "aws-cdk-lib/aws-iam";
import type { LogGroup } from "aws-cdk-lib/aws-logs";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { CREDENTIALS_SECRET, SUPABASE_SECRET } from "../monitor/src/config/secretVariables.ts";
import type { DbMode } from "./deploymentSettings.ts";
import type { Naming } from "./naming.ts";
import { PROJECT_ROOT } from "./paths.ts";

export const TASK_CPU = 256;
export const TASK_MEMORY_MIB = 512;
export const HEALTH_PORT = 8080;
/** Fargate's maximum, and the length of the Spot interruption warning. */
export const STOP_TIMEOUT_SECONDS = 120;
/**
 * V8 limits for the 512 MiB task: the old generation stays well below the limit, so V8 collects before
 * the kernel kills; the young generation is capped so a burst of frames does not grow the heap V8 keeps
 * (the benchmark measures the monitor with exactly these). 4 MB semi-spaces instead of 8 kept 7 MB less
 * resident after a million trade frames at the same CPU seconds; 2 MB kept more (more objects promoted).
 * V8's --optimize-for-size, which NODE_OPTIONS may not carry, is in the image's CMD (monitor/Dockerfile).
 */
export const TASK_NODE_OPTIONS = "--max-old-space-size=320 --max-semi-space-size=4";

/**
 * glibc's allocator settings for the task (GLIBC_TUNABLES; the image's Debian glibc reads them): one
 * arena instead of one per thread, since V8's worker threads each kept an arena of freed compiler memory
 * (13 MB resident at rest); blocks of 16 KB and more mapped on their own and unmapped when freed; free
 * memory at the heap's top returned from 64 KB. With the 4 MB semi-spaces: 25 MB less RSS after the
 * benchmark's million trade frames (142 → 117 MB run from source, 130 → 92 MB bundled), the same CPU
 * seconds; the task has a quarter of a core, so one arena's lock is never contended.
 */
export const TASK_MALLOC_TUNABLES =
  "glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=16384:glibc.malloc.trim_threshold=65536";

/**
 * The image's build context is the repository root (the Dockerfile in monitor/ needs the lock file),
 * narrowed to what the image uses so unrelated changes do not rebuild it.
 */
export const IMAGE_CONTEXT_ALLOW = [
  "package.json",
  "package-lock.json",
  "monitor/src",
  "monitor/Dockerfile",
  // The alert contract and renderers the monitor shares with the alert Lambda.
  "lambda-alerts/src",
  // The bundler's settings, shared with the benchmark: the image runs what `npm run bench` measured.
  "bin/build-monitor.ts",
];

/** The one writable path of a container with a read-only root filesystem (exec=false). */
export const WRITABLE_TMP = { volume: "tmp", path: "/tmp" } as const;

export interface MonitorServiceProps {
  naming: Naming;
  vpc: Vpc;
  securityGroup: SecurityGroup;
  logGroup: LogGroup;
  dbMode: DbMode;
  shards: number;
  spot: boolean;
  /** ECS Exec on (sessions logged); false: no exec, read-only root filesystem, no capabilities. */
  exec: boolean;
  /** Tasks per service: 0 for a stage deployed stopped (DeploymentSettings.desiredCount). */
  desiredCount: 0 | 1;
  /** Plain, non-secret settings shared by every shard. */
  environment: Record<string, string>;
  credentials: ISecret;
  supabase: ISecret | null;
}

export class MonitorService extends Construct {
  readonly cluster: Cluster;
  readonly services: FargateService[] = [];
  readonly taskDefinitions: FargateTaskDefinition[] = [];
  readonly exec: boolean;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: MonitorServiceProps) {
    super(scope, id);
    this.exec = props.exec;
    this.logGroup = props.logGroup;
    this.cluster = new Cluster(this, "Cluster", {
      // The specification's runbook name (`--cluster hl-monitor-cluster`); see Naming.
      clusterName: props.naming.clusterName,
      vpc: props.vpc,
      enableFargateCapacityProviders: true,
      // Container Insights bills its own metrics per task; the monitor's metrics and ECS's free
      // service metrics cover what the dashboard and alarms need.
      containerInsightsV2: ContainerInsights.DISABLED,
      // Every ECS Exec session (the commands and their output) is recorded in the monitor's log group,
      // so a shell in the task leaves an audit trail; the task role gets the rights to write there.
      executeCommandConfiguration: {
        logging: ExecuteCommandLogging.OVERRIDE,
        logConfiguration: { cloudWatchLogGroup: props.logGroup },
      },
    });

    const image = ContainerImage.fromAsset(PROJECT_ROOT, {
      file: "monitor/Dockerfile",
      platform: Platform.LINUX_ARM64,
      ignoreMode: IgnoreMode.DOCKER,
      exclude: ["*", ...IMAGE_CONTEXT_ALLOW.map((path) => `!${path}`)],
    });

    // One task definition per shard: the shard number is part of the container's environment.
    for (let shard = 0; shard < props.shards; shard++) {
      const suffix = props.shards > 1 ? String(shard) : "";
      const taskDefinition = new FargateTaskDefinition(this, `Task${suffix}`, {
        cpu: TASK_CPU,
        memoryLimitMiB: TASK_MEMORY_MIB,
        runtimePlatform: {
          cpuArchitecture: CpuArchitecture.ARM64,
          operatingSystemFamily: OperatingSystemFamily.LINUX,
        },
      });
      taskDefinition.addContainer("monitor", {
        image,
        containerName: "monitor",
        essential: true,
        stopTimeout: Duration.seconds(STOP_TIMEOUT_SECONDS),
        environment: {
          ...props.environment,
          SHARD_INDEX: String(shard),
          SHARD_COUNT: String(props.shards),
        },
        secrets: this.#secrets(props),
        // Without ECS Exec nothing needs to write outside /tmp: the monitor writes only to stdout
        // (DATA_DIR belongs to the local store, which a deployed task does not run).
        readonlyRootFilesystem: !props.exec,
        // A tiny init as PID 1: forwards SIGTERM to node and reaps ECS Exec's session processes.
        linuxParameters: this.#linuxParameters(props.exec, suffix),
        healthCheck: {
          // The image has node and nothing else to probe with; /health answers while the event loop does.
          command: [
            "CMD",
            "node",
            "-e",
            `fetch("http://127.0.0.1:${HEALTH_PORT}/health").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
          ],
          interval: Duration.seconds(30),
          timeout: Duration.seconds(5),
          retries: 3,
          // Start-up includes the backfill of missed fills.
          startPeriod: Duration.seconds(120),
        },
        logging: LogDrivers.awsLogs({
          logGroup: props.logGroup,
          streamPrefix: suffix ? `shard-${suffix}` : "monitor",
          // Non-blocking: if CloudWatch Logs is slow, log lines may be dropped from a 25 MB buffer
          // rather than stalling the monitor's stdout and with it the WebSocket and the fills.
          mode: AwsLogDriverMode.NON_BLOCKING,
          maxBufferSize: Size.mebibytes(25),
        }),
      });

      if (!props.exec) {
        // Fargate offers no tmpfs: a task volume (on the task's ephemeral storage) is the writable /tmp
        // for Node and its libraries.
        taskDefinition.addVolume({ name: WRITABLE_TMP.volume });
        taskDefinition.defaultContainer!.addMountPoints({
          containerPath: WRITABLE_TMP.path,
          sourceVolume: WRITABLE_TMP.volume,
          readOnly: false,
        });
      }

      const service = new FargateService(this, `Service${suffix}`, {
        // Predictable (`hl-monitor-service`), so the runbook's commands name it; see Naming.
        serviceName: props.naming.serviceName(shard, props.shards),
        cluster: this.cluster,
        taskDefinition,
        desiredCount: props.desiredCount,
        // Deliberate for a single WebSocket consumer: a deployment starts the new task (100 % → 200 %)
        // and stops the old one only once the new one is healthy, so the account is never unwatched
        // while an image is pulled and missed fills are backfilled. The minute of overlap is harmless:
        // every write is idempotent and every alert is claimed once in storage (tested with two monitors
        // side by side). 0/100 would instead leave a gap of a minute or two at every deployment.
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        circuitBreaker: { enable: true, rollback: true },
        enableExecuteCommand: props.exec,
        assignPublicIp: true,
        vpcSubnets: { subnetType: SubnetType.PUBLIC },
        securityGroups: [props.securityGroup],
        capacityProviderStrategies: [
          { capacityProvider: props.spot ? "FARGATE_SPOT" : "FARGATE", weight: 1 },
        ],
      });
      this.services.push(service);
      this.taskDefinitions.push(taskDefinition);
    }
  }

  /** The roles the monitor's code runs as (one per shard's task definition). */
  get taskRoles(): Role[] {
    return this.taskDefinitions.map((definition) => definition.taskRole as Role);
  }

  #linuxParameters(exec: boolean, suffix: string): LinuxParameters {
    const parameters = new LinuxParameters(this, `LinuxParameters${suffix}`, { initProcessEnabled: true });
    // Node needs no Linux capability (it binds the health port above 1024 as the `node` user).
    if (!exec) parameters.dropCapabilities(Capability.ALL);
    return parameters;
  }

  /**
   * Each secret whole, as one variable the monitor parses (monitor/src/config/secretVariables.ts): a
   * task never fails to start over a JSON key its secret lacks, and the secrets need no keys in the
   * template (lib/secrets.ts).
   */
  #secrets(props: MonitorServiceProps): Record<string, EcsSecret> {
    const secrets: Record<string, EcsSecret> = {
      [CREDENTIALS_SECRET.variable]: EcsSecret.fromSecretsManager(props.credentials),
    };
    if (props.dbMode === "supabase" && props.supabase) {
      secrets[SUPABASE_SECRET.variable] = EcsSecret.fromSecretsManager(props.supabase);
    }
    return secrets;
  }
}
