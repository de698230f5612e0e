/**
 * Hyperliquid's per-IP WebSocket limits (DOCS rate-limits-and-user-limits: 10 connections, 30 new
 * connections per minute, 10 users) against a monitor with a full shard: the stand-in enforces them (its
 * minute shortened to TEST_CONNECTION_WINDOW_MS, the monitor's gate likewise), and bursts of reconnects
 * must never be refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import { eventually, type Harness, startHarness } from "../support/harness.ts";

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

const ACCOUNTS = Array.from({ length: 10 }, (_, i) => `0x${(0xa0 + i).toString(16).padStart(40, "0")}`);

describe("connection limits with 10 accounts in one shard", () => {
  it("rides out repeated drops of every socket without a refusal, and every account comes back", async () => {
    harness = await startHarness({ env: { ACCOUNT_ADDRESS: ACCOUNTS.join(","), CVD_COINS: "none" } });
    const h = harness;
    const { monitor } = await h.startMonitor();
    const allBack = () => {
      const { connections } = monitor.readiness();
      return connections.length === 10 && connections.every((c) => c.open && c.acknowledged);
    };
    await eventually("all 10 accounts connected", allBack, 10_000);
    expect(h.standIn.connectionCount).toBe(10);

    // Server-side drops, all at once, five times in quick succession: 60 reconnects in about a second
    // against a limit of 30 per window.
    for (let round = 0; round < 5; round++) {
      h.standIn.dropConnections();
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await eventually("every account back after the drops", allBack, 15_000);

    // Client-side replacements: silent sockets miss their pongs and the monitor closes and replaces all
    // ten; each successor must wait until its predecessor's close has completed.
    for (let round = 0; round < 2; round++) {
      h.standIn.setSilent(true);
      await new Promise((resolve) => setTimeout(resolve, 700));
      h.standIn.setSilent(false);
      await eventually("every account back after the silence", allBack, 15_000);
    }

    expect(h.standIn.connectionsRefusedByLimit).toBe(0);
    expect(h.standIn.connectionCount).toBe(10);
    const users = new Set(h.standIn.connections().flatMap((c) => c.subscriptions.map((s) => s.user)));
    expect([...users].sort()).toEqual([...ACCOUNTS].sort());
  }, 60_000);
});
