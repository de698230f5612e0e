/**
 * sql/schema.sql on a real PostgreSQL (PGlite, PostgreSQL 18 in WebAssembly; the file also applies to
 * PostgreSQL 15): applied twice, then its constraints, triggers, functions and security exercised.
 */
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schemaSql } from "../support/postgres.ts";

const TABLES = [
  "closed_positions",
  "fills",
  "hl_alerts",
  "hl_cvd",
  "hl_dashboard",
  "hl_fill_cursors",
  "hl_orders",
  "positions",
];
const A = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";

let db: PGlite;
let columnsAfterFirstApply: string[];
beforeAll(async () => {
  db = new PGlite();
  await db.exec(schemaSql());
  columnsAfterFirstApply = await columns();
}, 60_000);
afterAll(async () => {
  await db.close();
});

async function columns(): Promise<string[]> {
  const result = await db.query<{ c: string }>(
    "select table_name || '.' || column_name || ':' || data_type as c from information_schema.columns where table_schema = 'public' order by 1",
  );
  return result.rows.map((row) => row.c);
}

async function errorCode(sql: string, params: unknown[] = []): Promise<string> {
  try {
    await db.query(sql, params);
  } catch (error) {
    return (error as { code: string }).code;
  }
  return "no error";
}

function fillRow(fillId: string, tid: number | null, overrides: Record<string, unknown> = {}) {
  return {
    account_address: A,
    fill_id: fillId,
    tid,
    time_ms: 1_789_407_000_123,
    coin: "BTC",
    side: "buy",
    price: "78751.0",
    size: "0.000100",
    start_position: "0.0",
    direction: "Open Long",
    closed_pnl: "0.0",
    fee: "-0.012639",
    fee_token: "USDC",
    order_id: 57118842019,
    is_position_close: false,
    is_liquidation: false,
    is_perp: true,
    tx_hash: "0xabc",
    metadata: { fillId },
    ...overrides,
  };
}

/** An INSERT of the row's keys only, as PostgREST builds it (identity and generated columns are the table's). */
function insertSql(table: string, row: Record<string, unknown>, suffix = ""): [string, unknown[]] {
  const columns = Object.keys(row)
    .map((column) => `"${column}"`)
    .join(", ");
  return [
    `insert into public.${table} (${columns}) select ${columns} from jsonb_populate_record(null::public.${table}, $1::jsonb) ${suffix}`,
    [JSON.stringify(row)],
  ];
}

async function insertFill(row: Record<string, unknown>) {
  const [sql, params] = insertSql(
    "fills",
    row,
    "on conflict (account_address, fill_id) do nothing returning fill_id",
  );
  return (await db.query(sql, params)).rows.length;
}

