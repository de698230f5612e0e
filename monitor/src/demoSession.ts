/** The recorded demo session's account and its store's folder, shared by `npm run demo` and `npm run commands`. */
import { resolve } from "node:path";

export const DEMO_ACCOUNT = "0xb7b6f3cea3f66bf525f5d8f965f6dbf6d9b017b2";
/** The demo's own folder under the working directory; DATA_DIR is deliberately not read. */
export const DEMO_DIR = resolve("data", "demo");
/** Written by the demo into its folder: without it, the folder is not the demo's to remove. */
export const DEMO_MARKER = ".hl-monitor-demo";
