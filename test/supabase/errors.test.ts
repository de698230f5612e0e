/**
 * PostgreSQL errors as PostgREST answers them (the SQLSTATE → HTTP status table of the PostgREST docs,
 * "Errors"), and what the Supabase adapter does with each: retry (a passing condition) or fail at once
 * (a request the same database will refuse again). A trigger on `fills` raises the SQLSTATE under test,
 * so each answer comes from the real PostgreSQL error through the stand-in's mapping.
 */
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { normalizeFill } from "../../monitor/src/domain/fill.ts";
import { StorageError } from "../../monitor/src/storage/store.ts";
import { SupabaseStore } from "../../monitor/src/storage/supabase/supabaseStore.ts";
import { generatedFills } from "../support/fixtures.ts";
import { postgresWithSchema } from "../support/postgres.ts";
import { PostgrestStandIn } from "../support/postgrestStandIn.ts";

const SERVICE_KEY = "service-role-key-for-tests";
const ANON_KEY = "anon-key-for-tests";
const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const ATTEMPTS = 3;

let db: PGlite;
let standIn: PostgrestStandIn;
let url: string;

beforeAll(async () => {
  db = await postgresWithSchema();
  await db.exec(`
    create table public.test_fault (code text not null);
    grant select on public.test_fault to service_role;
    create function public.test_raise() returns trigger language plpgsql as $$
    declare injected text;
    begin
      select code into injected from public.test_fault limit 1;
      if injected is not null then raise exception 'injected %', injected using errcode = injected; end if;
      return null;
    end $$;
    create trigger test_raise before insert on public.fills
      for each statement execute function public.test_raise();`);
  standIn = new PostgrestStandIn({ db, serviceKey: SERVICE_KEY, anonKey: ANON_KEY });
  url = await standIn.start();
}, 60_000);
afterAll(async () => {
  await standIn.stop();
  await db.close();
});
beforeEach(async () => {
  await db.exec("truncate public.test_fault, public.fills");
  standIn.requests.length = 0;
});

/**
 * [SQLSTATE, PostgREST's HTTP status (docs "Errors" table; PostgREST's Error.hs where the table is
 * silent), the adapter retries it, why].
 */
const CASES: [string, number, boolean, string][] = [
  ["08006", 503, true, "connection failure"],
  ["09000", 500, true, "triggered action exception"],
  ["0L000", 403, false, "invalid grantor"],
  ["0P000", 403, false, "invalid role specification"],
  ["21000", 500, false, "cardinality violation: the same statement fails again"],
  ["22P02", 400, false, "invalid text representation"],
  ["22P05", 400, false, "untranslatable character"],
  ["23503", 409, false, "foreign key violation"],
  ["23505", 409, false, "unique violation"],
  ["25006", 405, true, "read-only transaction: Supabase's read-only mode at a full disk, until freed"],
  ["25P02", 500, true, "invalid transaction state"],
  ["28000", 403, false, "invalid authorization specification"],
  ["2D000", 500, true, "invalid transaction termination"],
  ["38000", 500, true, "external routine exception"],
  ["39000", 500, true, "external routine invocation"],
  ["3B000", 500, true, "savepoint exception"],
  ["40001", 500, true, "serialization failure"],
  ["40P01", 500, true, "deadlock"],
  ["42501", 403, false, "insufficient privilege (authenticated)"],
  ["42883", 404, false, "undefined function"],
  ["42P01", 404, false, "undefined table"],
  ["42P17", 500, false, "infinite recursion (in a policy): the same statement fails again"],
  ["42703", 400, false, "undefined column"],
  ["53100", 503, true, "disk full"],
  ["53300", 503, true, "too many connections"],
  ["53400", 500, false, "configuration limit exceeded (e.g. temp_file_limit): hit again"],
  ["54000", 500, false, "program limit exceeded: the same statement is too big again"],
  ["54001", 500, false, "statement too complex"],
  ["55P03", 500, true, "lock not available"],
  ["57014", 500, true, "query canceled (statement timeout)"],
  ["57P01", 503, true, "admin shutdown (a restart)"],
  ["58030", 500, true, "I/O error"],
  ["F0000", 500, true, "config file error"],
  ["HV000", 500, true, "foreign data wrapper error"],
  ["P0001", 400, false, "raise exception (the schema's own checks)"],
  ["P0002", 500, false, "PL/pgSQL no data found: a function's bug, not a passing state"],
  ["XX000", 500, true, "internal error"],
];

describe("PostgreSQL errors through PostgREST, and the adapter's retry decision", () => {
  it.each(CASES)("%s → HTTP %i, retried: %s (%s)", async (sqlstate, status, retried) => {
    await db.query("insert into public.test_fault (code) values ($1)", [sqlstate]);
    const store = new SupabaseStore({
      url,
      serviceKey: SERVICE_KEY,
      retry: { attempts: ATTEMPTS, baseDelayMs: 1, maxDelayMs: 2 },
    });
    const fill = normalizeFill(ACCOUNT, generatedFills(1, 1_789_407_000_000)[0]!);
    const error = await store.putFills([fill]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ retryable: retried });
    expect((error as Error).message).toContain(`HTTP ${status} ${sqlstate} injected ${sqlstate}`);
    if (sqlstate === "25006") expect((error as Error).message).toContain("read-only when its disk is full");
    expect(standIn.requests.map((request) => request.status)).toEqual(
      Array(retried ? ATTEMPTS : 1).fill(status),
    );
  });
});
