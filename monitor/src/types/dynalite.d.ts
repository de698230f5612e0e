/** Types for dynalite 4 (it ships none): the factory returns a plain node:http server. */
declare module "dynalite" {
  import type { Server } from "node:http";

  interface DynaliteOptions {
    /** LevelDB directory; in memory when absent. */
    path?: string;
    /** How long a table stays CREATING / DELETING / UPDATING (default 500 ms each). */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    /** Largest item accepted (default 400, as DynamoDB). */
    maxItemSizeKb?: number;
    verbose?: boolean;
    debug?: boolean;
  }

  /** The server is not listening yet: call `.listen(port, host)`. Its `close()` also closes the database. */
  export default function dynalite(options?: DynaliteOptions): Server;
}
