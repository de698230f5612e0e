/**
 * A real PostgreSQL for tests: PGlite (PostgreSQL in WebAssembly, in process) with the project's own
 * sql/schema.sql applied.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";

export const SCHEMA_PATH = join(import.meta.dirname, "../../sql/schema.sql");

export function schemaSql(): string {
  return readFileSync(SCHEMA_PATH, "utf8");
}

export async function postgresWithSchema(): Promise<PGlite> {
  const db = new PGlite();
  await db.exec(schemaSql());
  return db;
}