describe("sql/schema.sql", () => {
  it("applies to an empty database, and again on top of itself, with the same result", async () => {
    const first = columnsAfterFirstApply;
    await db.exec(schemaSql());
    expect(await columns()).toEqual(first);
    const tables = await db.query<{ tablename: string }>(
      "select tablename from pg_tables where schemaname = 'public' order by 1",
    );
    expect(tables.rows.map((row) => row.tablename)).toEqual(TABLES);
    // The original columns are there, money as NUMERIC.
    for (const column of [
      "fills.account_address:text",
      "fills.coin:text",
      "fills.side:text",
      "fills.price:numeric",
      "fills.size:numeric",
      "fills.order_id:bigint",
      "fills.closed_pnl:numeric",
      "fills.is_position_close:boolean",
      "fills.tx_hash:text",
      "fills.metadata:jsonb",
      "fills.tid:bigint",
      "fills.fill_time:timestamp with time zone",
      "fills.fee:numeric",
      "positions.size:numeric",
      "positions.side:text",
      "positions.entry_price:numeric",
      "positions.mark_price:numeric",
      "positions.liquidation_price:numeric",
      "positions.unrealized_pnl:numeric",
      "positions.margin_used:numeric",
      "positions.is_open:boolean",
      "positions.closed_at:timestamp with time zone",
      "positions.realized_pnl:numeric",
      "positions.metadata:jsonb",
      "hl_dashboard.account_value:numeric",
      "hl_dashboard.total_margin_used:numeric",
      "hl_dashboard.withdrawable:numeric",
      "hl_dashboard.total_unrealized_pnl:numeric",
      "hl_dashboard.leverage:numeric",
      "hl_dashboard.health_score:numeric",
      "hl_dashboard.positions_count:integer",
      "hl_orders.order_id:bigint",
      "hl_orders.coin:text",
      "hl_orders.side:text",
      "hl_orders.size:numeric",
      "hl_orders.price:numeric",
      "hl_orders.status:text",
      "hl_orders.metadata:jsonb",
      "hl_cvd.cvd:numeric",
      "closed_positions.realized_pnl:numeric",
    ]) {
      expect(first, column).toContain(column);
    }
    expect(first.filter((c) => /:(real|double precision)$/.test(c))).toEqual([]);
  });

  it("ignores a duplicate fill, refuses a second row for a tid, keeps decimals exact", async () => {
    expect(await insertFill(fillRow("t:1", 1))).toBe(1);
    expect(await insertFill(fillRow("t:1", 1))).toBe(0);
    // Without the conflict clause the unique keys refuse it (PostgREST answers 409 for this code).
    expect(await errorCode(...insertSql("fills", fillRow("t:1", 1)))).toBe("23505");
    expect(await errorCode(...insertSql("fills", fillRow("t:1-again", 1)))).toBe("23505");
    // Old fills without a tid never clash with each other.
    expect(await insertFill(fillRow("c:aa", null))).toBe(1);
    expect(await insertFill(fillRow("c:bb", null))).toBe(1);
    const row = await db.query<{ price: string; size: string; fee: string; fill_time: Date }>(
      "select price::text, size::text, fee::text, fill_time from public.fills where fill_id = 't:1'",
    );
    expect(row.rows[0]).toMatchObject({ price: "78751.0", size: "0.000100", fee: "-0.012639" });
    expect(row.rows[0]!.fill_time.getTime()).toBe(1_789_407_000_123);
    expect(await errorCode(...insertSql("fills", fillRow("t:9", 9, { side: "B" })))).toBe("23514");
  });

  it("upserts positions per account and coin; the trigger moves updated_at", async () => {
    const upsert = (size: string) =>
      db.query(
        `insert into public.positions (account_address, coin, size, side, is_open, metadata)
         values ($1, 'BTC', $2::numeric, 'long', true, '{}'::jsonb)
         on conflict (account_address, coin) do update set size = excluded.size returning updated_at`,
        [A, size],
      );
    const first = (await upsert("0.001")).rows[0] as { updated_at: Date };
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = (await upsert("0.002")).rows[0] as { updated_at: Date };
    expect(second.updated_at.getTime()).toBeGreaterThan(first.updated_at.getTime());
    const after = await db.query<{ size: string; n: number }>(
      "select size::text, (select count(*)::int from public.positions) as n from public.positions",
    );
    expect(after.rows).toEqual([{ size: "0.002", n: 1 }]);
  });

  it("orders: the newest version wins; the fill cursor never moves back and unions ids at one time", async () => {
    const order = (version: number, status: string) => ({
      order_id: 42,
      account_address: A,
      coin: "BTC",
      side: "buy",
      size: "0.1",
      orig_size: "0.1",
      price: "100.0",
      status,
      status_time_ms: Math.floor(version / 2),
      placed_at_ms: 1,
      cloid: null,
      is_terminal: version % 2 === 1,
      version,
      metadata: { status },
    });
    const put = async (orders: object[]) =>
      (await db.query<{ n: number }>("select public.hl_put_orders($1::jsonb) as n", [JSON.stringify(orders)]))
        .rows[0]!.n;
    expect(await put([order(20, "open")])).toBe(1);
    expect(await put([order(21, "canceled")])).toBe(1);
    expect(await put([order(20, "open")])).toBe(0);
    expect(await put([order(10, "open")])).toBe(0);
    const status = await db.query<{ status: string }>(
      "select status from public.hl_orders where order_id = 42",
    );
    expect(status.rows).toEqual([{ status: "canceled" }]);

    const cursor = (time: number, ids: string[], at: number) =>
      db.query("select public.hl_set_fill_cursor($1, $2, $3::jsonb, $4)", [A, time, JSON.stringify(ids), at]);
    await cursor(200, ["t:2"], 1);
    await cursor(100, ["t:1"], 2);
    await cursor(200, ["t:4", "t:3"], 3);
    const stored = await db.query("select time_ms, fill_ids from public.hl_fill_cursors");
    expect(stored.rows).toEqual([{ time_ms: 200, fill_ids: ["t:2", "t:3", "t:4"] }]);
  });

  it("prunes snapshots, CVD minutes and finished alerts past their expiry", async () => {
    for (const [time, expires] of [
      [1, "2000-01-01"],
      [2, "2999-01-01"],
    ] as const) {
      await db.query(
        `insert into public.hl_cvd (coin, bucket_ms, buy_volume, sell_volume, delta, cvd, trade_count, gap, metadata, expires_at)
         values ('BTC', $1, 1, 0, 1, 1, 1, false, '{}', $2)`,
        [time, expires],
      );
    }
    const pruned = await db.query<{ n: number }>("select public.hl_prune() as n");
    expect(pruned.rows[0]!.n).toBe(1);
    const left = await db.query("select bucket_ms from public.hl_cvd");
    expect(left.rows).toEqual([{ bucket_ms: 2 }]);
  });

  it("security: RLS on every table, no policy, and the anon role can neither read nor write", async () => {
    const rls = await db.query<{ relname: string; relrowsecurity: boolean }>(
      "select relname, relrowsecurity from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by 1",
    );
    expect(rls.rows.map((row) => [row.relname, row.relrowsecurity])).toEqual(TABLES.map((t) => [t, true]));
    const policies = await db.query("select * from pg_policies where schemaname = 'public'");
    expect(policies.rows).toEqual([]);
    // Supabase grants the API roles every privilege on new tables by default; even so, nothing gets through.
    await db.exec("grant all on all tables in schema public to anon, authenticated");
    await db.exec(schemaSql());
    await db.exec("set role anon");
    try {
      expect(await errorCode(...insertSql("fills", fillRow("t:77", 77)))).toBe("42501");
      expect(await errorCode("update public.positions set size = 0")).toBe("42501");
      expect(await errorCode("select public.hl_prune()")).toBe("42501");
      const visible = await db.query("select * from public.fills");
      expect(visible.rows).toEqual([]); // RLS without a policy: no rows
    } finally {
      await db.exec("reset role");
    }
    // The service role bypasses RLS.
    await db.exec("set role service_role");
    try {
      const visible = await db.query("select count(*)::int as n from public.fills");
      expect(visible.rows).toEqual([{ n: 3 }]);
    } finally {
      await db.exec("reset role");
    }
  });
});

describe("sql/schema.sql with Supabase's Realtime publication", () => {
  it("adds the live tables to supabase_realtime once, however often it is applied", async () => {
    const supabaseLike = new PGlite();
    try {
      await supabaseLike.exec("create publication supabase_realtime");
      await supabaseLike.exec(schemaSql());
      await supabaseLike.exec(schemaSql());
      const published = await supabaseLike.query<{ tablename: string }>(
        "select tablename from pg_publication_tables where pubname = 'supabase_realtime' order by 1",
      );
      expect(published.rows.map((row) => row.tablename)).toEqual([
        "closed_positions",
        "fills",
        "hl_dashboard",
        "positions",
      ]);
    } finally {
      await supabaseLike.close();
    }
  }, 60_000);
});
