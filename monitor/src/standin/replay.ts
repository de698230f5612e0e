/**
 * Plays a recording through the stand-in, so the whole monitor runs offline against recorded traffic
 * (`--replay`, `npm run demo`).
 *
 * - Timing: recorded frames are delivered in order, each after the recorded gap since the previous entry
 *   divided by `speed` and capped at `maxGapMs`.
 * - Clock: the replay clock is the recorded time of the entry being played. REST and the stand-in's own
 *   snapshots see only what existed then: fills and trades up to the clock (from every userFills frame,
 *   trades frame and REST answer in the recording), the latest account state and order statuses recorded
 *   up to it. At a recorded `close` the clock jumps to the account's next `open`, the moment the recorded
 *   client was back, so the live client's reconnect backfill finds what the recorded one found.
 * - Routing (see replayPlan.ts): a frame waits until a connection for the recorded connection's account
 *   is there (bounded by `subscriberWaitMs`), then goes to the subscribers it belongs to; a frame whose
 *   subscription the live client has not made within `subscribeGraceMs` of connecting is skipped.
 * - Snapshots: a recorded snapshot frame is sent as the snapshot (the stand-in then sends none of its own);
 *   a subscription the recording has no upcoming snapshot for (made later than recorded, or not recorded
 *   at all) gets the stand-in's snapshot made from the history at the clock.
 * - A recorded `close` drops the account's live connection; the client reconnects and the replay goes on.
 * `done` resolves once every recorded entry was played.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { StandInSubscription } from "./clientRequests.ts";
import { readRecording } from "./recording.ts";
import { planReplay, type ReplayPlan, type ReplayStep, snapshotKeyOf } from "./replayPlan.ts";
import { type ConnectionView, HyperliquidStandIn, type StandInOptions, type StandInUrls } from "./server.ts";

export interface ReplayOptions {
  /** Recorded delays are divided by this (default 50). */
  speed?: number;
  /** No single delay is longer than this after dividing (default 250 ms). */
  maxGapMs?: number;
  /**
   * Fills in userFills snapshots: recorded snapshots are cut to their newest N fills (the older ones are
   * then found only by the REST backfill), and the stand-in's own snapshots hold at most N. Default: as
   * recorded, and 2000.
   */
  snapshotSize?: number;
  /** How long a frame waits for a connection of its recorded account before it is skipped (default 10 s). */
  subscriberWaitMs?: number;
  /** How long after that connection opened a frame waits for its subscription (default 1 s). */
  subscribeGraceMs?: number;
  /** More stand-in settings (idle timeout, weight limits). */
  standIn?: Omit<StandInOptions, "visibleUntil" | "sendsSnapshot" | "snapshotSize">;
}

export interface ReplayResult {
  /** Recorded frames sent to at least one live connection. */
  delivered: number;
  /** Recorded frames no live connection was subscribed to (acks, pongs and errors are not counted). */
  skipped: number;
  /** Lines of the recording that were not valid entries. */
  malformedLines: number;
}

export interface Replay extends StandInUrls {
  standIn: HyperliquidStandIn;
  done: Promise<ReplayResult>;
  /** Stops playing (done then resolves with what was played) and stops the stand-in. */
  stop(): Promise<void>;
}

const POLL_MS = 10;

export async function startReplay(path: string, options: ReplayOptions = {}): Promise<Replay> {
  const recording = readRecording(path);
  const plan = planReplay(recording.entries);
  let player: ReplayPlayer | null = null;
  const standIn = new HyperliquidStandIn({
    // The recording holds the real server's state re-pushes: the stand-in adds none of its own.
    statePushIntervalMs: 0,
    ...options.standIn,
    ...(options.snapshotSize ? { snapshotSize: options.snapshotSize } : {}),
    visibleUntil: () => player?.clock ?? Number.NEGATIVE_INFINITY,
    sendsSnapshot: (subscription) => !(player?.hasUpcomingSnapshot(subscription) ?? false),
  });
  player = new ReplayPlayer(plan, standIn, options);
  const urls = await standIn.start();
  const running = player;
  const done = running.play().then((counts) => ({ ...counts, malformedLines: recording.malformedLines }));
  return {
    ...urls,
    standIn,
    done,
    stop: async () => {
      running.abort();
      await done.catch(() => {});
      await standIn.stop();
    },
  };
}

