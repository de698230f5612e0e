/**
 * The Supabase adapter through supabase-js, against the loopback PostgREST stand-in on a real
 * PostgreSQL with sql/schema.sql: the storage conformance suite (the same one DynamoDB runs), then what
 * is Supabase's own (paging past the row limit, faults, configuration mistakes).
 */
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { normalizeFill } from "../../monitor/src/domain/fill.ts";
import { RetryingStore } from "../../monitor/src/storage/retryingStore.ts";
import { StorageError } from "../../monitor/src/storage/store.ts";
import { SupabaseStore } from "../../monitor/src/storage/supabase/supabaseStore.ts";
import { describeStoreConformance } from "../storage/conformance.ts";
import { generatedFills } from "../support/fixtures.ts";
import { postgresWithSchema } from "../support/postgres.ts";
import { PostgrestStandIn } from "../support/postgrestStandIn.ts";

export const SERVICE_KEY = "service-role-key-for-tests";
export const ANON_KEY = "anon-key-for-tests";

/** A project that lowered "Max rows" (Supabase API settings) far below the adapter's page. */
const SMALL_MAX_ROWS = 7;

let db: PGlite;
let standIn: PostgrestStandIn;
let url: string;
let smallStandIn: PostgrestStandIn;
let smallUrl: string;

beforeAll(async () => {
  db = await postgresWithSchema();
  standIn = new PostgrestStandIn({ db, serviceKey: SERVICE_KEY, anonKey: ANON_KEY });
  url = await standIn.start();
  smallStandIn = new PostgrestStandIn({
    db,
    serviceKey: SERVICE_KEY,
    anonKey: ANON_KEY,
    maxRows: SMALL_MAX_ROWS,
  });
  smallUrl = await smallStandIn.start();
}, 60_000);
afterAll(async () => {
  await smallStandIn.stop();
  await standIn.stop();
  await db.close();
});

async function emptyTables(): Promise<void> {
  await db.exec(
    "truncate public.fills, public.positions, public.closed_positions, public.hl_dashboard, public.hl_orders, public.hl_cvd, public.hl_fill_cursors, public.hl_alerts",
  );
}

describeStoreConformance("SupabaseStore", async () => {
  await emptyTables();
  const store = new SupabaseStore({ url, serviceKey: SERVICE_KEY, retry: { baseDelayMs: 1, maxDelayMs: 5 } });
  return { store, cleanup: () => store.close() };
});

describeStoreConformance(`SupabaseStore with Max rows ${SMALL_MAX_ROWS}`, async () => {
  await emptyTables();
  const store = new SupabaseStore({
    url: smallUrl,
    serviceKey: SERVICE_KEY,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
  });
  return { store, cleanup: () => store.close() };
});

