import { join } from "node:path";

/** The repository root: the image's build context and the alert Lambda's project root. */
export const PROJECT_ROOT = join(import.meta.dirname, "..");