class ReplayPlayer {
  readonly #plan: ReplayPlan;
  readonly #standIn: HyperliquidStandIn;
  readonly #speed: number;
  readonly #maxGapMs: number;
  readonly #snapshotSize: number | null;
  readonly #subscriberWaitMs: number;
  readonly #subscribeGraceMs: number;
  readonly #abort = new AbortController();
  /** Accounts whose connection did not come within subscriberWaitMs: their frames do not wait again. */
  readonly #absent = new Set<string>();
  #stateCursor = 0;
  #orderCursor = 0;
  /** Index of the first step not yet played (a frame waiting for its subscriber is not played yet). */
  #next = 0;
  #clock: number;

  constructor(plan: ReplayPlan, standIn: HyperliquidStandIn, options: ReplayOptions) {
    this.#plan = plan;
    this.#standIn = standIn;
    this.#speed = options.speed && options.speed > 0 ? options.speed : 50;
    this.#maxGapMs = options.maxGapMs ?? 250;
    this.#snapshotSize = options.snapshotSize ?? null;
    this.#subscriberWaitMs = options.subscriberWaitMs ?? 10_000;
    this.#subscribeGraceMs = options.subscribeGraceMs ?? 1_000;
    this.#clock = plan.steps[0]?.t ?? 0;
    for (const [user, fills] of plan.fills) standIn.addFills(user, fills);
    for (const [coin, trades] of plan.trades) standIn.addTrades(coin, trades);
    // Before its first recorded state an account is assumed as first recorded: the best guess there is.
    const firstStates = new Map(plan.states.toReversed().map((state) => [state.user, state.value]));
    for (const [user, state] of firstStates) standIn.setClearinghouseState(user, state);
    for (const [user, mode] of plan.accountModes) standIn.setAccountMode(user, mode);
    this.#advanceClock(this.#clock);
  }

  /** Recorded time being played: what the stand-in shows over REST and in its own snapshots. */
  get clock(): number {
    return this.#clock;
  }

  abort(): void {
    this.#abort.abort();
  }

