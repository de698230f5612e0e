/**
 * Start-up problems a newcomer meets first, each turned into one line that says what to do.
 *
 * - An unreachable Hyperliquid endpoint is logged once per endpoint (REST, WebSocket) while it has never
 *   answered, and the monitor keeps retrying: a daemon must not exit on a network blip (a restart would
 *   meet the same network, and ECS would only restart it again), but a wrong URL should not hide behind
 *   an endless stream of retry warnings either.
 * - Missing AWS credentials end a local start with a ConfigError (nothing will supply them later); in a
 *   container the task role's credentials come from the ECS agent, whose failure is transient, so there
 *   the monitor logs the line once and keeps retrying.
 */
import { ConfigError } from "../config/config.ts";
import type { Logger } from "../telemetry/logger.ts";
import { describeEndpoint } from "./connectFailures.ts";

/** Network error codes that mean "nothing answers at this address", not "it answered badly". */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** Follows an error's `cause` chain (bounded) and returns the first network code it carries. */
export function networkErrorCode(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== null && typeof current === "object"; depth++) {
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return code;
    // Happy Eyeballs (several addresses) reports an AggregateError of per-address failures.
    if (Array.isArray(errors)) {
      for (const inner of errors) {
        const found = networkErrorCode(inner);
        if (found) return found;
      }
    }
    current = cause;
  }
  return null;
}

export type EndpointKind = "REST" | "WebSocket";

const VARIABLE: Record<EndpointKind, string> = {
  REST: "HYPERLIQUID_API_URL",
  WebSocket: "HYPERLIQUID_WS_URL",
};

export class EndpointReachability {
  readonly #logger: Logger;
  readonly #urls: Record<EndpointKind, string>;
  readonly #answered = new Set<EndpointKind>();
  readonly #reported = new Set<EndpointKind>();

  constructor(logger: Logger, urls: { apiUrl: string; wsUrl: string }) {
    this.#logger = logger;
    this.#urls = { REST: urls.apiUrl, WebSocket: urls.wsUrl };
  }

  /** The endpoint answered once: later failures are outages, reported by the usual warnings. */
  answered(kind: EndpointKind): void {
    this.#answered.add(kind);
  }

  /** A failed attempt; `code` is its network error code (or any text: only unreachable codes count). */
  failed(kind: EndpointKind, code: string | null): void {
    if (code === null || !UNREACHABLE_CODES.has(code)) return;
    if (this.#answered.has(kind) || this.#reported.has(kind)) return;
    this.#reported.add(kind);
    const endpoint = describeEndpoint(this.#urls[kind]);
    this.#logger.error(
      { endpoint, error: code },
      `Hyperliquid ${kind} endpoint ${endpoint} is unreachable (${code}): check ${VARIABLE[kind]} (unset means HYPERLIQUID_NETWORK's official endpoint), this machine's network, DNS and proxy; the monitor keeps retrying`,
    );
  }
}

/** True when the error (or one of its causes) is the AWS SDK's "no credentials anywhere in the chain". */
export function isMissingAwsCredentials(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== null && typeof current === "object"; depth++) {
    const { name, message, cause } = current as { name?: unknown; message?: unknown; cause?: unknown };
    if (name === "CredentialsProviderError") return true;
    if (typeof message === "string" && message.includes("(CredentialsProviderError)")) return true;
    current = cause;
  }
  return false;
}

export const MISSING_AWS_CREDENTIALS =
  "no AWS credentials found for DB_MODE=dynamodb: run `aws configure` or `aws sso login`, or set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), and AWS_REGION; or use DB_MODE=local to store in ./data";

/** Inside an ECS task the credentials come from the agent (these variables point at it). */
export function runsWithContainerCredentials(env: Record<string, string | undefined>): boolean {
  return Boolean(env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI);
}

/**
 * Missing credentials during a start-up storage read: a ConfigError on a laptop; in a container, one
 * error line (the first time) and the caller keeps retrying.
 */
export function missingCredentialsAtStart(
  error: unknown,
  logger: Logger,
  env: Record<string, string | undefined>,
  firstTime: boolean,
): void {
  if (!isMissingAwsCredentials(error)) return;
  if (!runsWithContainerCredentials(env)) throw new ConfigError(MISSING_AWS_CREDENTIALS);
  if (firstTime) {
    logger.error(
      "no AWS credentials from the task role yet: check the task definition's task role; retrying",
    );
  }
}
