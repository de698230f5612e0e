/**
 * FillSync's ordering rules at the edges the soak found: a socket that opens before the stored cursor has
 * been read, and a live write refused while later live fills are already queued. The store is the
 * in-memory MonitorStore (it passes the storage conformance suite) with a gate or a refusal added; REST
 * is a function over a list of fills, as the stand-in would page them.
 */
import { describe, expect, it } from "vitest";
import { normalizeFill } from "../../monitor/src/domain/fill.ts";
import type { Fill, FillCursor } from "../../monitor/src/domain/types.ts";
import { FillSync } from "../../monitor/src/runtime/fillSync.ts";
import { StorageError } from "../../monitor/src/storage/store.ts";
import { silentLogger } from "../../monitor/src/telemetry/logger.ts";
import { Metrics } from "../../monitor/src/telemetry/metrics.ts";
import { generatedFills } from "../support/fixtures.ts";
import { eventually } from "../support/harness.ts";
import { MemoryStore } from "../support/memoryStore.ts";

const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const T0 = 1_789_407_000_000;

/** A MemoryStore whose cursor read waits for `openGate()`, and which refuses the listed fills once. */
class GatedStore extends MemoryStore {
  readonly #gate = Promise.withResolvers<void>();
  readonly refuseOnce = new Set<string>();

  openGate(): void {
    this.#gate.resolve();
  }

  override async getFillCursor(account: string): Promise<FillCursor | null> {
    await this.#gate.promise;
    return super.getFillCursor(account);
  }

  override async putFills(fills: readonly Fill[]): Promise<void> {
    const refused = fills.find((fill) => this.refuseOnce.delete(fill.fillId));
    if (refused) throw new StorageError(`refused ${refused.fillId}`, { retryable: false });
    await super.putFills(fills);
  }
}

interface Recorder {
  sync: FillSync;
  store: GatedStore;
  applied: { fillIds: string[]; history: boolean }[];
  fetchedFrom: number[];
}

function setUp(exchange: Fill[]): Recorder {
  const store = new GatedStore();
  const applied: Recorder["applied"] = [];
  const fetchedFrom: number[] = [];
  const sync = new FillSync({
    account: ACCOUNT,
    store,
    backfillSince: null,
    metrics: new Metrics(() => {}),
    logger: silentLogger(),
    stallRetryMs: 20,
    async *fetchFillsSince(startTime) {
      fetchedFrom.push(startTime);
      yield exchange.filter((fill) => fill.time >= startTime);
    },
    async applyInOrder(fills, context) {
      applied.push({ fillIds: fills.map((fill) => fill.fillId), history: context.history });
    },
  });
  return { sync, store, applied, fetchedFrom };
}

const fills = (count: number, start: number, firstTid: number) =>
  generatedFills(count, start, firstTid).map((wire) => normalizeFill(ACCOUNT, wire));

describe("FillSync", () => {
  it("waits for the stored cursor before a sync that the socket asked for early", async () => {
    const history = fills(3, T0, 1);
    const exchange = [...history, ...fills(2, T0 + 1_000, 10)];
    const r = setUp(exchange);
    const newest = history.at(-1)!;
    await r.store.setFillCursor({
      account: ACCOUNT,
      time: newest.time,
      fillIds: [newest.fillId],
      updatedAt: 0,
    });
    // The socket opens (and asks for a sync) while the cursor read is still out.
    const syncing = r.sync.requestSync();
    const starting = r.sync.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.fetchedFrom).toEqual([]);
    r.store.openGate();
    await starting;
    await syncing;
    expect(r.fetchedFrom).toEqual([newest.time]);
    // Only the two new fills, applied as live history (alerts on), not a fresh import of everything.
    expect(r.applied).toEqual([{ fillIds: exchange.slice(3).map((fill) => fill.fillId), history: false }]);
    await r.sync.stop();
  });

  it("a stop while the cursor read hangs ends the waiting sync", async () => {
    const r = setUp([]);
    const syncing = r.sync.requestSync();
    await r.sync.stop();
    await syncing;
    expect(r.fetchedFrom).toEqual([]);
  });

  it("never applies a live fill ahead of an earlier one whose write was refused", async () => {
    const [first, second, third] = fills(3, T0, 100);
    const exchange: Fill[] = [];
    const r = setUp(exchange);
    r.store.openGate();
    await r.sync.start();
    await r.sync.requestSync();
    expect(r.sync.phase).toBe("live");
    exchange.push(first!, second!, third!);
    // The first fill's write is refused; the next two are already on their way behind it.
    r.store.refuseOnce.add(first!.fillId);
    r.sync.receive([first!]);
    r.sync.receive([second!]);
    r.sync.receive([third!]);
    await eventually(
      "resynced after the stall",
      () => r.applied.length > 0 && r.sync.phase === "live",
      5_000,
    );
    await eventually("cursor at the newest fill", () => r.sync.cursor?.time === third!.time, 5_000);
    const order = r.applied.flatMap((batch) => batch.fillIds);
    expect(order).toEqual([first!, second!, third!].map((fill) => fill.fillId));
    expect((await r.store.listFills(ACCOUNT)).map((fill) => fill.fillId)).toEqual(order);
    await r.sync.stop();
  });
});