  async play(): Promise<{ delivered: number; skipped: number }> {
    let delivered = 0;
    let skipped = 0;
    let previous = this.#clock;
    for (const step of this.#plan.steps) {
      if (this.#abort.signal.aborted) break;
      this.#next = step.index;
      const gap = Math.min(this.#maxGapMs, Math.max(0, (step.t - previous) / this.#speed));
      previous = Math.max(previous, step.t);
      if (gap > 0 && !(await this.#sleep(gap))) break;
      this.#advanceClock(step.t);
      if (step.kind === "close") this.#dropConnection(step);
      if (step.kind === "frame" && step.route.to !== "nobody") {
        if (await this.#deliver(step)) delivered += 1;
        else skipped += 1;
      }
      this.#next = step.index + 1;
    }
    return { delivered, skipped };
  }

  /**
   * True if the recording holds a snapshot for this subscription still to be played in the recorded
   * session the live client is in: the replay sends that one, the stand-in must not send its own.
   */
  hasUpcomingSnapshot(subscription: StandInSubscription): boolean {
    const key = snapshotKeyOf(subscription);
    if (!key) return false;
    const accounts = typeof subscription.user === "string" ? [subscription.user] : null;
    return this.#plan.steps.some((step, index) => {
      if (index < this.#next || step.kind !== "frame" || step.snapshotOf !== key) return false;
      if (accounts && !accounts.includes(step.account)) return false;
      // The session the live client is in: the recorded one not yet over (or the next, after a close).
      const session = this.#plan.sessions.find((s) => s.account === step.account && s.last >= this.#next);
      return session !== undefined && index <= session.last;
    });
  }

  #advanceClock(to: number): void {
    this.#clock = Math.max(this.#clock, to);
    const { states, orders } = this.#plan;
    while (this.#stateCursor < states.length && states[this.#stateCursor]!.t <= this.#clock) {
      const { user, value } = states[this.#stateCursor++]!;
      this.#standIn.setClearinghouseState(user, value);
    }
    while (this.#orderCursor < orders.length && orders[this.#orderCursor]!.t <= this.#clock) {
      const { user, value } = orders[this.#orderCursor++]!;
      this.#standIn.addOrders(user, value);
    }
  }

  /** The recorded connection ended: so does the live one; the clock moves to the recorded reconnect. */
  #dropConnection(step: Extract<ReplayStep, { account: string; kind: "open" | "close" }>): void {
    this.#standIn.dropConnections(connectionOf(step.account));
    const reopened = this.#plan.steps.find(
      (later) => later.index > step.index && later.kind === "open" && later.account === step.account,
    );
    if (reopened) this.#advanceClock(reopened.t);
  }

  /** Sends a recorded frame where it belongs; false if no live connection could take it. */
  async #deliver(step: Extract<ReplayStep, { kind: "frame" }>): Promise<boolean> {
    const ofAccount = connectionOf(step.account);
    const mine = await this.#waitFor(
      () => this.#standIn.connections().filter(ofAccount),
      this.#absent.has(step.account) ? 0 : this.#subscriberWaitMs,
    );
    if (mine.length === 0) {
      this.#absent.add(step.account);
      return false;
    }
    this.#absent.delete(step.account);
    let targets = mine;
    if (step.route.to === "subscribers") {
      const { match } = step.route;
      const openedAt = Math.max(...mine.map((connection) => connection.openedAt));
      targets = await this.#waitFor(
        () => this.#standIn.connections().filter((c) => c.subscriptions.some(match)),
        openedAt + this.#subscribeGraceMs - Date.now(),
      );
    }
    const text =
      this.#snapshotSize && step.snapshotOf?.startsWith("userFills|") ? this.#trim(step.text) : step.text;
    let sent = 0;
    for (const target of targets) if (this.#standIn.sendToConnection(target.id, text)) sent += 1;
    return sent > 0;
  }

  /** A recorded userFills snapshot with only its newest `snapshotSize` fills, in the recorded order. */
  #trim(text: string): string {
    const message = JSON.parse(text) as { data: { fills?: unknown } };
    const fills = message.data.fills;
    if (!Array.isArray(fills)) return text;
    const newest = fills
      .map((fill: { time?: unknown }, index) => ({ time: Number(fill?.time), index }))
      .sort((a, b) => b.time - a.time)
      .slice(0, this.#snapshotSize ?? fills.length);
    const kept = new Set(newest.map(({ index }) => index));
    return JSON.stringify({
      ...message,
      data: { ...message.data, fills: fills.filter((_, i) => kept.has(i)) },
    });
  }

  /** Polls until `find` returns something or `withinMs` passed (or the replay stopped). */
  async #waitFor<T>(find: () => T[], withinMs: number): Promise<T[]> {
    const rounds = Math.max(0, Math.ceil(withinMs / POLL_MS));
    for (let round = 0; ; round++) {
      const found = find();
      if (found.length > 0 || round >= rounds || !(await this.#sleep(POLL_MS))) return found;
    }
  }

  /** False if the replay was stopped meanwhile. */
  async #sleep(ms: number): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: this.#abort.signal });
      return true;
    } catch {
      return false;
    }
  }
}

const ADDRESS = /^0x[0-9a-f]{40}$/;

/** The live connections of a recorded connection label: those subscribed for that account. */
function connectionOf(label: string): (connection: ConnectionView) => boolean {
  // A label that is not an address (a connection for public data only) matches any subscribed connection.
  if (!ADDRESS.test(label)) return (connection) => connection.subscriptions.length > 0;
  return (connection) => connection.subscriptions.some((subscription) => subscription.user === label);
}
