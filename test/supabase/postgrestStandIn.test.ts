/**
 * The PostgREST stand-in itself speaks PostgREST's documented wire behaviour: db-max-rows and
 * `Content-Range` (docs "Pagination and Count"), and the SQLSTATE → HTTP status table (docs "Errors"),
 * so the adapter's paging and retry decisions are tested against what Supabase really answers.
 */
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresWithSchema } from "../support/postgres.ts";
import { PostgrestStandIn } from "../support/postgrestStandIn.ts";

const SERVICE_KEY = "service-role-key-for-tests";
const ANON_KEY = "anon-key-for-tests";
const CVD_ROWS = 20;

let db: PGlite;
let standIn: PostgrestStandIn;
let url: string;

beforeAll(async () => {
  db = await postgresWithSchema();
  standIn = new PostgrestStandIn({ db, serviceKey: SERVICE_KEY, anonKey: ANON_KEY, maxRows: 7 });
  url = await standIn.start();
  await db.exec(`insert into public.hl_cvd (coin, bucket_ms, buy_volume, sell_volume, delta, cvd, trade_count, gap, metadata, expires_at)
    select 'BTC', n * 60000, 0, 0, 0, 0, 0, false, '{}', now() + interval '1 day' from generate_series(1, ${CVD_ROWS}) n`);
}, 60_000);
afterAll(async () => {
  await standIn.stop();
  await db.close();
});

async function get(query: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/rest/v1/hl_cvd?select=bucket_ms&order=bucket_ms.asc&${query}`, {
    headers: { apikey: SERVICE_KEY, authorization: `Bearer ${SERVICE_KEY}`, ...headers },
  });
  return {
    status: response.status,
    contentRange: response.headers.get("content-range"),
    body: (await response.json()) as unknown,
  };
}

describe("PostgREST stand-in: db-max-rows and Content-Range", () => {
  it("caps every read at max rows, whatever limit asks for, and says which rows it sent", async () => {
    const page = await get("offset=0&limit=1000");
    expect(page.status).toBe(200);
    expect(page.body).toHaveLength(7);
    expect(page.contentRange).toBe("0-6/*");
    expect((await get("offset=5&limit=3")).contentRange).toBe("5-7/*");
  });

  it("gives the total under Prefer: count=exact, 206 for a part, */total when empty, 416 past the end", async () => {
    const counted = { prefer: "count=exact" };
    expect(await get("offset=0&limit=1000", counted)).toMatchObject({
      status: 206,
      contentRange: `0-6/${CVD_ROWS}`,
    });
    expect(await get("offset=14&limit=1000", counted)).toMatchObject({
      status: 206,
      contentRange: `14-19/${CVD_ROWS}`,
    });
    expect(await get(`offset=${CVD_ROWS}&limit=1000`, counted)).toMatchObject({
      status: 206,
      contentRange: `*/${CVD_ROWS}`,
      body: [],
    });
    expect(await get(`offset=${CVD_ROWS + 1}&limit=1000`, counted)).toMatchObject({
      status: 416,
      body: {
        code: "PGRST103",
        message: "Requested range not satisfiable",
        details: `An offset of ${CVD_ROWS + 1} was requested, but there are only ${CVD_ROWS} rows.`,
      },
    });
    expect(await get("coin=eq.ETH&offset=0&limit=1000", counted)).toMatchObject({
      status: 200,
      contentRange: "*/0",
      body: [],
    });
  });
});
