/**
 * Why a WebSocket connection attempt failed, for the log.
 *
 * Node 24's global WebSocket (undici 7.29, measured on Node 24.21) reports a failed attempt as an `error`
 * event whose `ErrorEvent.error` is a bare `TypeError("")` with no `cause`, then a close with code 1006:
 * undici's failWebsocketConnection drops the network error. The cause is published on undici's
 * diagnostics channels, process-wide, before the `error` event:
 * - `undici:client:connectError` `{connectParams: {hostname, port, protocol}, error}`: DNS (ENOTFOUND,
 *   EAI_AGAIN), ECONNREFUSED, ETIMEDOUT, TLS (ERR_TLS_CERT_ALTNAME_INVALID, CERT_HAS_EXPIRED, …);
 * - `undici:request:headers` `{request: {origin, path}, response: {statusCode}}`: the status of an upgrade
 *   the server refused (anything but 101).
 * The channels name the origin, not the socket: connections to one endpoint share its latest cause (the
 * same endpoint fails for the same reason). A later undici that fills `ErrorEvent.error.cause` is used
 * first.
 */
import { subscribe } from "node:diagnostics_channel";

/** A cause older than this belongs to another attempt. */
const CAUSE_FRESH_MS = 30_000;

interface Cause {
  error: string;
  detail: string;
  at: number;
}

const causes = new Map<string, Cause>();
let watching = false;

/** `host:port/path` of a ws(s) URL: no credentials, no query string (they may hold secrets). */
export function describeEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}

/** Starts listening to undici's diagnostics channels (once per process). */
export function watchConnectFailures(): void {
  if (watching) return;
  watching = true;
  subscribe("undici:client:connectError", (message) => {
    const { connectParams, error } = message as {
      connectParams?: { hostname?: string; host?: string; port?: string | number; protocol?: string };
      error?: { code?: unknown; name?: unknown; message?: unknown };
    };
    if (!connectParams) return;
    const hostname = connectParams.hostname ?? connectParams.host ?? "";
    const key = originKey(connectParams.protocol ?? "", hostname, connectParams.port);
    causes.set(key, {
      error: String(error?.code ?? error?.name ?? "connect error"),
      detail: String(error?.message ?? "").slice(0, 200),
      at: Date.now(),
    });
  });
  subscribe("undici:request:headers", (message) => {
    const { request, response } = message as {
      request?: { origin?: unknown; path?: unknown };
      response?: { statusCode?: unknown };
    };
    const status = Number(response?.statusCode);
    if (!request || status === 101 || !Number.isFinite(status)) return;
    try {
      const origin = new URL(String(request.origin));
      const path = String(request.path ?? "").split("?")[0];
      causes.set(`${originKey(origin.protocol, origin.hostname, origin.port)}${path}`, {
        error: `HTTP ${status}`,
        detail: "upgrade refused",
        at: Date.now(),
      });
    } catch {
      // not an origin we could have connected to
    }
  });
}

/**
 * The cause of the attempt to `url` that just failed: from the error event if it carries one, else the
 * newest diagnostics report for the endpoint (a refused upgrade on its path, else a connect error).
 */
export function connectFailureCause(url: string, event: Event | null, now = Date.now()): Cause | null {
  const carried = (event as { error?: { cause?: { code?: unknown; message?: unknown } } } | null)?.error
    ?.cause;
  if (carried && typeof carried.code === "string") {
    return { error: carried.code, detail: String(carried.message ?? "").slice(0, 200), at: now };
  }
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return null;
  }
  const protocol = target.protocol === "wss:" ? "https:" : "http:";
  const origin = originKey(protocol, target.hostname, target.port);
  const candidates = [causes.get(`${origin}${target.pathname}`), causes.get(origin)].filter(
    (cause): cause is Cause => cause !== undefined && now - cause.at <= CAUSE_FRESH_MS,
  );
  // The newest report wins: a refused upgrade comes after a connect that succeeded.
  return candidates.sort((a, b) => b.at - a.at)[0] ?? null;
}

function originKey(protocol: string, hostname: string, port: string | number | undefined): string {
  const secure = protocol === "https:" || protocol === "wss:";
  const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  const effectivePort = port === undefined || port === "" ? (secure ? "443" : "80") : String(port);
  return `${secure ? "https" : "http"}://${host.toLowerCase()}:${effectivePort}`;
}
