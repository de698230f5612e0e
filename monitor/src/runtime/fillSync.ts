/**
 * Keeps one account's fills complete, stored once each, and applied to the position state machine in
 * time order — across snapshots, reconnects, restarts and storage outages.
 *
 * The rules that make that hold:
 * - Every fill received is submitted to storage at once (durability first), but the domain sees fills
 *   only in (time, fillId) order over contiguous history.
 * - After every (re)connection the account is `syncing`: fills from the socket (the snapshot, and live
 *   fills that race the backfill) wait in `pending` while the REST backfill pages from the cursor to now;
 *   then REST and pending fills are merged, sorted and applied, and the account goes `live`.
 * - The cursor moves only over fills that are stored and applied with nothing missing before them. A
 *   WebSocket snapshot never moves it: the snapshot holds only the newest fills, and a gap behind it is
 *   closed by the backfill, which starts from the cursor.
 * - If storage refuses a write (pending bound reached, or shutting down) the account stalls: nothing more
 *   is applied and the cursor stays put, so the next sync fetches those fills again.
 */
import { untilAborted } from "../abort.ts";
import { orderFills } from "../domain/fill.ts";
import type { Fill, FillCursor } from "../domain/types.ts";
import type { MonitorStore } from "../storage/store.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";

export type FillSyncPhase = "idle" | "syncing" | "live" | "stalled";

export interface FillSyncDependencies {
  account: string;
  store: MonitorStore;
  /** Pages of normalised fills with time ≥ startTime, each page sorted oldest first. */
  fetchFillsSince: (startTime: number, signal: AbortSignal) => AsyncIterable<Fill[]>;
  /**
   * Applies fills (already in order) to the domain and persists the resulting position changes.
   * `history` is true for the first sync of an account with no cursor yet: the import of its past.
   */
  applyInOrder: (fills: readonly Fill[], context: { history: boolean }) => Promise<void>;
  /** A sync after a (re)connection stored fills that no socket frame had delivered (oldest first). */
  onRecovered?: (fills: readonly Fill[]) => void;
  /** Lower bound of the very first backfill (no cursor yet); 0 reaches as far back as the API allows. */
  backfillSince: number | null;
  metrics: Metrics;
  logger: Logger;
  /** Delay before a stalled account (storage refused a write, REST failed) syncs again. */
  stallRetryMs?: number;
  now?: () => number;
}

export class FillSync {
  readonly #deps: FillSyncDependencies;
  readonly #abort = new AbortController();
  readonly #now: () => number;
  #cursor: FillCursor | null = null;
  #phase: FillSyncPhase = "idle";
  /** Fills received over the socket while syncing, by id, with the promise of their storage write. */
  readonly #pending = new Map<string, { fill: Fill; stored: Promise<void> }>();
  /** Serialises work on the domain so fills are applied in arrival order of their batches. */
  #chain: Promise<void> = Promise.resolve();
  #syncRunning: Promise<void> | null = null;
  /**
   * Ids submitted since the cursor, so a fill repeated by a snapshot, a re-sent frame or an overlapping
   * backfill page is neither written nor counted twice. Pruned as the cursor passes; cleared on a stall.
   */
  readonly #submitted = new Map<string, number>();
  /**
   * Ids that came over the socket since the cursor, kept through stalls: a fill the socket delivered but
   * whose processing failed is refetched by the next sync, and must not be reported as recovered.
   */
  readonly #delivered = new Map<string, number>();
  #syncAgain = false;
  /**
   * Counts stalls. Live batches queued before a stall must not be applied after it: the batch that failed
   * sits before them, and applying later fills first would move the positions' watermark past it.
   */
  #generation = 0;
  /**
   * Settles once `start()` has read the stored cursor. The socket may open (and ask for a sync) before
   * that read returns; a sync that ran without the cursor would take the account for new and import its
   * whole history again, without alerts.
   */
  readonly #cursorLoaded = Promise.withResolvers<void>();

  constructor(deps: FillSyncDependencies) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  get phase(): FillSyncPhase {
    return this.#phase;
  }

