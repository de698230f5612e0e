/**
 * A plain `fetch` client for Hyperliquid's `POST /info`, validating the answer with the monitor's own
 * schemas (monitor/src/hyperliquid/info/*). The monitor's InfoClient brings the SDK's transport, a weight
 * budget and minutes of retries; a chat command has one or two seconds, so here one try, abortable.
 */

import type { InfoRequester } from "../../../monitor/src/hyperliquid/info/userFunding.ts";
import { describeIssue } from "../../../monitor/src/hyperliquid/schemas.ts";

/** Mainnet's REST endpoint, as the monitor's config defaults it (HYPERLIQUID_API_URL overrides). */
export const DEFAULT_HYPERLIQUID_API_URL = "https://api.hyperliquid.xyz";

export class FetchInfo implements InfoRequester {
  readonly #url: string;
  constructor(apiUrl: string) {
    this.#url = `${apiUrl.replace(/\/+$/, "")}/info`;
  }

  request: InfoRequester["request"] = async (method, params, signal) => {
    const response = await fetch(this.#url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: method.type, ...params }),
      ...(signal ? { signal } : {}),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`info ${method.type}: HTTP ${response.status}`);
    }
    const parsed = method.schema.safeParse(await response.json());
    if (!parsed.success) {
      throw new Error(`info ${method.type}: unexpected response (${describeIssue(parsed.error)})`);
    }
    return parsed.data;
  };
}
