/**
 * A loopback PostgREST for tests: the subset of PostgREST's HTTP protocol that supabase-js (and so the
 * Supabase adapter) uses, executed as SQL on a real PostgreSQL (PGlite) holding the project's schema.
 * No PostgREST server can run here; this one turns each request into the statement PostgREST would run,
 * so a wrong table, column, type or conflict target fails exactly as it would against Supabase.
 *
 * The subset (PostgREST v12 behaviour):
 * - Auth: the `apikey` header must be one of the two keys; the service key runs as `service_role`
 *   (bypasses RLS), the anon key as `anon` (`SET LOCAL ROLE`, so grants and RLS apply). 401 otherwise.
 *   `roleKeys` add JWTs for other roles, sent as `Authorization: Bearer` next to a project key in
 *   `apikey`: PostgREST runs the request as the `role` claim of that JWT
 *   (docs.postgrest.org/en/v12/references/auth.html#jwt-based-user-impersonation), e.g. `hl_reader`.
 * - `GET /rest/v1/<table>`: `select=` (`*` or column names), filters `<col>=<op>.<value>` with eq, neq, gt,
 *   gte, lt, lte, is (null/true/false), in.(a,b); `order=<col>.<asc|desc>[,…]`; `limit`, `offset`. At most
 *   `maxRows` rows (PostgREST's db-max-rows; Supabase's "Max rows", 1,000 unless the project lowers it),
 *   whatever `limit` asks for. Every answer carries `Content-Range: <first>-<last>/*`, with the total
 *   instead of `*` under `Prefer: count=exact` (then 206 when the page is not all of it, 416 past the end).
 *   Rows are serialised by PostgreSQL's json_agg, as PostgREST does: NUMERIC and bigint become JSON
 *   numbers, timestamptz ISO strings.
 * - `POST /rest/v1/<table>`: a JSON object or array; the columns from `columns=` (quoted, comma-separated)
 *   or the first object's keys. `Prefer: resolution=ignore-duplicates|merge-duplicates` with
 *   `on_conflict=<cols>` makes it an upsert; `return=representation` returns the written rows. 201.
 * - `PATCH /rest/v1/<table>` with filters: updates the body's columns; 200 with rows, or 204.
 * - `POST /rest/v1/rpc/<function>`: named JSON arguments; jsonb parameters get the JSON value, others its
 *   text cast to the parameter type; the result as JSON. 200.
 * - Errors: PostgREST's JSON body `{code, message, details, hint}` with the status of PostgREST's documented
 *   SQLSTATE table (httpStatusOf: e.g. 23505 → 409, 25006 → 405, 0L/0P/28 → 403, 53400 → 500, other 53 → 503,
 *   54 → 500, 42501 → 401 for anon / 403, other → 400).
 * - Fault injection: `failNext(n, fault)` answers the next n requests with 503 (PGRST002, as while the
 *   schema cache loads), a reset socket, or 409 (23505), without touching the database.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { PGlite, Transaction } from "@electric-sql/pglite";

/** Supabase's default "Max rows" (API settings); PostgREST's own default is no limit. */
export const DEFAULT_MAX_ROWS = 1_000;

export type Fault = "503" | "reset" | "409";

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  rows: number;
}

class PostgrestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: string | null;
  readonly hint: string | null;
  constructor(
    status: number,
    code: string,
    message: string,
    details: string | null = null,
    hint: string | null = null,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.hint = hint;
  }
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const RESERVED_PARAMS = new Set(["select", "order", "limit", "offset", "on_conflict", "columns"]);

function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name))
    throw new PostgrestError(400, "PGRST100", `"${name}" is not a column name here`);
  return `"${name}"`;
}

export class PostgrestStandIn {
  readonly #db: PGlite;
  readonly #keys: Map<string, string>;
  /** JWTs of other roles, valid as the bearer token only (the gateway takes project keys in `apikey`). */
  readonly #roleTokens: Map<string, string>;
  readonly #server: Server;
  #queue: Promise<unknown> = Promise.resolve();
  #faults: Fault[] = [];
  readonly requests: LoggedRequest[] = [];
  /** Runs after a read's query, before its answer is sent (tests: rows deleted between two pages). */
  afterRead: (() => Promise<void>) | null = null;
  /** PostgREST's db-max-rows: the most rows one read returns. */
  readonly maxRows: number;