describe("SupabaseStore, Supabase's own", () => {
  const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
  const T0 = 1_789_407_000_000;
  const fast = { baseDelayMs: 1, maxDelayMs: 5 };
  const fills = (count: number) => generatedFills(count, T0).map((wire) => normalizeFill(ACCOUNT, wire));

  beforeEach(async () => {
    await emptyTables();
    standIn.requests.length = 0;
  });

  it("writes in batches of 500 rows and reads past the 1,000-row limit in pages", async () => {
    const store = new SupabaseStore({ url, serviceKey: SERVICE_KEY, retry: fast });
    await store.putFills(fills(2_500));
    const writes = standIn.requests.filter((r) => r.method === "POST" && r.path === "/rest/v1/fills");
    expect(writes.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    standIn.requests.length = 0;
    expect(await store.listFills(ACCOUNT)).toHaveLength(2_500);
    expect(standIn.requests.map((r) => r.rows)).toEqual([1_000, 1_000, 500]);
  });

  it("reads every row when the project's Max rows is below a page (500: all 1,200 fills, not 500)", async () => {
    const lowered = new PostgrestStandIn({ db, serviceKey: SERVICE_KEY, anonKey: ANON_KEY, maxRows: 500 });
    const loweredUrl = await lowered.start();
    try {
      const store = new SupabaseStore({ url: loweredUrl, serviceKey: SERVICE_KEY, retry: fast });
      const written = fills(1_200);
      await store.putFills(written);
      const listed = await store.listFills(ACCOUNT);
      expect(listed.map((fill) => fill.fillId)).toEqual(written.map((fill) => fill.fillId));
      expect(lowered.requests.filter((r) => r.method === "GET").map((r) => r.rows)).toEqual([500, 500, 200]);
    } finally {
      await lowered.stop();
    }
  });

  it("shows what PostgreSQL refuses: NUL in jsonb and text (22P05, 22021), a lone surrogate in jsonb (22P02)", async () => {
    const headers = {
      apikey: SERVICE_KEY,
      authorization: `Bearer ${SERVICE_KEY}`,
      "content-type": "application/json",
    };
    const claim = (title: string) =>
      fetch(`${url}/rest/v1/hl_alerts`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          owner: ACCOUNT,
          key: "k",
          status: "pending",
          event: { title },
          created_at_ms: T0,
          holder: "h",
          lease_until_ms: T0,
          attempts: 1,
          expires_at: new Date(T0).toISOString(),
        }),
      }).then(async (response) => ({ status: response.status, body: await response.json() }));
    expect(await claim("a\u0000b")).toMatchObject({
      status: 400,
      body: { code: "22P05", message: "unsupported Unicode escape sequence" },
    });
    expect(await claim("a\ud83d b")).toMatchObject({ status: 400, body: { code: "22P02" } });
    const filtered = await fetch(
      `${url}/rest/v1/hl_alerts?select=key&key=eq.${encodeURIComponent("a\u0000b")}`,
      {
        headers,
      },
    );
    expect({ status: filtered.status, body: await filtered.json() }).toMatchObject({
      status: 400,
      body: { code: "22021" },
    });
  });

  it("ends a paged read at a 416 (rows deleted between pages: the offset is past the new total)", async () => {
    const store = new SupabaseStore({ url: smallUrl, serviceKey: SERVICE_KEY, retry: fast });
    await store.putFills(fills(20));
    smallStandIn.requests.length = 0;
    smallStandIn.afterRead = async () => {
      smallStandIn.afterRead = null;
      await db.exec("delete from public.fills");
    };
    const listed = await store.listFills(ACCOUNT);
    expect(listed).toHaveLength(SMALL_MAX_ROWS);
    expect(smallStandIn.requests.map((r) => r.status)).toEqual([206, 416]);
  });

  it("fills the columns SQL users query, exactly (NUMERIC from the decimal strings)", async () => {
    const store = new SupabaseStore({ url, serviceKey: SERVICE_KEY, retry: fast });
    const written = fills(3);
    await store.putFills(written);
    const rows = await db.query<{
      fill_id: string;
      price: string;
      size: string;
      fee: string;
      side: string;
      fill_time: Date;
    }>(
      "select fill_id, price::text, size::text, fee::text, side, fill_time from public.fills order by time_ms",
    );
    expect(
      rows.rows.map((row) => [row.fill_id, row.price, row.size, row.fee, row.side, row.fill_time.getTime()]),
    ).toEqual(
      written.map((fill) => [
        fill.fillId,
        fill.px,
        fill.sz,
        fill.fee,
        fill.side === "B" ? "buy" : "sell",
        fill.time,
      ]),
    );
  });

  it("retries 503 and reset sockets, then succeeds; each fill stored once", async () => {
    const store = new SupabaseStore({ url, serviceKey: SERVICE_KEY, retry: fast });
    standIn.failNext(2, "503");
    standIn.failNext(1, "reset");
    await store.putFills(fills(10));
    expect(standIn.requests.map((r) => r.status)).toEqual([503, 503, 0, 201]);
    expect(await store.listFills(ACCOUNT)).toHaveLength(10);
  });

  it("gives up after its attempts with a retryable error, for the RetryingStore to hold the write", async () => {
    const store = new SupabaseStore({ url, serviceKey: SERVICE_KEY, retry: { ...fast, attempts: 3 } });
    standIn.failNext(3, "503");
    const error = await store.putFills(fills(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ retryable: true });
    expect((error as Error).message).toBe(
      "write fills failed: HTTP 503 PGRST002 Could not query the database for the schema cache. Retrying.",
    );
    expect(standIn.requests).toHaveLength(3);
  });

  it("does not retry a 409 or another 4xx: one request, a non-retryable error with PostgREST's code, logged", async () => {
    const warnings: object[] = [];
    const logger = { debug() {}, info() {}, warn: (fields: object) => warnings.push(fields) };
    const store = new SupabaseStore({ url, serviceKey: SERVICE_KEY, retry: fast, logger });
    standIn.failNext(1, "409");
    const error = await store.putFills(fills(1)).catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toContain("HTTP 409 23505");
    expect(standIn.requests).toHaveLength(1);
    expect(warnings).toEqual([{ status: 409, code: "23505", what: "write fills" }]);
  });

  it("with the anon key nothing can be written (RLS and grants), and the key never shows in errors", async () => {
    const store = new SupabaseStore({ url, serviceKey: ANON_KEY, retry: fast });
    const error = await store.putFills(fills(1)).catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toMatch(/^write fills failed: HTTP 401 42501 permission denied/);
    expect((error as Error).message).not.toContain(ANON_KEY);
    expect((await db.query("select count(*)::int as n from public.fills")).rows).toEqual([{ n: 0 }]);
    const wrongKey = new SupabaseStore({ url, serviceKey: "not-a-key", retry: fast });
    const refused = await wrongKey.init().catch((e: unknown) => e);
    expect((refused as Error).message).toBe("check table fills failed: HTTP 401 PGRST301 Invalid API key");
  });

  it("init() says to apply sql/schema.sql when a table is missing", async () => {
    const bare = await PGlite.create();
    const bareStandIn = new PostgrestStandIn({ db: bare, serviceKey: SERVICE_KEY, anonKey: ANON_KEY });
    const bareUrl = await bareStandIn.start();
    try {
      await bare.exec(
        "create role service_role nologin bypassrls; grant usage on schema public to service_role",
      );
      const store = new SupabaseStore({ url: bareUrl, serviceKey: SERVICE_KEY, retry: fast });
      const error = await store.init().catch((e: unknown) => e);
      expect(error).toMatchObject({ retryable: false });
      expect((error as Error).message).toBe(
        "table fills not found: apply sql/schema.sql to the Supabase project (see sql/README.md)",
      );
    } finally {
      await bareStandIn.stop();
      await bare.close();
    }
  });

  it("keeps snapshots and CVD minutes for RETENTION_DAYS, and copies market figures onto open positions", async () => {
    const store = new SupabaseStore({ url, serviceKey: SERVICE_KEY, retry: fast, retentionDays: 7 });
    await db.exec(`insert into public.positions (account_address, coin, size, side, is_open, metadata)
      values ('${ACCOUNT}', 'BTC', 0.00016, 'long', true, '{}')`);
    await store.putAccountSnapshot({
      account: ACCOUNT,
      time: T0,
      accountValue: "30.1",
      totalMarginUsed: "1",
      totalNtlPos: "12.8",
      withdrawable: "20",
      totalUnrealizedPnl: "0.19984",
      leverage: "0.4",
      crossMarginRatio: null,
      healthScore: "100",
      positionsCount: 1,
      minLiquidationDistance: "0.12",
      positions: [
        {
          coin: "BTC",
          size: "0.00016",
          entryPx: "78751.0",
          markPx: "80000.0",
          liquidationPx: "70400.0",
          liquidationDistance: "0.12",
          unrealizedPnl: "0.19984",
          marginUsed: "10.68165",
          positionValue: "12.8",
          leverageType: "cross",
          leverage: "20",
        },
      ],
    });
    const expiry = await db.query<{ days: number }>(
      "select extract(epoch from expires_at - snapshot_time)::int / 86400 as days from public.hl_dashboard",
    );
    expect(expiry.rows).toEqual([{ days: 7 }]);
    const position = await db.query(
      "select mark_price::text, liquidation_price::text, unrealized_pnl::text, margin_used::text from public.positions",
    );
    expect(position.rows).toEqual([
      {
        mark_price: "80000.0",
        liquidation_price: "70400.0",
        unrealized_pnl: "0.19984",
        margin_used: "10.68165",
      },
    ]);
  });
});

