/**
 * MonitorStore on Supabase (PostgreSQL through PostgREST), with `@supabase/supabase-js` and the
 * service-role key. The schema is sql/schema.sql; rows are mapped in rows.ts.
 *
 * - Idempotent writes: upserts on the tables' unique keys (`on_conflict`), ignoring duplicates for
 *   records written once (fills, closed positions, alert claims) and merging for current state
 *   (positions, CVD minutes). Writes that need a condition (an order's newer version, the cursor never
 *   moving back, a snapshot's market figures) go through the schema's RPC functions.
 * - Batches of BATCH_ROWS rows; a batch is one request, so one statement, so all or nothing.
 * - Network errors, 5xx and 429 are retried here with backoff (supabase-js's own retry is turned off,
 *   it retries only reads); after REQUEST_ATTEMPTS the call fails with a retryable StorageError, which the
 *   RetryingStore around this store keeps retrying within its pending-write bound. Any other 4xx is a
 *   mistake a retry cannot fix (a wrong column, a missing table, RLS): it fails at once, non-retryable,
 *   logged with PostgREST's error code. The SQLSTATE refines the status (isRetryable below): PostgREST
 *   answers 500 for some errors the same statement meets again, and 405 for a read-only database.
 * - Text PostgreSQL refuses (NUL anywhere, lone surrogates in jsonb) is made storable (U+FFFD in their
 *   place, storableText.ts) in the one place every request passes: the fetch below, for bodies and filters.
 * - Reads page through Supabase's row limit in a stable order. The limit ("Max rows" in the project's
 *   API settings, PostgREST's db-max-rows) is 1,000 by default but may be set lower, and PostgREST then
 *   answers a page with fewer rows than asked for: so a short page does not mean the end. Each page asks
 *   for the exact count (`Prefer: count=exact`, the total in `Content-Range`) and the next page starts
 *   after the rows actually received, until the count is reached or a page comes back empty.
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { newestPerOrder } from "../../domain/orders.ts";
import type {
  AccountSnapshot,
  ClosedPosition,
  CvdBucket,
  Fill,
  FillCursor,
  OrderState,
  PositionState,
} from "../../domain/types.ts";
import { type BackoffPolicy, backoffDelayMs, sleep } from "../backoff.ts";
import { chunk, lastPerKey } from "../batching.ts";
import type { StorageLogger } from "../dynamodb/dynamoStore.ts";
import { jsonMayNeedStorable, storable } from "../storableText.ts";
import { type AlertChange, type AlertRecord, type MonitorStore, StorageError } from "../store.ts";
import {
  alertChangeToRow,
  alertToRow,
  closedPositionToRow,
  cvdBucketToRow,
  fillToRow,
  orderToRow,
  positionStateToRow,
  type Row,
  rowToAlert,
  rowToCursor,
  snapshotToRow,
} from "./rows.ts";

export interface SupabaseStoreOptions {
  url: string;
  /** The service-role key: it bypasses Row Level Security, which lets nobody else write. */
  serviceKey: string;
  retentionDays?: number;
  logger?: StorageLogger;
  /** Attempts per request and the backoff between them. Default: 4 attempts, waits up to 200 ms · 2^n. */
  retry?: Partial<RequestRetryPolicy>;
  /** Per-request timeout. Default 15 s. */
  requestTimeoutMs?: number;
}

export interface RequestRetryPolicy extends BackoffPolicy {
  attempts: number;
}

/** Rows per write request: small enough for any gateway's body limit, large enough for few requests. */
export const BATCH_ROWS = 500;
/** Rows asked for per read request: Supabase's default max-rows (the project may answer with fewer). */
export const PAGE_ROWS = 1_000;
/** Safety bound on pages of one read (a project's Max rows may be small). */
const MAX_PAGES = 100_000;
const DEFAULT_RETRY: RequestRetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 };