  constructor(options: {
    db: PGlite;
    serviceKey: string;
    anonKey: string;
    maxRows?: number;
    roleKeys?: Record<string, string>;
  }) {
    this.#db = options.db;
    this.maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
    this.#keys = new Map([
      [options.serviceKey, "service_role"],
      [options.anonKey, "anon"],
    ]);
    this.#roleTokens = new Map(Object.entries(options.roleKeys ?? {}));
    this.#server = createServer((request, response) => void this.#handle(request, response));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The next `count` requests fail with `fault` before reaching the database. */
  failNext(count: number, fault: Fault): void {
    for (let i = 0; i < count; i++) this.#faults.push(fault);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    const method = request.method ?? "GET";
    const log = (status: number, rows = 0) =>
      this.requests.push({ method, path: url.pathname, status, rows });
    const body = await readBody(request);

    const fault = this.#faults.shift();
    if (fault === "reset") {
      log(0);
      request.socket.destroy();
      return;
    }
    if (fault === "503") {
      log(503);
      sendJson(response, 503, {
        code: "PGRST002",
        message: "Could not query the database for the schema cache. Retrying.",
        details: null,
        hint: null,
      });
      return;
    }
    if (fault === "409") {
      log(409);
      sendJson(response, 409, {
        code: "23505",
        message: 'duplicate key value violates unique constraint "injected"',
        details: "Key already exists (injected fault).",
        hint: null,
      });
      return;
    }

    try {
      // Supabase's gateway checks `apikey`; PostgREST then runs as the role of the `Authorization` JWT
      // (supabase-js sends the same key in both unless told otherwise).
      if (!this.#keys.has(String(request.headers.apikey ?? ""))) {
        throw new PostgrestError(401, "PGRST301", "Invalid API key");
      }
      const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ""))?.[1];
      const token = bearer ?? String(request.headers.apikey);
      const role = this.#keys.get(token) ?? this.#roleTokens.get(token);
      if (!role) throw new PostgrestError(401, "PGRST301", "JWSError JWSInvalidSignature");
      const match = /^\/rest\/v1\/(rpc\/)?([^/]+)$/.exec(url.pathname);
      if (!match) throw new PostgrestError(404, "PGRST125", `Invalid path ${url.pathname}`);
      const [, rpc, name] = match;
      const prefer = parsePrefer(String(request.headers.prefer ?? ""));
      const result = await this.#serialised(() =>
        this.#db.transaction(async (tx) => {
          await tx.exec(`set local role ${role}`);
          if (rpc) return this.#rpc(tx, name!, body);
          if (method === "GET" || method === "HEAD") return this.#select(tx, name!, url.searchParams, prefer);
          if (method === "POST") return this.#insert(tx, name!, url.searchParams, body, prefer);
          if (method === "PATCH") return this.#update(tx, name!, url.searchParams, body, prefer);
          throw new PostgrestError(405, "PGRST117", `Unsupported HTTP method: ${method}`);
        }),
      );
      if (method === "GET" && this.afterRead) await this.afterRead();
      log(result.status, result.rows);
      const headers = result.headers ?? {};
      if (result.json === null) {
        response.writeHead(result.status, headers).end();
      } else {
        response
          .writeHead(result.status, { ...headers, "content-type": "application/json; charset=utf-8" })
          .end(result.json);
      }
    } catch (error) {
      const failure = toPostgrestError(error, String(request.headers.apikey ?? ""), this.#keys);
      log(failure.status);
      sendJson(response, failure.status, {
        code: failure.code,
        message: failure.message,
        details: failure.details,
        hint: failure.hint,
      });
    }
  }

  /** PGlite is one connection: requests take turns, each in its own transaction, as PostgREST's are. */
  #serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #select(tx: Transaction, table: string, params: URLSearchParams, prefer: Prefer): Promise<Outcome> {
    const select = params.get("select") ?? "*";
    const columns =
      select === "*"
        ? "*"
        : select
            .split(",")
            .map((c) => quoteIdentifier(c.trim()))
            .join(", ");
    const values: unknown[] = [];
    const where = filters(params, values);
    const order = orderBy(params.get("order"));
    // DOCS postgrest configuration "db-max-rows": a hard limit on the rows fetched, whatever `limit` says.
    const requested = params.has("limit") ? Number(params.get("limit")) : this.maxRows;
    const limit = Math.min(requested, this.maxRows);
    const offset = Number(params.get("offset") ?? 0);
    const from = `from public.${quoteIdentifier(table)} ${where}`;
    const page = await rowsAsJson(
      tx,
      `select ${columns} ${from} ${order} limit ${limit} offset ${offset}`,
      values,
      200,
    );
    // DOCS postgrest "Pagination and Count": `Prefer: count=exact` adds the total to Content-Range.
    const total =
      prefer.count === "exact"
        ? (await tx.query<{ n: number }>(`select count(*)::int as n ${from}`, values)).rows[0]!.n
        : null;
    // DOCS postgrest "Pagination and Count" (RangeQuery.rangeStatusHeader): 416 for an offset past the total.
    if (total !== null && offset > total) {
      throw new PostgrestError(
        416,
        "PGRST103",
        "Requested range not satisfiable",
        `An offset of ${offset} was requested, but there are only ${total} rows.`,
      );
    }
    const last = offset + page.rows - 1;
    // DOCS postgrest "Pagination and Count": `Content-Range: 0-14/*`; `*` for the range when empty.
    const range = total !== 0 && last >= offset ? `${offset}-${last}` : "*";
    // DOCS postgrest "Pagination and Count": 206 Partial Content when the page is less than the counted total.
    const status = total !== null && page.rows < total ? 206 : 200;
    return { ...page, status, headers: { "content-range": `${range}/${total ?? "*"}` } };
  }

  async #insert(
    tx: Transaction,
    table: string,
    params: URLSearchParams,
    body: unknown,
    prefer: Prefer,
  ): Promise<Outcome> {
    const rows = Array.isArray(body) ? body : [body];
    if (rows.length === 0)
      return { status: 201, json: prefer.return === "representation" ? "[]" : null, rows: 0 };
    const columnList = params.get("columns")
      ? params
          .get("columns")!
          .split(",")
          .map((c) => c.trim().replace(/^"|"$/g, ""))
      : Object.keys(rows[0] as object);
    const columns = columnList.map(quoteIdentifier).join(", ");
    let conflict = "";
    if (prefer.resolution && params.get("on_conflict")) {
      const target = params
        .get("on_conflict")!
        .split(",")
        .map((c) => quoteIdentifier(c.trim()))
        .join(", ");
      conflict =
        prefer.resolution === "ignore-duplicates"
          ? `on conflict (${target}) do nothing`
          : `on conflict (${target}) do update set ${columnList.map((c) => `${quoteIdentifier(c)} = excluded.${quoteIdentifier(c)}`).join(", ")}`;
    }
    const statement = `insert into public.${quoteIdentifier(table)} (${columns})
      select ${columns} from jsonb_populate_recordset(null::public.${quoteIdentifier(table)}, $1::jsonb)
      ${conflict} returning *`;
    return this.#written(tx, statement, [JSON.stringify(rows)], 201, prefer);
  }

  async #update(
    tx: Transaction,
    table: string,
    params: URLSearchParams,
    body: unknown,
    prefer: Prefer,
  ): Promise<Outcome> {
    const changes = Object.keys(body as object);
    if (changes.length === 0) throw new PostgrestError(400, "PGRST118", "Empty update body");
    const values: unknown[] = [JSON.stringify(body)];
    const where = filters(params, values, "t.");
    const set = changes.map((c) => `${quoteIdentifier(c)} = r.${quoteIdentifier(c)}`).join(", ");
    const statement = `update public.${quoteIdentifier(table)} t set ${set}
      from jsonb_populate_record(null::public.${quoteIdentifier(table)}, $1::jsonb) r ${where} returning t.*`;
    return this.#written(tx, statement, values, prefer.return === "representation" ? 200 : 204, prefer);
  }

  async #written(
    tx: Transaction,
    statement: string,
    values: unknown[],
    status: number,
    prefer: Prefer,
  ): Promise<Outcome> {
    const result = await tx.query<{ json: string | null; n: number }>(
      `with written as (${statement}) select coalesce(json_agg(written), '[]')::text as json, count(*)::int as n from written`,
      values,
    );
    const { json, n } = result.rows[0]!;
    if (prefer.return === "representation") return { status, json: json ?? "[]", rows: n };
    return { status: status === 200 ? 204 : status, json: null, rows: n };
  }

  async #rpc(tx: Transaction, name: string, body: unknown): Promise<Outcome> {
    const found = await tx.query<{ names: string[] | null; types: string[] }>(
      `select p.proargnames as names, array(select format_type(t, null) from unnest(p.proargtypes) t) as types
       from pg_proc p where p.proname = $1 and p.pronamespace = 'public'::regnamespace`,
      [name],
    );
    const args = (body ?? {}) as Record<string, unknown>;
    const candidate = found.rows.find((row) => {
      const names = row.names ?? [];
      return (
        names.length === Object.keys(args).length && Object.keys(args).every((key) => names.includes(key))
      );
    });
    if (!candidate) {
      throw new PostgrestError(
        404,
        "PGRST202",
        `Could not find the function public.${name}(${Object.keys(args).join(", ")}) in the schema cache`,
      );
    }
    const names = candidate.names ?? [];
    const call = names
      .map((arg, i) => {
        const type = candidate.types[i]!;
        const value = type === "jsonb" ? `($1::jsonb -> '${arg}')` : `(($1::jsonb ->> '${arg}')::${type})`;
        return `${quoteIdentifier(arg)} => ${value}`;
      })
      .join(", ");
    const result = await tx.query<{ json: string }>(
      `select to_json(public.${quoteIdentifier(name)}(${call}))::text as json`,
      [JSON.stringify(args)],
    );
    return { status: 200, json: result.rows[0]!.json, rows: 1 };
  }
}