describe("RetryingStore over SupabaseStore", () => {
  const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";

  beforeEach(async () => {
    await emptyTables();
    standIn.requests.length = 0;
  });

  it("holds writes through an outage of 503s and resets, then stores every fill exactly once", async () => {
    const inner = new SupabaseStore({
      url,
      serviceKey: SERVICE_KEY,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
    let retries = 0;
    let recovered = 0;
    const store = new RetryingStore(inner, {
      baseDelayMs: 5,
      maxDelayMs: 20,
      onRetry: () => {
        retries += 1;
      },
      onRecovered: () => {
        recovered += 1;
      },
    });
    for (let i = 0; i < 10; i++) standIn.failNext(1, i % 3 === 0 ? "reset" : "503");
    const fills = generatedFills(1_200, 1_789_407_000_000).map((wire) => normalizeFill(ACCOUNT, wire));
    await Promise.all([0, 1, 2, 3].map((part) => store.putFills(fills.slice(part * 300, part * 300 + 300))));
    await store.flush();
    const stored = await inner.listFills(ACCOUNT);
    expect(stored).toHaveLength(1_200);
    expect(new Set(stored.map((fill) => fill.fillId)).size).toBe(1_200);
    expect(retries).toBeGreaterThan(0);
    expect(recovered).toBeGreaterThan(0);
    await store.close();
  });
});