/** The tables init() checks, with a column to select (sql/schema.sql creates them). */
const TABLE_PROBES: Record<string, string> = {
  fills: "fill_id",
  positions: "coin",
  closed_positions: "position_id",
  hl_dashboard: "time_ms",
  hl_orders: "order_id",
  hl_cvd: "bucket_ms",
  hl_fill_cursors: "account_address",
  hl_alerts: "key",
};

type Range = { from?: number; to?: number };

/** Paged reads ask for the total (`Prefer: count=exact`): PostgREST returns it in `Content-Range`. */
const COUNTED = { count: "exact" } as const;

/** What a supabase-js call resolves to (it never throws for HTTP errors). */
interface PostgrestAnswer<T> {
  data: T | null;
  error: { code?: string; message: string; details?: string | null; hint?: string | null } | null;
  status: number;
  /** The total from `Content-Range` when the request asked for a count; null otherwise. */
  count?: number | null;
}

export class SupabaseStore implements MonitorStore {
  readonly #client: SupabaseClient;
  readonly #retentionDays: number;
  readonly #logger: StorageLogger | undefined;
  readonly #retry: RequestRetryPolicy;
  readonly #closing = new AbortController();

  constructor(options: SupabaseStoreOptions) {
    const timeoutMs = options.requestTimeoutMs ?? 15_000;
    this.#client = createClient(options.url, options.serviceKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      db: { retry: false },
      global: {
        fetch: (input, init) =>
          fetch(storableUrl(input), {
            ...init,
            body: storableBody(init?.body),
            signal: AbortSignal.timeout(timeoutMs),
          }),
      },
    });
    this.#retentionDays = options.retentionDays ?? 30;
    this.#logger = options.logger;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  async init(): Promise<void> {
    for (const [table, column] of Object.entries(TABLE_PROBES)) {
      await this.#request(`check table ${table}`, () => this.#client.from(table).select(column).limit(1), {
        missing: `table ${table} not found: apply sql/schema.sql to the Supabase project (see sql/README.md)`,
      });
    }
  }

  async close(): Promise<void> {
    this.#closing.abort();
  }

  // --- fills ----------------------------------------------------------------------------------------

  async putFills(fills: readonly Fill[]): Promise<void> {
    const rows = lastPerKey(fills, (fill) => `${fill.account}|${fill.fillId}`).map(fillToRow);
    await this.#upsertBatches("fills", rows, "account_address,fill_id", true);
  }

  listFills(account: string, range: Range = {}): Promise<Fill[]> {
    return this.#pages("list fills", (from, to) => {
      let query = this.#client.from("fills").select("metadata", COUNTED).eq("account_address", account);
      if (range.from !== undefined) query = query.gte("time_ms", range.from);
      if (range.to !== undefined) query = query.lte("time_ms", range.to);
      return query.order("time_ms").order("fill_id").range(from, to);
    }).then((rows) => rows.map((row) => row.metadata as Fill));
  }

  async getFillCursor(account: string): Promise<FillCursor | null> {
    const rows = await this.#request("get fill cursor", () =>
      this.#client.from("hl_fill_cursors").select("*").eq("account_address", account),
    );
    return rows[0] ? rowToCursor(rows[0]) : null;
  }

  async setFillCursor(cursor: FillCursor): Promise<void> {
    await this.#request("set fill cursor", () =>
      this.#client.rpc("hl_set_fill_cursor", {
        p_account: cursor.account,
        p_time_ms: cursor.time,
        p_fill_ids: cursor.fillIds,
        p_updated_at_ms: cursor.updatedAt,
      }),
    );
  }

  // --- positions ------------------------------------------------------------------------------------

  async loadPositionStates(account: string): Promise<PositionState[]> {
    const rows = await this.#pages("load positions", (from, to) =>
      this.#client
        .from("positions")
        .select("metadata", COUNTED)
        .eq("account_address", account)
        .order("coin")
        .range(from, to),
    );
    return rows.map((row) => row.metadata as PositionState);
  }

  async savePositions(states: readonly PositionState[], closed: readonly ClosedPosition[]): Promise<void> {
    // Closed records first: a current state saying "flat" is never stored without the record of the close.
    await this.#upsertBatches(
      "closed_positions",
      lastPerKey(closed, (position) => `${position.account}|${position.positionId}`).map(closedPositionToRow),
      "account_address,position_id",
      true,
    );
    // The last state of a coin in the call is the current one.
    const latest = new Map(states.map((state) => [`${state.account}|${state.coin}`, state]));
    await this.#upsertBatches(
      "positions",
      [...latest.values()].map(positionStateToRow),
      "account_address,coin",
      false,
    );
  }

  async listClosedPositions(account: string): Promise<ClosedPosition[]> {
    const rows = await this.#pages("list closed positions", (from, to) =>
      this.#client
        .from("closed_positions")
        .select("metadata", COUNTED)
        .eq("account_address", account)
        .order("closed_at_ms")
        .order("position_id")
        .range(from, to),
    );
    return rows.map((row) => row.metadata as ClosedPosition);
  }

  // --- orders ---------------------------------------------------------------------------------------

  async putOrders(orders: readonly OrderState[]): Promise<void> {
    // One row per order (a statement may not change a row twice): the newest version of each.
    for (const batch of chunk(newestPerOrder(orders).map(orderToRow), BATCH_ROWS)) {
      await this.#request("put orders", () => this.#client.rpc("hl_put_orders", { p_orders: batch }));
    }
  }

  async listOrders(account: string): Promise<OrderState[]> {
    const rows = await this.#pages("list orders", (from, to) =>
      this.#client
        .from("hl_orders")
        .select("metadata", COUNTED)
        .eq("account_address", account)
        .order("order_id")
        .range(from, to),
    );
    return rows.map((row) => row.metadata as OrderState);
  }

  // --- snapshots ------------------------------------------------------------------------------------

  async putAccountSnapshot(snapshot: AccountSnapshot): Promise<void> {
    await this.#request("put account snapshot", () =>
      this.#client.rpc("hl_put_account_snapshot", {
        p_snapshot: snapshotToRow(snapshot, this.#retentionDays),
      }),
    );
  }

  async latestAccountSnapshot(account: string): Promise<AccountSnapshot | null> {
    const rows = await this.#request("latest account snapshot", () =>
      this.#client
        .from("hl_dashboard")
        .select("metadata")
        .eq("account_address", account)
        .order("time_ms", { ascending: false })
        .limit(1),
    );
    return rows[0] ? (rows[0].metadata as AccountSnapshot) : null;
  }

  // --- CVD ------------------------------------------------------------------------------------------

  async putCvdBuckets(buckets: readonly CvdBucket[]): Promise<void> {
    // The newest write of a bucket wins: within one call, the last one given.
    const rows = lastPerKey(buckets, (bucket) => `${bucket.coin}|${bucket.bucket}`).map((bucket) =>
      cvdBucketToRow(bucket, this.#retentionDays),
    );
    await this.#upsertBatches("hl_cvd", rows, "coin,bucket_ms", false);
  }

  async latestCvdBuckets(coins: readonly string[]): Promise<Map<string, CvdBucket>> {
    const latest = new Map<string, CvdBucket>();
    const found = await Promise.all(
      [...new Set(coins)].map((coin) =>
        this.#request("latest CVD bucket", () =>
          this.#client
            .from("hl_cvd")
            .select("metadata")
            .eq("coin", coin)
            .order("bucket_ms", { ascending: false })
            .limit(1),
        ),
      ),
    );
    for (const rows of found) {
      const bucket = rows[0]?.metadata as CvdBucket | undefined;
      if (bucket) latest.set(bucket.coin, bucket);
    }
    return latest;
  }

  async listCvdBuckets(coin: string, range: Range = {}): Promise<CvdBucket[]> {
    const rows = await this.#pages("list CVD buckets", (from, to) => {
      let query = this.#client.from("hl_cvd").select("metadata", COUNTED).eq("coin", coin);
      if (range.from !== undefined) query = query.gte("bucket_ms", range.from);
      if (range.to !== undefined) query = query.lte("bucket_ms", range.to);
      return query.order("bucket_ms").range(from, to);
    });
    return rows.map((row) => row.metadata as CvdBucket);
  }

  // --- alert claims ---------------------------------------------------------------------------------

  async claimAlert(record: AlertRecord): Promise<AlertRecord | null> {
    const inserted = await this.#request("claim alert", () =>
      this.#client
        .from("hl_alerts")
        .upsert(alertToRow(record, this.#retentionDays), { onConflict: "owner,key", ignoreDuplicates: true })
        .select("key"),
    );
    if (inserted.length === 1) return null;
    const stored = await this.getAlert(record.owner, record.key);
    if (!stored)
      throw new StorageError(`alert ${record.key} neither claimed nor stored`, { retryable: true });
    return stored;
  }

  async updateAlert(
    owner: string,
    key: string,
    expectedLeaseUntil: number,
    change: AlertChange,
  ): Promise<boolean> {
    const updated = await this.#request("update alert", () =>
      this.#client
        .from("hl_alerts")
        .update(alertChangeToRow(change))
        .eq("owner", owner)
        .eq("key", key)
        .eq("status", "pending")
        .eq("lease_until_ms", expectedLeaseUntil)
        .select("key"),
    );
    return updated.length === 1;
  }

  async getAlert(owner: string, key: string): Promise<AlertRecord | null> {
    const rows = await this.#request("get alert", () =>
      this.#client.from("hl_alerts").select("*").eq("owner", owner).eq("key", key),
    );
    return rows[0] ? rowToAlert(rows[0]) : null;
  }

  async listPendingAlerts(owner: string): Promise<AlertRecord[]> {
    const rows = await this.#pages("list pending alerts", (from, to) =>
      this.#client
        .from("hl_alerts")
        .select("*", COUNTED)
        .eq("owner", owner)
        .eq("status", "pending")
        .order("created_at_ms")
        .order("key")
        .range(from, to),
    );
    return rows.map(rowToAlert);
  }

  // --- requests -------------------------------------------------------------------------------------

  async #upsertBatches(
    table: string,
    rows: readonly Row[],
    onConflict: string,
    ignoreDuplicates: boolean,
  ): Promise<void> {
    for (const batch of chunk(rows, BATCH_ROWS)) {
      await this.#request(`write ${table}`, () =>
        this.#client.from(table).upsert(batch, { onConflict, ignoreDuplicates, defaultToNull: true }),
      );
    }
  }

  /**
   * Every page of a read, in the query's (stable) order. A page may hold fewer rows than asked for (the
   * project's Max rows): the next one starts after the rows received, until the counted total is reached
   * or a page is empty. A 416 (PGRST103, the offset past the total: rows deleted meanwhile) is the end.
   */
  async #pages(
    what: string,
    page: (from: number, to: number) => PromiseLike<PostgrestAnswer<unknown>>,
  ): Promise<Row[]> {
    const all: Row[] = [];
    for (let index = 0; index < MAX_PAGES; index++) {
      const from = all.length;
      const answer = await this.#requestAnswer(what, () => page(from, from + PAGE_ROWS - 1), {
        endOfRange: true,
      });
      all.push(...answer.rows);
      if (answer.rows.length === 0) return all;
      if (typeof answer.count === "number" && all.length >= answer.count) return all;
    }
    throw new StorageError(`${what}: more than ${MAX_PAGES} pages`, { retryable: false });
  }

  /**
   * One PostgREST request with the retry policy described at the top. Resolves to the rows it returned
   * (an empty list for writes that return none).
   */
  async #request(
    what: string,
    call: () => PromiseLike<PostgrestAnswer<unknown>>,
    messages: { missing?: string } = {},
  ): Promise<Row[]> {
    return (await this.#requestAnswer(what, call, messages)).rows;
  }

  /** #request, with the count PostgREST gave (paged reads); `endOfRange` reads a 416 as no rows. */
  async #requestAnswer(
    what: string,
    call: () => PromiseLike<PostgrestAnswer<unknown>>,
    messages: { missing?: string; endOfRange?: boolean } = {},
  ): Promise<{ rows: Row[]; count: number | null }> {
    for (let attempt = 1; ; attempt++) {
      let answer: PostgrestAnswer<unknown>;
      try {
        answer = await call();
      } catch (error) {
        // supabase-js rejects only for a failed fetch (a reset, a timeout, DNS).
        answer = { data: null, error: { code: "FETCH", message: errorMessage(error) }, status: 0 };
      }
      if (!answer.error) {
        return {
          rows: Array.isArray(answer.data) ? (answer.data as Row[]) : [],
          count: answer.count ?? null,
        };
      }
      if (answer.status === 416 && messages.endOfRange) return { rows: [], count: null };

      const { status, error } = answer;
      const retryable = isRetryable(status, error.code);
      const summary = `${what} failed: HTTP ${status} ${error.code ?? ""} ${error.message}${
        error.code === "25006"
          ? " (the database is read-only: a Supabase project goes read-only when its disk is full)"
          : ""
      }`.replace(/\s+/g, " ");
      if (!retryable) {
        const missing = status === 404 && messages.missing;
        this.#logger?.warn({ status, code: error.code, what }, "storage request refused; not retried");
        throw new StorageError(missing ? messages.missing! : summary, { retryable: false });
      }
      if (attempt >= this.#retry.attempts || this.#closing.signal.aborted) {
        throw new StorageError(summary, { retryable: true });
      }
      this.#logger?.debug({ status, code: error.code, what, attempt }, "storage request failed; retrying");
      await sleep(backoffDelayMs(attempt, this.#retry), this.#closing.signal);
    }
  }
}

/**
 * Whether a failed request may succeed if sent again, from the HTTP status and PostgreSQL's SQLSTATE as
 * PostgREST maps them (docs.postgrest.org "Errors", HTTP Status Codes; test/supabase/errors.test.ts).
 */
export function isRetryable(status: number, code: string | undefined): boolean {
  // Read-only transaction (PostgREST: 405): Supabase puts a project whose disk is full into read-only
  // mode (docs "Database size"); the writes succeed once the operator frees space, so they are held.
  if (code === "25006") return true;
  if (status === 0 || status === 429) return true;
  if (status < 500) return false;
  // PostgREST answers 500 for these too, but the same statement meets them again: not retried.
  return !(code !== undefined && NOT_PASSING_5XX.some((prefix) => code.startsWith(prefix)));
}

/**
 * SQLSTATEs behind a 5xx that do not pass: 54 program limit exceeded (too complex, too many columns),
 * 53400 configuration limit exceeded (temp_file_limit and the like), 21000 cardinality violation,
 * 42P17 infinite recursion (a policy), P0 PL/pgSQL errors other than RAISE (a function's bug).
 */
const NOT_PASSING_5XX = ["54", "53400", "21000", "42P17", "P0"];

/**
 * A request body with storableText applied to its strings. supabase-js sends JSON text in which a NUL
 * or a lone surrogate appears as a `\u` escape; only then is the body parsed and written again.
 */
function storableBody(body: RequestInit["body"]): RequestInit["body"] {
  if (typeof body !== "string" || !jsonMayNeedStorable(body)) return body;
  return JSON.stringify(storable(JSON.parse(body)));
}

/**
 * A request URL whose filter values PostgreSQL accepts. URLSearchParams already turns lone surrogates into
 * U+FFFD; a NUL (`%00`: a literal `%` is `%25`) becomes U+FFFD as well, as the stored text did.
 */
function storableUrl(input: string | URL | Request): string | URL | Request {
  if (input instanceof Request) return input;
  const text = input.toString();
  return text.includes("%00") ? text.replaceAll("%00", "%EF%BF%BD") : input;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ? `${error.message} (${cause.code})` : error.message;
  }
  return String(error);
}