  get cursor(): FillCursor | null {
    return this.#cursor;
  }

  /** Reads the stored cursor; may be called again after a failed read. */
  async start(): Promise<void> {
    this.#cursor = await this.#deps.store.getFillCursor(this.#deps.account);
    this.#cursorLoaded.resolve();
  }

  /** Call on every (re)connection: backfills from the cursor, then goes live. */
  requestSync(): Promise<void> {
    if (this.#abort.signal.aborted) return Promise.resolve();
    if (this.#syncRunning) {
      this.#syncAgain = true;
      return this.#syncRunning;
    }
    this.#syncRunning = this.#runSyncs().finally(() => {
      this.#syncRunning = null;
    });
    return this.#syncRunning;
  }

  /** Call when the socket drops: fills from the next connection wait for its sync. */
  disconnected(): void {
    if (this.#phase === "live") this.#phase = "idle";
  }

  /** Fills from a `userFills` frame (snapshot or live) of this account. */
  receive(fills: readonly Fill[]): void {
    for (const fill of fills) if (!this.#coveredByCursor(fill)) this.#delivered.set(fill.fillId, fill.time);
    if (this.#phase === "stalled") return;
    const fresh = this.#unseen(fills);
    if (fresh.length === 0) return;
    const stored = this.#store(fresh);
    if (this.#phase !== "live") {
      for (const fill of fresh) this.#pending.set(fill.fillId, { fill, stored });
      return;
    }
    const generation = this.#generation;
    this.#enqueue(async () => {
      await stored;
      if (generation !== this.#generation) return;
      await this.#applyAndAdvance(fresh);
    });
  }

  /** Stops syncing and waits for queued domain work (storage flushing is the store's job). */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#chain.catch(() => {});
    await this.#syncRunning?.catch(() => {});
  }

  async #runSyncs(): Promise<void> {
    do {
      this.#syncAgain = false;
      try {
        await this.#syncOnce();
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        this.#stall(error);
      }
    } while (this.#syncAgain && !this.#abort.signal.aborted);
  }

  async #syncOnce(): Promise<void> {
    const { account, logger, metrics } = this.#deps;
    if (this.#phase !== "syncing") this.#phase = "syncing";
    await untilAborted(this.#cursorLoaded.promise, this.#abort.signal);
    // Let live work already queued finish first, so the cursor we start from is as new as it gets.
    await this.#chain.catch(() => {});
    // A stall while this sync runs (a socket fill's write refused) voids it: the stall's own retry syncs
    // again from the cursor, which has not passed the refused fill.
    const generation = this.#generation;
    const startTime = this.#cursor?.time ?? this.#deps.backfillSince ?? 0;
    const history = this.#cursor === null;
    const recovered: Fill[] = [];
    const started = this.#now();
    const fetched = new Map<string, Fill>();
    let pages = 0;
    for await (const page of this.#deps.fetchFillsSince(startTime, this.#abort.signal)) {
      pages += 1;
      const fresh = page.filter((fill) => !this.#coveredByCursor(fill) && !fetched.has(fill.fillId));
      for (const fill of fresh) fetched.set(fill.fillId, fill);
      const unseen = this.#unseen(fresh);
      if (unseen.length > 0) {
        await this.#store(unseen);
        metrics.count("BackfilledFills", unseen.length);
        recovered.push(...unseen.filter((fill) => !this.#delivered.has(fill.fillId)));
      }
    }
    // Merge with what the socket delivered meanwhile; apply everything in order; repeat while the socket
    // keeps delivering, then go live in the same tick as the last check, so no frame falls in between.
    let batch = [...fetched.values()];
    for (;;) {
      if (generation !== this.#generation) return;
      const fromSocket = [...this.#pending.values()];
      this.#pending.clear();
      await Promise.all(fromSocket.map((entry) => entry.stored));
      for (const { fill } of fromSocket) if (!fetched.has(fill.fillId)) batch.push(fill);
      if (generation !== this.#generation) return;
      if (batch.length > 0) await this.#applyAndAdvance(batch, { history });
      batch = [];
      if (this.#pending.size === 0) break;
    }
    if (generation !== this.#generation) return;
    // An import that found no fills still leaves a cursor, at the import's own lower bound (nothing is
    // behind it, trivially): without one, the next sync (a reconnect, a restart) would count as the
    // import too, and the account's first real fills would raise no alerts.
    if (history && this.#cursor === null) {
      await this.#saveCursor({ account, time: startTime, fillIds: [], updatedAt: this.#now() });
    }
    this.#phase = "live";
    if (!history && recovered.length > 0) this.#deps.onRecovered?.(orderFills(recovered));
    logger.info(
      {
        account,
        startTime,
        pages,
        fetched: fetched.size,
        cursor: this.#cursor?.time ?? null,
        ms: this.#now() - started,
      },
      "fills in sync",
    );
  }

  async #applyAndAdvance(fills: Fill[], context = { history: false }): Promise<void> {
    const ordered = orderFills(fills);
    await this.#deps.applyInOrder(ordered, context);
    this.#deps.metrics.count("FillsStored", ordered.length);
    await this.#advanceCursor(ordered);
  }

  async #advanceCursor(ordered: readonly Fill[]): Promise<void> {
    const newest = ordered.at(-1);
    if (!newest) return;
    const current = this.#cursor;
    if (current && newest.time < current.time) return;
    const idsAtNewest = ordered.filter((fill) => fill.time === newest.time).map((fill) => fill.fillId);
    const fillIds =
      current && current.time === newest.time
        ? [...new Set([...current.fillIds, ...idsAtNewest])]
        : idsAtNewest;
    await this.#saveCursor({
      account: this.#deps.account,
      time: newest.time,
      fillIds,
      updatedAt: this.#now(),
    });
  }

  async #saveCursor(next: FillCursor): Promise<void> {
    await this.#deps.store.setFillCursor(next);
    this.#cursor = next;
    for (const [id, time] of this.#submitted) if (time < next.time) this.#submitted.delete(id);
    for (const [id, time] of this.#delivered) if (time < next.time) this.#delivered.delete(id);
  }

  /** Fills neither behind the cursor nor already submitted; marks them submitted. */
  #unseen(fills: readonly Fill[]): Fill[] {
    const fresh = fills.filter((fill) => !this.#coveredByCursor(fill) && !this.#submitted.has(fill.fillId));
    for (const fill of fresh) this.#submitted.set(fill.fillId, fill.time);
    return fresh;
  }

  #coveredByCursor(fill: Fill): boolean {
    const cursor = this.#cursor;
    // Without a cursor, BACKFILL_SINCE is the floor for every source, snapshots included.
    if (!cursor) return this.#deps.backfillSince !== null && fill.time < this.#deps.backfillSince;
    return fill.time < cursor.time || (fill.time === cursor.time && cursor.fillIds.includes(fill.fillId));
  }

  #store(fills: readonly Fill[]): Promise<void> {
    const stored = this.#deps.store.putFills(fills);
    // A refused write stalls the account; the cursor has not passed these fills, so a later sync
    // fetches them again. Swallow here; the awaiting side sees the rejection.
    stored.catch((error) => this.#stall(error));
    return stored;
  }

  #stall(error: unknown): void {
    if (this.#phase === "stalled" || this.#abort.signal.aborted) return;
    this.#phase = "stalled";
    this.#generation += 1;
    this.#pending.clear();
    this.#submitted.clear();
    const retryMs = this.#deps.stallRetryMs ?? 15_000;
    this.#deps.logger.error(
      { account: this.#deps.account, err: errorSummary(error), retryMs },
      "fill sync stalled; the cursor stays put and a new sync refetches from it",
    );
    setTimeout(() => void this.requestSync(), retryMs).unref();
  }

  #enqueue(work: () => Promise<void>): void {
    this.#chain = this.#chain.then(work).catch((error) => this.#stall(error));
  }
}

export function errorSummary(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}
