/**
 * Turns whatever the AWS SDK throws into a StorageError: classified (retryable or not) and with a message
 * that is safe to log.
 *
 * Retryable: throttling, 5xx, timeouts and network failures — waiting and trying again can succeed.
 * Not retryable: validation, missing tables, access denied, and anything unrecognised (a programming
 * error would otherwise be retried forever and hold the pending-write bound).
 *
 * The message names the operation, the error name and the HTTP status. The service's own message text is
 * included only for error kinds whose text is known to describe the request's shape (validation, missing
 * table): authentication errors can echo the signed request, which must never reach a log.
 */
import { StorageError } from "../store.ts";

/** Error names DynamoDB and the SDK use for throttling and transient failures (as the SDK classifies them). */
const RETRYABLE_ERROR_NAMES = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "Throttling",
  "RequestLimitExceeded",
  "LimitExceededException",
  "TooManyRequestsException",
  "TransactionConflictException",
  "InternalServerError",
  "ServiceUnavailable",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  // Temporary credentials that expired or could not be fetched (container metadata hiccup) come back.
  "ExpiredTokenException",
  "CredentialsProviderError",
]);

/** Node socket error codes of a request that never got an answer. */
const NETWORK_ERROR_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** Error names whose service message describes only the request's shape, so it can be shown. */
const SAFE_MESSAGE_ERROR_NAMES = new Set([
  "ValidationException",
  "ResourceNotFoundException",
  "ResourceInUseException",
  "ItemCollectionSizeLimitExceededException",
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

export function isRetryableDynamoError(error: unknown): boolean {
  const { name, code, $retryable, $metadata } = (error ?? {}) as SdkErrorShape;
  const status = $metadata?.httpStatusCode;
  if (name === "AbortError") return false;
  return (
    (status !== undefined && (status >= 500 || status === 429)) ||
    $retryable !== undefined ||
    RETRYABLE_ERROR_NAMES.has(name ?? "") ||
    NETWORK_ERROR_CODES.has(code ?? "")
  );
}

/** `operation` says what was attempted, e.g. "BatchWriteItem hl-fills"; it must not contain item data. */
export function toStorageError(operation: string, error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const { name = "Error", code, message, $metadata } = (error ?? {}) as SdkErrorShape;
  const status = $metadata?.httpStatusCode;
  const details = [
    name,
    code && code !== name ? code : null,
    status !== undefined ? `HTTP ${status}` : null,
  ].filter((part) => part !== null);
  const serviceMessage =
    SAFE_MESSAGE_ERROR_NAMES.has(name) && message ? `: ${message.replace(/\s+/g, " ").slice(0, 300)}` : "";
  return new StorageError(`DynamoDB ${operation} failed (${details.join(", ")})${serviceMessage}`, {
    cause: error,
    retryable: isRetryableDynamoError(error),
  });
}
