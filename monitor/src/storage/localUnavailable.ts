/**
 * What the monitor's bundle (bin/build-monitor.ts) has in place of the embedded store: the container
 * image ships without dynalite and its native LevelDB binding, which only `DB_MODE=local` uses and a
 * deployed task never runs. Asking the image for the local store is a configuration mistake, said in
 * one line.
 */
import { ConfigError } from "../config/config.ts";
import type { startEmbeddedDynamo as embedded } from "./local.ts";

export const LOCAL_STORE_UNAVAILABLE =
  "DB_MODE=local is not available in the container image (it has no embedded store): use DB_MODE=dynamodb or supabase, or run the local store from a checkout with npm start";

export const startEmbeddedDynamo: typeof embedded = async () => {
  throw new ConfigError(LOCAL_STORE_UNAVAILABLE);
};
