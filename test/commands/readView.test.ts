/**
 * The commands' read view against both back ends: DynamoDB (dynalite) and Supabase (PGlite with
 * sql/schema.sql and sql/commands-reader.sql, behind the PostgREST stand-in, read with the `hl_reader`
 * key), and what the read-only role may not do.
 */
import { readFileSync } from "node:fs";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoCommandStore } from "../../lambda-commands/src/store/dynamoCommandStore.ts";
import { SupabaseCommandStore } from "../../lambda-commands/src/store/supabaseCommandStore.ts";
import { DynamoStore } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { type EmbeddedDynamo, startInMemoryDynamo } from "../../monitor/src/storage/local.ts";
import { SupabaseStore } from "../../monitor/src/storage/supabase/supabaseStore.ts";
import { postgresWithSchema } from "../support/postgres.ts";
import { PostgrestStandIn } from "../support/postgrestStandIn.ts";
import { ACCOUNT, order } from "./records.ts";
import { describeReadViewConformance } from "./storeConformance.ts";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const SERVICE_KEY = "service-role-key-for-tests";
const ANON_KEY = "anon-key-for-tests";
const READ_KEY = "hl-reader-key-for-tests";
const READER_SQL = readFileSync(new URL("../../sql/commands-reader.sql", import.meta.url), "utf8");

let dynamo: EmbeddedDynamo;
let db: PGlite;
let standIn: PostgrestStandIn;
let url: string;
let prefixes = 0;

beforeAll(async () => {
  dynamo = await startInMemoryDynamo();
  db = await postgresWithSchema();
  await db.exec(READER_SQL);
  await db.exec(READER_SQL); // idempotent, as schema.sql
  standIn = new PostgrestStandIn({
    db,
    serviceKey: SERVICE_KEY,
    anonKey: ANON_KEY,
    roleKeys: { [READ_KEY]: "hl_reader" },
  });
  url = await standIn.start();
}, 60_000);
afterAll(async () => {
  await standIn.stop();
  await db.close();
  await dynamo.close();
});

describeReadViewConformance("DynamoCommandStore", async () => {
  const tablePrefix = `c${process.pid}-${++prefixes}-`;
  const clientConfig = { endpoint: dynamo.endpoint, region: "local", credentials };
  const writer = new DynamoStore({ tablePrefix, clientConfig });
  const reader = new DynamoCommandStore({ tablePrefix, clientConfig });
  return { writer, reader, cleanup: () => writer.close() };
});

describeReadViewConformance("SupabaseCommandStore (hl_reader key)", async () => {
  await db.exec(
    "truncate public.fills, public.positions, public.closed_positions, public.hl_dashboard, public.hl_orders, public.hl_cvd, public.hl_fill_cursors, public.hl_alerts",
  );
  const writer = new SupabaseStore({ url, serviceKey: SERVICE_KEY, retry: { attempts: 1 } });
  const reader = new SupabaseCommandStore({ url, anonKey: ANON_KEY, readKey: READ_KEY });
  return { writer, reader, cleanup: () => writer.close() };
});

describe("the hl_reader role (sql/commands-reader.sql)", () => {
  it("reads the commands' tables and writes nothing, through PostgREST", async () => {
    const { createClient } = await import("@supabase/supabase-js");
    const asReader = createClient(url, ANON_KEY, { accessToken: async () => READ_KEY, db: { retry: false } });
    // Permission denied (42501) for a write and for a table outside its six (RPCs: the SQL test below).
    expect((await asReader.from("hl_orders").insert({ order_id: 9 })).error?.code).toBe("42501");
    expect((await asReader.from("hl_alerts").select("key")).error?.code).toBe("42501");
    expect(
      await new SupabaseCommandStore({ url, anonKey: ANON_KEY, readKey: READ_KEY }).openOrders(ACCOUNT),
    ).toEqual([]);
    // The read key alone, without a project key in `apikey`, gets nothing.
    await expect(
      new SupabaseCommandStore({ url, anonKey: READ_KEY, readKey: READ_KEY }).openOrders(ACCOUNT),
    ).rejects.toThrow(/HTTP 401/);
  });

  it("has SELECT on the six tables it needs and no other privilege", async () => {
    const { rows } = await db.query<{ table_name: string; privilege_type: string }>(
      "select table_name, privilege_type from information_schema.role_table_grants where grantee = 'hl_reader' order by 1, 2",
    );
    expect(rows).toEqual(
      ["closed_positions", "fills", "hl_dashboard", "hl_fill_cursors", "hl_orders", "positions"].map(
        (table) => ({
          table_name: table,
          privilege_type: "SELECT",
        }),
      ),
    );
    await db.exec("set role hl_reader");
    try {
      await expect(db.query("select * from public.hl_alerts")).rejects.toThrow(/permission denied/);
      await expect(db.query("delete from public.fills")).rejects.toThrow(/permission denied/);
      await expect(db.query("select public.hl_prune()")).rejects.toThrow(/permission denied/);
    } finally {
      await db.exec("reset role");
    }
  });
});

describe("the handler in DB_MODE=supabase", () => {
  it("answers from Supabase with the read key alone", async () => {
    const { generateKeyPairSync, sign } = await import("node:crypto");
    const { createCommandHandler } = await import("../../lambda-commands/src/handler.ts");
    const { createLambdaLogger } = await import("../../lambda-alerts/src/logger.ts");
    await db.exec("truncate public.hl_orders");
    const writer = new SupabaseStore({ url, serviceKey: SERVICE_KEY, retry: { attempts: 1 } });
    await writer.putOrders([order({ oid: 4242, coin: "ETH" })]);
    const keys = generateKeyPairSync("ed25519");
    const handler = createCommandHandler({
      env: {
        DB_MODE: "supabase",
        SUPABASE_URL: url,
        SUPABASE_ANON_KEY: ANON_KEY,
        SUPABASE_READ_KEY: READ_KEY,
        ACCOUNT_ADDRESS: ACCOUNT,
        DISCORD_PUBLIC_KEY: keys.publicKey
          .export({ format: "der", type: "spki" })
          .subarray(-32)
          .toString("hex"),
      },
      logger: createLambdaLogger({ level: "silent" }),
    });
    const body = JSON.stringify({
      type: 2,
      id: "1",
      token: "t",
      version: 1,
      user: { id: "9" },
      data: { name: "orders", type: 1, id: "2" },
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const before = standIn.requests.length;
    const result = await handler({
      rawPath: "/discord",
      headers: {
        "x-signature-ed25519": sign(null, Buffer.from(timestamp + body), keys.privateKey).toString("hex"),
        "x-signature-timestamp": timestamp,
      },
      body,
      isBase64Encoded: false,
      requestContext: { http: { method: "POST" } } as never,
    });
    const embed = JSON.parse(result.body!).data.embeds[0];
    expect(embed.title).toBe("1 open order(s)");
    expect(embed.fields[0].name).toContain("ETH");
    // Reads only: GETs on the tables, nothing written.
    expect(standIn.requests.slice(before).every((r) => r.method === "GET")).toBe(true);
  });
});
