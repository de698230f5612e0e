/**
 * DB_MODE=supabase end to end: the recorded demo session replayed through the Hyperliquid stand-in into
 * the monitor, once with the Supabase adapter (loopback PostgREST on PostgreSQL with sql/schema.sql) and
 * once with DynamoDB (dynalite). Both stores must hold the same fills, positions, closed positions,
 * orders, account snapshot and CVD.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../monitor/src/config/config.ts";
import { add, D, dec } from "../../monitor/src/domain/decimal.ts";
import type { ClosedPosition } from "../../monitor/src/domain/types.ts";
import { Monitor } from "../../monitor/src/runtime/monitor.ts";
import { startReplay } from "../../monitor/src/standin/replay.ts";
import { startEmbeddedDynamo } from "../../monitor/src/storage/local.ts";
import { openStore } from "../../monitor/src/storage/openStore.ts";
import { createLogger } from "../../monitor/src/telemetry/logger.ts";
import { Metrics } from "../../monitor/src/telemetry/metrics.ts";
import { postgresWithSchema } from "../support/postgres.ts";
import { PostgrestStandIn } from "../support/postgrestStandIn.ts";

const SESSION = fileURLToPath(new URL("../../monitor/demo/session.jsonl", import.meta.url));
const ACCOUNT = "0xb7b6f3cea3f66bf525f5d8f965f6dbf6d9b017b2";
const SERVICE_KEY = "service-role-key-for-tests";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Replays the demo session into the store `env` selects; returns everything stored, read back fresh. */
async function replayInto(env: Record<string, string>) {
  const replay = await startReplay(SESSION, { speed: 200, maxGapMs: 20, snapshotSize: 100 });
  const config = loadConfig({
    ACCOUNT_ADDRESS: ACCOUNT,
    HEALTH_PORT: "0",
    LOG_LEVEL: "error",
    CVD_COINS: "BTC,ETH",
    ...env,
  });
  const runConfig = { ...config, wsUrl: replay.wsUrl, apiUrl: replay.apiUrl };
  const logger = createLogger({ level: "error" });
  const { store, shutdown } = await openStore(runConfig, logger, new Metrics(() => {}));
  const monitor = new Monitor({
    config: runConfig,
    store,
    logger,
    metrics: new Metrics(() => {}),
    reconnect: { baseDelayMs: 50, maxDelayMs: 200 },
  });
  await monitor.start();
  await replay.done;
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await monitor.takeSnapshots();
  await monitor.stop();
  await shutdown();
  await replay.stop();

  const reader = await openStore(runConfig, logger, new Metrics(() => {}));
  const fills = await reader.store.listFills(ACCOUNT);
  const coins = [...new Set(fills.map((fill) => fill.coin))].sort();
  const stored = {
    fills,
    positions: (await reader.store.loadPositionStates(ACCOUNT)).sort((a, b) => a.coin.localeCompare(b.coin)),
    closed: await reader.store.listClosedPositions(ACCOUNT),
    orders: (await reader.store.listOrders(ACCOUNT)).sort((a, b) => a.oid - b.oid),
    // The snapshot's time, and its feed's state (the age of the newest frame then), are when it was taken;
    // its figures come from the replayed account state.
    snapshot: { ...(await reader.store.latestAccountSnapshot(ACCOUNT)), time: 0, feed: undefined },
    cvdCoins: [...(await reader.store.latestCvdBuckets(coins)).keys()].sort(),
    cvd: await Promise.all(["BTC", "ETH"].map((coin) => reader.store.listCvdBuckets(coin))),
  };
  await reader.store.close();
  await reader.shutdown();
  return stored;
}

/** `-- name: x` sections of an SQL file, each a statement. */
function namedQueries(text: string): Map<string, string> {
  const queries = new Map<string, string>();
  for (const section of text.split(/^-- name: /m).slice(1)) {
    const [name, ...body] = section.split("\n");
    queries.set(name!.trim(), body.join("\n").trim().replace(/;$/, ""));
  }
  return queries;
}

