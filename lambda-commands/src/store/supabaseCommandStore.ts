/**
 * CommandStore on Supabase, through PostgREST with supabase-js and a read-only key: SUPABASE_READ_KEY is a
 * JWT for the `hl_reader` role (sql/commands-reader.sql), which may SELECT the tables the commands read and
 * nothing else, sent as the bearer token next to the public anon key (SUPABASE_ANON_KEY). The monitor's
 * service key, which can write everything, never reaches this function.
 *
 * Rows are read back from `metadata`, the monitor's whole record (monitor/src/storage/supabase/rows.ts),
 * so decimals keep their exact strings. Every read is one request with a bounded row count.
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type {
  AccountSnapshot,
  ClosedPosition,
  Fill,
  FillCursor,
  OrderState,
  PositionState,
} from "../../../monitor/src/domain/types.ts";
import { rowToCursor } from "../../../monitor/src/storage/supabase/rows.ts";
import type { CommandStore, TimeRange } from "./commandStore.ts";

/** Rows one read asks for at most: a period's fills or closed positions of a busy account. */
const MAX_ROWS = 1_000;

export class SupabaseCommandStore implements CommandStore {
  readonly #client: SupabaseClient;

  constructor(options: { url: string; anonKey: string; readKey: string; requestTimeoutMs?: number }) {
    const timeoutMs = options.requestTimeoutMs ?? 4_000;
    // The gateway wants a project key in `apikey` (the public anon key); PostgREST takes the role from the
    // JWT in `Authorization`, the read key.
    this.#client = createClient(options.url, options.anonKey, {
      accessToken: async () => options.readKey,
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      db: { retry: false },
      global: { fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }) },
    });
  }

  async openPositions(account: string): Promise<PositionState[]> {
    const rows = await this.#rows(
      "open positions",
      this.#client
        .from("positions")
        .select("metadata")
        .eq("account_address", account)
        .eq("is_open", true)
        .order("coin"),
    );
    return rows.map((row) => row.metadata as PositionState);
  }

  async closedPositions(account: string, range: TimeRange): Promise<ClosedPosition[]> {
    const rows = await this.#rows(
      "closed positions",
      this.#client
        .from("closed_positions")
        .select("metadata")
        .eq("account_address", account)
        .gte("closed_at_ms", range.from)
        .lte("closed_at_ms", range.to)
        .order("closed_at_ms")
        .order("position_id")
        .limit(MAX_ROWS),
    );
    return rows.map((row) => row.metadata as ClosedPosition);
  }

  async latestFills(account: string, count: number): Promise<Fill[]> {
    const rows = await this.#rows(
      "latest fills",
      this.#client
        .from("fills")
        .select("metadata")
        .eq("account_address", account)
        .order("time_ms", { ascending: false })
        .order("fill_id", { ascending: false })
        .limit(count),
    );
    return rows.map((row) => row.metadata as Fill);
  }

  async fills(account: string, range: TimeRange): Promise<Fill[]> {
    const rows = await this.#rows(
      "fills",
      this.#client
        .from("fills")
        .select("metadata")
        .eq("account_address", account)
        .gte("time_ms", range.from)
        .lte("time_ms", range.to)
        .order("time_ms")
        .order("fill_id")
        .limit(MAX_ROWS),
    );
    return rows.map((row) => row.metadata as Fill);
  }

  async openOrders(account: string): Promise<OrderState[]> {
    const rows = await this.#rows(
      "open orders",
      this.#client
        .from("hl_orders")
        .select("metadata")
        .eq("account_address", account)
        .eq("is_terminal", false)
        .order("placed_at_ms")
        .order("order_id")
        .limit(MAX_ROWS),
    );
    return rows.map((row) => row.metadata as OrderState);
  }

  latestSnapshot(account: string): Promise<AccountSnapshot | null> {
    return this.snapshotWithin(account, { from: 0, to: Number.MAX_SAFE_INTEGER });
  }

  async snapshotWithin(account: string, range: TimeRange): Promise<AccountSnapshot | null> {
    const rows = await this.#rows(
      "snapshot",
      this.#client
        .from("hl_dashboard")
        .select("metadata")
        .eq("account_address", account)
        .gte("time_ms", range.from)
        .lte("time_ms", range.to)
        .order("time_ms", { ascending: false })
        .limit(1),
    );
    return rows[0] ? (rows[0].metadata as AccountSnapshot) : null;
  }

  async fillCursor(account: string): Promise<FillCursor | null> {
    const rows = await this.#rows(
      "fill cursor",
      this.#client.from("hl_fill_cursors").select("*").eq("account_address", account),
    );
    return rows[0] ? rowToCursor(rows[0]) : null;
  }

  async #rows(
    what: string,
    query: PromiseLike<{ data: unknown; error: { code?: string; message: string } | null; status: number }>,
  ): Promise<Record<string, unknown>[]> {
    const { data, error, status } = await query;
    if (error) throw new Error(`Supabase ${what}: HTTP ${status} ${error.code ?? ""}`.trim());
    return (data ?? []) as Record<string, unknown>[];
  }
}
