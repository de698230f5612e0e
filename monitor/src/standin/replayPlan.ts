/**
 * Turns a recording into what a replay needs: the steps to play in order (with where each recorded frame
 * goes), the recorded connection sessions, and the history the stand-in serves over REST and in the
 * snapshots it makes itself (fills, trades, account states and orders, each with the time it became known).
 *
 * Where a recorded frame goes:
 * - acks, pongs, error and post frames: nowhere. They answered the recorded client's requests; the
 *   stand-in answers the live client's own requests.
 * - userFills and clearinghouseState frames: to the connections subscribed for that type and the frame's
 *   user; orderUpdates (no user in the frame): to the orderUpdates subscription of the recorded
 *   connection's account; trades: to the trades subscribers of the coin.
 * - anything else (malformed text, unknown channels): to the recorded connection, exactly as recorded.
 * Snapshot frames are the userFills frames flagged `isSnapshot`, and the first trades / clearinghouseState
 * frame right after the recorded ack of that subscription (the server sends those unflagged).
 */
import type { StandInSubscription } from "./clientRequests.ts";
import { type HistoryData, RecordedHistory } from "./recordedHistory.ts";
import type { RecordingEntry } from "./recording.ts";

/** A snapshot follows its ack within milliseconds; a frame later than this is live, not the snapshot. */
const SNAPSHOT_AFTER_ACK_MS = 250;

export type FrameRoute =
  | { to: "nobody" }
  | { to: "subscribers"; match: (subscription: StandInSubscription) => boolean }
  | { to: "recordedConnection" };

export type ReplayStep =
  | { kind: "open" | "close"; index: number; t: number; account: string }
  | { kind: "rest"; index: number; t: number }
  | {
      kind: "frame";
      index: number;
      t: number;
      account: string;
      text: string;
      route: FrameRoute;
      /** Set on snapshot frames: the subscription they are the snapshot of (see snapshotKeyOf). */
      snapshotOf: string | null;
    };

/** One recorded connection of an account, from its `open` to its `close` step (inclusive indices). */
export interface RecordedSession {
  account: string;
  first: number;
  last: number;
}

/** The steps and sessions to play, and the recorded history the stand-in serves (see recordedHistory.ts). */
export interface ReplayPlan extends HistoryData {
  steps: ReplayStep[];
  sessions: RecordedSession[];
}

/** The subscription a snapshot belongs to, on the fields that select its data. */
export function snapshotKeyOf(subscription: StandInSubscription): string | null {
  switch (subscription.type) {
    case "userFills":
    case "clearinghouseState":
      return `${subscription.type}|${String(subscription.user).toLowerCase()}`;
    case "trades":
      return `trades|${String(subscription.coin)}`;
    default:
      return null;
  }
}

export function planReplay(entries: readonly RecordingEntry[]): ReplayPlan {
  const steps: ReplayStep[] = [];
  const sessions: RecordedSession[] = [];
  const openSessions = new Map<string, RecordedSession>();
  const history = new RecordedHistory();
  /** Per account: subscriptions acked in the current session whose snapshot has not come yet → ack time. */
  const awaitedSnapshots = new Map<string, Map<string, number>>();

  const sessionOf = (account: string, index: number): RecordedSession => {
    let session = openSessions.get(account);
    if (!session) {
      // Frames before any recorded `open` belong to a connection opened before the recording started.
      session = { account, first: index, last: Number.POSITIVE_INFINITY };
      openSessions.set(account, session);
      sessions.push(session);
    }
    return session;
  };

  for (const entry of entries) {
    const index = steps.length;
    if ("rest" in entry) {
      history.fromRest(entry.t, entry.rest.request, entry.rest.response);
      steps.push({ kind: "rest", index, t: entry.t });
      continue;
    }
    const account = entry.conn.toLowerCase();
    if ("event" in entry) {
      if (entry.event === "open") {
        if (openSessions.has(account)) openSessions.get(account)!.last = index - 1;
        const session = { account, first: index, last: Number.POSITIVE_INFINITY };
        openSessions.set(account, session);
        sessions.push(session);
      } else {
        sessionOf(account, index).last = index;
        openSessions.delete(account);
      }
      awaitedSnapshots.delete(account);
      steps.push({ kind: entry.event, index, t: entry.t, account });
      continue;
    }
    sessionOf(account, index);
    const awaited = awaitedSnapshots.get(account) ?? new Map<string, number>();
    awaitedSnapshots.set(account, awaited);
    const message = parseFrame(entry.frame);
    history.fromFrame(entry.t, account, message?.channel, message?.data);
    const { route, snapshotOf } = routeOf(message, account, entry.t, awaited);
    steps.push({ kind: "frame", index, t: entry.t, account, text: entry.frame, route, snapshotOf });
  }
  return { steps, sessions, ...history.result() };
}

/**
 * Where a recorded frame goes, and whether it is a snapshot. `awaited` holds the subscriptions the
 * recorded connection had acked whose snapshot has not come yet (by snapshot key → ack time); an ack adds
 * to it, a snapshot takes its entry out.
 */
function routeOf(
  message: ParsedFrame | null,
  account: string,
  t: number,
  awaited: Map<string, number>,
): { route: FrameRoute; snapshotOf: string | null } {
  const data = isObject(message?.data) ? message.data : {};
  const snapshot = (key: string | null, isSnapshot: boolean) => {
    if (key === null || !isSnapshot) return null;
    awaited.delete(key);
    return key;
  };
  switch (message?.channel) {
    case "subscriptionResponse": {
      const subscription = isObject(data.subscription) ? data.subscription : null;
      const key =
        subscription && data.method === "subscribe" && typeof subscription.type === "string"
          ? snapshotKeyOf(subscription as StandInSubscription)
          : null;
      if (key) awaited.set(key, t);
      return { route: { to: "nobody" }, snapshotOf: null };
    }
    case "pong":
    case "error":
    case "post":
      return { route: { to: "nobody" }, snapshotOf: null };
    case "userFills":
    case "clearinghouseState": {
      const channel = message.channel;
      const user = typeof data.user === "string" ? data.user.toLowerCase() : account;
      const key = `${channel}|${user}`;
      const isSnapshot =
        channel === "userFills" ? data.isSnapshot === true : isSnapshotAfterAck(awaited.get(key), t);
      return {
        route: { to: "subscribers", match: (s) => s.type === channel && s.user === user },
        snapshotOf: snapshot(key, isSnapshot),
      };
    }
    case "orderUpdates":
      return {
        route: { to: "subscribers", match: (s) => s.type === "orderUpdates" && s.user === account },
        snapshotOf: null,
      };
    case "trades": {
      const trades = Array.isArray(message.data) ? message.data : [];
      const coins = new Set(trades.map((trade) => (isObject(trade) ? trade.coin : undefined)));
      const key = coins.size === 1 ? `trades|${String([...coins][0])}` : null;
      return {
        route: { to: "subscribers", match: (s) => s.type === "trades" && coins.has(s.coin) },
        snapshotOf: snapshot(key, key !== null && isSnapshotAfterAck(awaited.get(key), t)),
      };
    }
    default:
      return { route: { to: "recordedConnection" }, snapshotOf: null };
  }
}

function isSnapshotAfterAck(ackedAt: number | undefined, t: number): boolean {
  return ackedAt !== undefined && t - ackedAt <= SNAPSHOT_AFTER_ACK_MS;
}

interface ParsedFrame {
  channel?: unknown;
  data?: unknown;
}

/** The frame as JSON, or null for malformed text (which is still replayed, as recorded). */
function parseFrame(text: string): ParsedFrame | null {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
