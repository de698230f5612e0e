/**
 * Plays a recording through the stand-in, so the whole monitor runs offline against recorded traffic.
 *
 * The stand-in's history grows as the replay passes each entry (userFills frames, snapshots and recorded
 * REST answers add fills; trades frames add trades; clearinghouseState frames set the state), so REST
 * backfills and subscribe snapshots see what the real service would have shown at that moment. Live
 * frames are delivered to the connections subscribed for them, with the recorded delays divided by
 * `speed` (each capped at `maxGapMs`); a recorded `close` drops the connections, and delivery waits until
 * the client has re-subscribed.
 */
import type { WireClearinghouseState, WireFill, WireTrade } from "../domain/wire.ts";
import { type RecordingEntry, readRecording } from "./recording.ts";
import { HyperliquidStandIn, type StandInSubscription } from "./server.ts";

export interface ReplayOptions {
  speed?: number;
  maxGapMs?: number;
  /** Fills in the stand-in's subscribe snapshots (older ones must then come from the REST backfill). */
  snapshotSize?: number;
  /** How long a live frame waits for a subscriber before it is skipped. */
  subscriberWaitMs?: number;
}

export interface Replay {
  wsUrl: string;
  apiUrl: string;
  standIn: HyperliquidStandIn;
  done: Promise<{ delivered: number; skipped: number }>;
  stop(): Promise<void>;
}

type Parsed = { channel?: string; data?: unknown };

export async function startReplay(path: string, options: ReplayOptions = {}): Promise<Replay> {
  const { entries } = readRecording(path);
  const speed = options.speed ?? 50;
  const maxGapMs = options.maxGapMs ?? 250;
  const subscriberWaitMs = options.subscriberWaitMs ?? 10_000;
  const standIn = new HyperliquidStandIn(options.snapshotSize ? { snapshotSize: options.snapshotSize } : {});
  const { wsUrl, apiUrl } = await standIn.start();
  let stopped = false;

  // Everything before the first live frame sets the scene before the client connects.
  let index = 0;
  while (index < entries.length && !isLiveFrame(entries[index]!)) applyToHistory(standIn, entries[index++]!);

  const done = (async () => {
    let delivered = 0;
    let skipped = 0;
    let previous = entries[index]?.t ?? 0;
    for (; index < entries.length && !stopped; index++) {
      const entry = entries[index]!;
      const gap = Math.min(maxGapMs, Math.max(0, (entry.t - previous) / speed));
      previous = entry.t;
      if (gap > 0) await sleep(gap);
      if ("event" in entry) {
        if (entry.event === "close") standIn.dropConnections();
        continue;
      }
      applyToHistory(standIn, entry);
      if (!isLiveFrame(entry)) continue;
      // Wait only while the recorded connection is not (re)subscribed yet; once it is, a frame nobody
      // subscribed to (trades of a coin the client does not follow) is skipped at once.
      const account = entry.conn.toLowerCase();
      const connected = (sub: StandInSubscription) => sub.type === "userFills" && sub.user === account;
      const deadline = Date.now() + subscriberWaitMs;
      while (!standIn.hasSubscriber(connected) && Date.now() < deadline && !stopped) await sleep(20);
      const sent = standIn.sendTo(targetOf(entry), entry.frame);
      if (sent > 0) delivered += 1;
      else skipped += 1;
    }
    return { delivered, skipped };
  })();

  return {
    wsUrl,
    apiUrl,
    standIn,
    done,
    stop: async () => {
      stopped = true;
      await done.catch(() => {});
      await standIn.stop();
    },
  };
}

function parse(frame: string): Parsed | null {
  try {
    const value = JSON.parse(frame);
    return typeof value === "object" && value !== null ? (value as Parsed) : null;
  } catch {
    return null;
  }
}

/** A frame the client must be sent (not an ack, pong or snapshot, which the stand-in makes itself). */
function isLiveFrame(entry: RecordingEntry): entry is RecordingEntry & { frame: string; conn: string } {
  if (!("frame" in entry)) return false;
  const parsed = parse(entry.frame);
  if (!parsed) return true;
  if (parsed.channel === "subscriptionResponse" || parsed.channel === "pong") return false;
  if (parsed.channel === "userFills" && (parsed.data as { isSnapshot?: boolean })?.isSnapshot) return false;
  return true;
}

function applyToHistory(standIn: HyperliquidStandIn, entry: RecordingEntry): void {
  if ("rest" in entry) {
    const user = entry.rest.request.user;
    if (
      typeof user === "string" &&
      Array.isArray(entry.rest.response) &&
      String(entry.rest.request.type).startsWith("userFills")
    ) {
      addNewFills(standIn, user, entry.rest.response as WireFill[]);
    }
    return;
  }
  if (!("frame" in entry)) return;
  const parsed = parse(entry.frame);
  if (!parsed) return;
  if (parsed.channel === "userFills") {
    const data = parsed.data as { user?: string; fills?: WireFill[] };
    if (data?.user && Array.isArray(data.fills)) addNewFills(standIn, data.user, data.fills);
  } else if (parsed.channel === "trades" && Array.isArray(parsed.data)) {
    const trades = parsed.data as WireTrade[];
    for (const coin of new Set(trades.map((t) => t.coin)))
      standIn.addTrades(
        coin,
        trades.filter((t) => t.coin === coin),
      );
  } else if (parsed.channel === "clearinghouseState") {
    const data = parsed.data as { user?: string; clearinghouseState?: WireClearinghouseState };
    if (data?.user && data.clearinghouseState)
      standIn.setClearinghouseState(data.user, data.clearinghouseState);
  } else if (parsed.channel === "orderUpdates" && Array.isArray(parsed.data) && "conn" in entry) {
    standIn.trackOrders(entry.conn, parsed.data as never);
  }
}

/** Adds fills the stand-in does not hold yet (snapshots and REST answers repeat fills). */
function addNewFills(standIn: HyperliquidStandIn, user: string, fills: readonly WireFill[]): void {
  const known = new Set(standIn.fillsOf(user).map(identity));
  const fresh = fills.filter((fill) => !known.has(identity(fill)));
  if (fresh.length > 0) standIn.addFills(user, fresh);
}

function identity(fill: WireFill): string {
  return `${fill.tid ?? ""}|${fill.time}|${fill.oid}|${fill.px}|${fill.sz}|${fill.startPosition}`;
}

/** Which subscriptions a recorded frame goes to. */
function targetOf(entry: { frame: string; conn: string }): (sub: StandInSubscription) => boolean {
  const parsed = parse(entry.frame);
  const account = entry.conn.toLowerCase();
  const data = parsed?.data as { user?: string } | undefined;
  switch (parsed?.channel) {
    case "trades": {
      const coins = new Set((parsed.data as WireTrade[]).map((t) => t.coin));
      return (sub) => sub.type === "trades" && coins.has(String(sub.coin));
    }
    case "userFills":
    case "clearinghouseState":
      return (sub) => sub.type === parsed.channel && sub.user === data?.user?.toLowerCase();
    case "orderUpdates":
      return (sub) => sub.type === "orderUpdates" && sub.user === account;
    default:
      // Frames of unknown channels and malformed frames go to the connection they were recorded on.
      return (sub) => sub.type === "userFills" && sub.user === account;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
