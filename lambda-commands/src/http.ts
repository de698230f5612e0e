/**
 * The Function URL's request and response (the API Gateway v2 payload shape Function URLs use:
 * docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads). Bodies may arrive base64
 * encoded (`isBase64Encoded`); header names arrive lower-case.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

export type FunctionUrlEvent = Pick<
  APIGatewayProxyEventV2,
  "headers" | "body" | "isBase64Encoded" | "rawPath" | "requestContext"
>;
export type FunctionUrlResult = APIGatewayProxyStructuredResultV2;

/** Larger bodies are refused unread: a Telegram update or a Discord interaction is a few kilobytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The body's bytes, or null when it is larger than MAX_BODY_BYTES (checked before decoding too). */
export function requestBody(event: FunctionUrlEvent): Buffer | null {
  const body = event.body ?? "";
  // Base64 is 4 characters per 3 bytes: a longer string cannot decode to an acceptable body.
  if (body.length > (event.isBase64Encoded ? Math.ceil((MAX_BODY_BYTES * 4) / 3) + 4 : MAX_BODY_BYTES * 4)) {
    return null;
  }
  const raw = event.isBase64Encoded ? Buffer.from(body, "base64") : Buffer.from(body, "utf8");
  return raw.length > MAX_BODY_BYTES ? null : raw;
}

export function header(event: FunctionUrlEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? headers[name.toLowerCase()];
}

/** JSON.parse of an object body; null for anything else (malformed, an array, a number). */
export function parseJsonObject(raw: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(raw.toString("utf8"));
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export function jsonResponse(statusCode: number, body: unknown): FunctionUrlResult {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

export function emptyResponse(statusCode: number): FunctionUrlResult {
  return { statusCode, body: "" };
}

const settingsMisses = new WeakSet<FunctionUrlResult>();

/**
 * A refusal that newer settings could turn into an answer: a webhook secret or Discord key that no longer
 * matches, a chat not (yet) in TELEGRAM_CHAT_ID. Settings are cached for an hour to keep Secrets Manager
 * reads (billed per call) few; on such a refusal the handler rereads them, at most every few minutes, and
 * tries once more, so a changed secret takes effect at once instead of an hour later.
 */
export function settingsMissResponse(statusCode: number): FunctionUrlResult {
  const response = emptyResponse(statusCode);
  settingsMisses.add(response);
  return response;
}

export function isSettingsMiss(response: FunctionUrlResult): boolean {
  return settingsMisses.has(response);
}
