/**
 * The project's Lambdas share one shape: Node 24 on ARM64 (Graviton, 20 % cheaper per GB-second), bundled
 * here by the local esbuild into one minified CommonJS file without the AWS SDK (the runtime provides v3),
 * a log group of its own kept two weeks, and a role of its own that may write to that group only (instead
 * of the managed AWSLambdaBasicExecutionRole, which allows every log group). Each caller adds what its
 * function may do beyond that.
 *
 * The three resources keep the ids "FunctionLogs", "FunctionRole" and "Function" inside the caller's
 * construct: their logical ids, and so the deployed resources, are the ones earlier versions created.
 */
import { join } from "node:path";
import { type Duration, RemovalPolicy } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { CHART_ASSETS_ENVIRONMENT, chartAssetsBundling } from "./chartAssetsBundling.ts";
import { PROJECT_ROOT } from "./paths.ts";

export interface BundledFunctionOptions {
  functionName: string;
  logGroupName: string;
  /** What the function does, shown in the console. */
  description: string;
  /** What its role allows, shown in the console. */
  roleDescription: string;
  /** The handler's file, from the repository root; it exports `handler`. */
  entry: string;
  memorySize: number;
  timeout: Duration;
  /** Lambda's own retries of an asynchronous invocation (synchronous ones are never retried). */
  retryAttempts: number;
  environment: Record<string, string>;
  /** Packs the chart renderer's WebAssembly module and fonts, and points CHART_ASSETS_DIR at them. */
  drawsCharts?: boolean;
  /** Anything else the function needs (a dead-letter queue, reserved concurrency). */
  extra?: Pick<NodejsFunctionProps, "deadLetterQueue" | "reservedConcurrentExecutions">;
}

export interface BundledFunction {
  function: NodejsFunction;
  role: Role;
  logGroup: LogGroup;
}

export function createBundledFunction(scope: Construct, options: BundledFunctionOptions): BundledFunction {
  const logGroup = new LogGroup(scope, "FunctionLogs", {
    logGroupName: options.logGroupName,
    retention: RetentionDays.TWO_WEEKS,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new Role(scope, "FunctionRole", {
    assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
    description: options.roleDescription,
  });
  logGroup.grantWrite(role);
  const fn = new NodejsFunction(scope, "Function", {
    functionName: options.functionName,
    description: options.description,
    entry: join(PROJECT_ROOT, options.entry),
    handler: "handler",
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: join(PROJECT_ROOT, "package-lock.json"),
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: options.memorySize,
    timeout: options.timeout,
    role,
    logGroup,
    retryAttempts: options.retryAttempts,
    ...options.extra,
    environment: {
      ...options.environment,
      ...(options.drawsCharts ? CHART_ASSETS_ENVIRONMENT : {}),
    },
    bundling: {
      format: OutputFormat.CJS,
      target: "node24",
      minify: true,
      sourceMap: false,
      // The Node 24 runtime provides AWS SDK v3; bundling it would triple the package.
      externalModules: ["@aws-sdk/*"],
      forceDockerBundling: false,
      ...(options.drawsCharts ? chartAssetsBundling() : {}),
    },
  });
  return { function: fn, role, logGroup };
}