interface Outcome {
  status: number;
  json: string | null;
  rows: number;
  headers?: Record<string, string>;
}

interface Prefer {
  resolution: "ignore-duplicates" | "merge-duplicates" | null;
  return: "representation" | "minimal" | null;
  count: "exact" | "planned" | "estimated" | null;
}

function parsePrefer(header: string): Prefer {
  const parts = header.split(",").map((part) => part.trim());
  const value = (key: string) =>
    parts.find((part) => part.startsWith(`${key}=`))?.slice(key.length + 1) ?? null;
  return {
    resolution: value("resolution") as Prefer["resolution"],
    return: value("return") as Prefer["return"],
    count: value("count") as Prefer["count"],
  };
}

const OPERATORS: Record<string, string> = { eq: "=", neq: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" };

function filters(params: URLSearchParams, values: unknown[], prefix = ""): string {
  const conditions: string[] = [];
  for (const [column, raw] of params) {
    if (RESERVED_PARAMS.has(column)) continue;
    const dot = raw.indexOf(".");
    const operator = raw.slice(0, dot);
    const operand = raw.slice(dot + 1);
    const target = `${prefix}${quoteIdentifier(column)}`;
    if (operator in OPERATORS) {
      values.push(operand);
      // Compared as text cast to the column's type, as PostgREST does with unknown-typed literals.
      conditions.push(`${target} ${OPERATORS[operator]} $${values.length}`);
    } else if (operator === "is" && ["null", "true", "false"].includes(operand)) {
      conditions.push(`${target} is ${operand}`);
    } else if (operator === "in" && /^\(.*\)$/.test(operand)) {
      const items = operand
        .slice(1, -1)
        .split(",")
        .map((item) => item.replace(/^"|"$/g, ""));
      const placeholders = items.map((item) => {
        values.push(item);
        return `$${values.length}`;
      });
      conditions.push(`${target} in (${placeholders.join(", ")})`);
    } else {
      throw new PostgrestError(400, "PGRST100", `failed to parse filter (${raw})`);
    }
  }
  return conditions.length > 0 ? `where ${conditions.join(" and ")}` : "";
}

function orderBy(order: string | null): string {
  if (!order) return "";
  const terms = order.split(",").map((term) => {
    const [column, ...modifiers] = term.split(".");
    const direction = modifiers.includes("desc") ? "desc" : "asc";
    const nulls = modifiers.includes("nullsfirst")
      ? " nulls first"
      : modifiers.includes("nullslast")
        ? " nulls last"
        : "";
    return `${quoteIdentifier(column!)} ${direction}${nulls}`;
  });
  return `order by ${terms.join(", ")}`;
}

async function rowsAsJson(tx: Transaction, sql: string, values: unknown[], status: number): Promise<Outcome> {
  const result = await tx.query<{ json: string; n: number }>(
    `select coalesce(json_agg(r), '[]')::text as json, count(*)::int as n from (${sql}) r`,
    values,
  );
  return { status, json: result.rows[0]!.json, rows: result.rows[0]!.n };
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return { __invalid: text };
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

/** PostgreSQL errors as PostgREST reports them (status by SQLSTATE). */
function toPostgrestError(error: unknown, apikey: string, keys: Map<string, string>): PostgrestError {
  if (error instanceof PostgrestError) return error;
  const pg = error as { code?: string; message?: string; detail?: string; hint?: string };
  const code = pg.code ?? "XX000";
  const message = pg.message ?? String(error);
  const status = httpStatusOf(code, message, keys.get(apikey) !== "anon");
  return new PostgrestError(status, code, message, pg.detail ?? null, pg.hint ?? null);
}

/**
 * DOCS postgrest "Errors" → "HTTP Status Codes" (docs.postgrest.org/en/latest/references/errors.html;
 * the same table on Supabase's "Error Codes" page), first match wins; the rows the table leaves out
 * (21000, 22023, 57P01) as PostgREST's src/library/PostgREST/Error.hs (mapSQLtoHTTP) has them.
 */
export function httpStatusOf(code: string, message: string, authenticated: boolean): number {
  const exact: Record<string, number> = {
    "23503": 409, // foreign key violation
    "23505": 409, // uniqueness violation
    "25006": 405, // read only sql transaction
    "53400": 500, // config limit exceeded
    "57P01": 503, // Error.hs: terminating connection due to administrator command
    P0001: 400, // default code for "raise"
    "42P01": 404, // undefined table
    "42P17": 500, // infinite recursion
    "42501": authenticated ? 403 : 401, // insufficient privileges: 403 if authenticated, else 401
  };
  if (code in exact) return exact[code]!;
  // Error.hs: 400 for pg-safeupdate's "requires a WHERE clause", else 500.
  if (code === "21000") return message.endsWith("requires a WHERE clause") ? 400 : 500;
  // Error.hs: a role that does not exist is 401, other invalid parameter values 400.
  if (code === "22023") return message.startsWith("role") && message.endsWith("does not exist") ? 401 : 400;
  // Error.hs: xmlagg missing is 406; otherwise undefined function, 404.
  if (code === "42883") return message.startsWith("function xmlagg(") ? 406 : 404;
  const byClass: [string, number][] = [
    ["08", 503], // pg connection err
    ["09", 500], // triggered action exception
    ["0L", 403], // invalid grantor
    ["0P", 403], // invalid role specification
    ["25", 500], // invalid transaction state
    ["28", 403], // invalid auth specification
    ["2D", 500], // invalid transaction termination
    ["38", 500], // external routine exception
    ["39", 500], // external routine invocation
    ["3B", 500], // savepoint exception
    ["40", 500], // transaction rollback
    ["53", 503], // insufficient resources
    ["54", 500], // too complex
    ["55", 500], // obj not in prerequisite state
    ["57", 500], // operator intervention
    ["58", 500], // system error
    ["F0", 500], // config file error
    ["HV", 500], // foreign data wrapper error
    ["P0", 500], // PL/pgSQL error
    ["XX", 500], // internal error
  ];
  for (const [prefix, status] of byClass) if (code.startsWith(prefix)) return status;
  return 400; // other
}