/** The same measure in decimal arithmetic: the largest fall of cumulative realised PnL from its peak (≥ 0). */
function largestDrawdown(closed: readonly ClosedPosition[]): string {
  const ordered = [...closed].sort(
    (a, b) => a.closedAt - b.closedAt || a.positionId.localeCompare(b.positionId),
  );
  let cumulative = dec(0);
  let peak = dec(0);
  let largest = dec(0);
  for (const position of ordered) {
    cumulative = cumulative.plus(position.realizedPnl);
    peak = D.max(peak, cumulative);
    largest = D.max(largest, peak.minus(cumulative));
  }
  return largest.toString();
}

describe("DB_MODE=supabase end to end", () => {
  it("stores the same fills, positions, orders, snapshot and CVD as DynamoDB for the same recorded session", async () => {
    const db = await postgresWithSchema();
    const postgrest = new PostgrestStandIn({ db, serviceKey: SERVICE_KEY, anonKey: "anon" });
    const url = await postgrest.start();
    cleanups.push(async () => {
      await postgrest.stop();
      await db.close();
    });
    const dynamo = await startEmbeddedDynamo({ dataDir: null });
    cleanups.push(() => dynamo.close());

    const supabase = await replayInto({
      DB_MODE: "supabase",
      SUPABASE_URL: url,
      SUPABASE_SERVICE_KEY: SERVICE_KEY,
    });
    const dynamodb = await replayInto({
      DB_MODE: "dynamodb",
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      AWS_REGION: "local",
    });

    expect(supabase.fills).toHaveLength(500);
    expect(new Set(supabase.fills.map((fill) => fill.fillId)).size).toBe(500);
    expect(supabase.closed.length).toBeGreaterThan(30);
    expect(supabase.orders.length).toBeGreaterThan(0);
    expect(supabase.cvd[0]!.length + supabase.cvd[1]!.length).toBeGreaterThan(0);
    expect(supabase.fills).toStrictEqual(dynamodb.fills);
    expect(supabase.positions).toStrictEqual(dynamodb.positions);
    expect(supabase.closed).toStrictEqual(dynamodb.closed);
    expect(supabase.orders).toStrictEqual(dynamodb.orders);
    expect(supabase.snapshot).toStrictEqual(dynamodb.snapshot);
    expect(supabase.cvdCoins).toStrictEqual(dynamodb.cvdCoins);
    expect(supabase.cvd).toStrictEqual(dynamodb.cvd);

    // And in SQL, what a trader would query: realised PnL over the closed positions, exact.
    const total = await db.query<{ pnl: string; n: number }>(
      "select sum(realized_pnl)::text as pnl, count(*)::int as n from public.closed_positions",
    );
    expect(total.rows[0]!.n).toBe(supabase.closed.length);
    const expected = supabase.closed.reduce((sum, position) => add(sum, position.realizedPnl), "0");
    expect(dec(total.rows[0]!.pnl).equals(expected)).toBe(true);

    // sql/queries.sql, as the README shows them, on this data.
    const queries = namedQueries(readFileSync("sql/queries.sql", "utf8"));
    expect([...queries.keys()]).toEqual([
      "realised_pnl_per_day",
      "win_rate",
      "fees_paid",
      "largest_drawdown",
    ]);
    const run = async (name: string) => (await db.query<Record<string, unknown>>(queries.get(name)!)).rows;
    const perDay = await run("realised_pnl_per_day");
    const perDaySum = perDay.reduce((sum, row) => add(sum, String(row.realized_pnl)), "0");
    expect(dec(perDaySum).equals(expected)).toBe(true);
    const [winRate] = await run("win_rate");
    const wins = supabase.closed.filter((position) => dec(position.realizedPnl).gt(0)).length;
    expect(winRate).toMatchObject({ positions_closed: supabase.closed.length, wins });
    const fees = await run("fees_paid");
    const feeSum = fees.reduce((sum, row) => add(sum, String(row.net_fees)), "0");
    expect(dec(feeSum).equals(supabase.fills.reduce((sum, fill) => add(sum, fill.fee), "0"))).toBe(true);
    const [drawdown] = await run("largest_drawdown");
    expect(dec(String(drawdown!.largest_drawdown)).equals(largestDrawdown(supabase.closed))).toBe(true);
  }, 120_000);
});
