import { afterEach, describe, expect, it } from "vitest";
import type { AlertEvent } from "../../lambda-alerts/src/alertEvent.ts";
import type { AlertPublisher } from "../../monitor/src/alerts/publishers.ts";
import { HyperliquidStandIn, type SubscribeFault } from "../../monitor/src/standin/server.ts";
import { Metrics } from "../../monitor/src/telemetry/metrics.ts";
import { capturingLogger } from "../support/capturingLogger.ts";
import { generatedFills } from "../support/fixtures.ts";
import { ACCOUNT, eventually, type Harness, startHarness } from "../support/harness.ts";
import { closedLoopbackPort } from "../support/loopbackHttp.ts";

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

const T0 = 1_789_407_000_000;
/** The account's socket alone: CVD off, so no market-data connection joins the counts below. */
const ACCOUNT_ONLY = { CVD_COINS: "none" };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isUserFills = (s: { type: string; user?: unknown }) => s.type === "userFills" && s.user === ACCOUNT;

describe("subscriptions after a reconnect", () => {
  const faults: [string, SubscribeFault, number][] = [
    ["refused", { kind: "refuse", text: "Cannot track more than 10 total users." }, 2],
    ["never acknowledged", { kind: "never" }, 2],
    ["acknowledged late", { kind: "delay", ms: 1_500 }, 1],
  ];
  for (const [what, fault, count] of faults) {
    it(`a userFills resubscribe ${what} is re-sent on the same socket until acknowledged; fills flow live again`, async () => {
      harness = await startHarness({ env: ACCOUNT_ONLY });
      const h = harness;
      const { monitor, metrics } = await h.startMonitor();
      await eventually("ready", () => monitor.readiness().ready);
      h.standIn.faultSubscribes("userFills", fault, count);
      const accepted = h.standIn.connectionsAccepted;
      h.standIn.dropConnections();
      await eventually("reconnected", () => h.standIn.connectionsAccepted === accepted + 1);
      await eventually("live in sync again", () => monitor.watcher(ACCOUNT)!.fills.phase === "live");
      await eventually("acknowledged again", () => monitor.readiness().ready, 15_000);
      expect(h.standIn.hasSubscriber(isUserFills)).toBe(true);
      // Recovered on the socket the reconnect opened: no socket was replaced for it.
      expect(h.standIn.connectionsAccepted).toBe(accepted + 1);
      expect(h.standIn.connectionCount).toBe(1);
      // A fill made now arrives over the socket: no backfill runs between two socket opens.
      const backfilled = metrics.total("BackfilledFills");
      const [fill] = generatedFills(1, T0 + 10_000_000, 90_000_000);
      expect(h.standIn.pushFills(ACCOUNT, [fill!])).toBe(1);
      await eventually("live fill stored", async () =>
        (await h.reader.listFills(ACCOUNT)).some((stored) => stored.tid === fill!.tid),
      );
      expect(metrics.total("BackfilledFills")).toBe(backfilled);
    }, 30_000);
  }

  it("a subscription refused past ALERT_DISCONNECTED_SECONDS raises monitor_degraded naming it and the answer", async () => {
    harness = await startHarness({ env: { ...ACCOUNT_ONLY, ALERT_DISCONNECTED_SECONDS: "10" } });
    const h = harness;
    const published: AlertEvent[] = [];
    const publisher: AlertPublisher = {
      name: "capture",
      publish: async (event) => {
        published.push(event);
      },
    };
    h.standIn.faultSubscribes(
      "orderUpdates",
      { kind: "refuse", text: "Cannot track more than 10 total users." },
      1_000,
    );
    const { monitor } = await h.startMonitor({
      monitorOptions: {
        alertPublishers: [publisher],
        alertTickMs: 200,
        resubscribe: { baseDelayMs: 200, maxDelayMs: 1_000 },
      },
    });
    await eventually("socket open", () => h.standIn.connectionCount === 1);
    expect(monitor.readiness().ready).toBe(false);
    await eventually(
      "degraded alert",
      () => published.some((event) => event.kind === "monitor_degraded"),
      16_000,
    );
    const alert = published.find((event) => event.kind === "monitor_degraded")!;
    const text = JSON.stringify(alert);
    expect(text).toContain("orderUpdates");
    expect(text).toContain("Cannot track more than 10 total users.");
    expect(alert.account).toBe(ACCOUNT);
    // The socket itself was up all along: no "socket down" alert.
    expect(published.filter((event) => event.title.includes("socket down"))).toEqual([]);
    h.standIn.faultSubscribes("orderUpdates", { kind: "refuse", text: "unused" }, 0);
    await eventually(
      "recovered",
      () => published.some((event) => event.kind === "monitor_recovered"),
      10_000,
    );
    expect(monitor.readiness().ready).toBe(true);
  }, 40_000);
});

describe("failed connection attempts", () => {
  async function failingMonitor(wsUrl: string) {
    harness = await startHarness({ env: { ...ACCOUNT_ONLY, HYPERLIQUID_WS_URL: wsUrl } });
    const { logger, lines } = capturingLogger();
    const running = await harness.startMonitor({ monitorOptions: { logger } });
    return { ...running, lines };
  }

  function failures(lines: Record<string, unknown>[]) {
    return lines.filter((line) => line.msg === "connection attempt failed");
  }

  it("a loopback port nobody listens on: ECONNREFUSED, with the endpoint, sampled; every attempt counts as a reconnect", async () => {
    const port = await closedLoopbackPort();
    const { lines, metrics } = await failingMonitor(`ws://user:secret@127.0.0.1:${port}/ws?token=abc`);
    await eventually("several failed attempts", () => metrics.total("Reconnects") >= 8, 10_000);
    const logged = failures(lines);
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(logged[0]).toMatchObject({ endpoint: `127.0.0.1:${port}/ws`, error: "ECONNREFUSED", attempts: 1 });
    // Sampled: the first attempt, then one line per minute (or per 100 attempts) with the count.
    expect(logged.length).toBeLessThan(metrics.total("Reconnects"));
    const text = JSON.stringify(lines);
    expect(text).not.toContain("secret");
    expect(text).not.toContain("token=abc");
    expect(
      lines.filter((line) => line.msg === "subscribe not acknowledged; sent again on the next open"),
    ).toEqual([]);
  });

  it("an upgrade refused with HTTP 503: the status is the cause, and the later open ends the episode", async () => {
    harness = await startHarness({ env: ACCOUNT_ONLY });
    const h = harness;
    h.standIn.rejectConnections(3);
    const { logger, lines } = capturingLogger();
    const { monitor, metrics } = await h.startMonitor({ monitorOptions: { logger } });
    await eventually("ready after the refusals", () => monitor.readiness().ready);
    expect(h.standIn.connectionsRejected).toBe(3);
    const [first] = failures(lines);
    expect(first).toMatchObject({
      endpoint: expect.stringMatching(/^127\.0\.0\.1:\d+\/ws$/),
      error: "HTTP 503",
    });
    expect(metrics.total("Reconnects")).toBe(3);
    expect(lines.find((line) => line.msg === "socket open")).toMatchObject({ failedAttempts: 3 });
  });

  it("TLS spoken to a plain HTTP port: the TLS error code", async () => {
    const standIn = new HyperliquidStandIn();
    const { wsUrl } = await standIn.start();
    try {
      const { lines } = await failingMonitor(wsUrl.replace("ws://", "wss://"));
      await eventually("a failed attempt logged", () => failures(lines).length >= 1, 10_000);
      expect(failures(lines)[0]).toMatchObject({ error: expect.stringMatching(/SSL|TLS|EPROTO|ECONNRESET/) });
    } finally {
      await harness?.close();
      harness = null;
      await standIn.stop();
    }
  });

  it("a host name that cannot resolve (.invalid): ENOTFOUND", async () => {
    const { lines } = await failingMonitor("ws://hl-monitor-test.invalid/ws");
    await eventually("a failed attempt logged", () => failures(lines).length >= 1, 10_000);
    // A sandbox without DNS answers EAI_AGAIN instead: still a resolver error, still named.
    expect(failures(lines)[0]).toMatchObject({
      endpoint: "hl-monitor-test.invalid/ws",
      error: expect.stringMatching(/^(ENOTFOUND|EAI_AGAIN)$/),
    });
  });
});

describe("liveness means data", () => {
  it("a socket that answers pings but delivers no data is not ready, and no Heartbeat is emitted", async () => {
    // No periodic state re-push: after the subscribe snapshots nothing but pongs arrives.
    harness = await startHarness({ env: ACCOUNT_ONLY, standIn: { statePushIntervalMs: 0 } });
    const h = harness;
    const lines: Record<string, unknown>[] = [];
    const metrics = new Metrics((line) => lines.push(JSON.parse(line)));
    const { monitor } = await h.startMonitor({ monitorOptions: { metrics, metricsIntervalMs: 100 } });
    await eventually("synced", () => monitor.watcher(ACCOUNT)!.fills.phase === "live");
    const pings = h.standIn.pingsReceived;
    await pause(1_500); // readyMaxFrameAgeMs is 1 s in the harness; pings go every 200 ms
    expect(h.standIn.pingsReceived).toBeGreaterThan(pings + 3);
    expect(h.standIn.connectionCount).toBe(1);
    expect(monitor.readiness().ready).toBe(false);
    const recent = lines.slice(-3);
    expect(recent.length).toBe(3);
    for (const line of recent) expect(line.Heartbeat).toBeUndefined();
    // Data again (a state push): ready, and the heartbeat comes back.
    h.standIn.setClearinghouseState(
      ACCOUNT,
      {
        marginSummary: {
          accountValue: "1.0",
          totalNtlPos: "0.0",
          totalRawUsd: "1.0",
          totalMarginUsed: "0.0",
        },
        crossMarginSummary: {
          accountValue: "1.0",
          totalNtlPos: "0.0",
          totalRawUsd: "1.0",
          totalMarginUsed: "0.0",
        },
        crossMaintenanceMarginUsed: "0.0",
        withdrawable: "1.0",
        assetPositions: [],
        time: T0,
      },
      { push: true },
    );
    await eventually("ready on data", () => monitor.readiness().ready, 2_000);
    const before = lines.length;
    await eventually("a heartbeat", () => lines.slice(before).some((line) => line.Heartbeat === 1), 2_000);
  });

  it("the periodic state re-push keeps a quiet account ready (no flapping)", async () => {
    harness = await startHarness({ env: ACCOUNT_ONLY });
    const h = harness;
    const { monitor } = await h.startMonitor();
    await eventually("ready", () => monitor.readiness().ready);
    for (let i = 0; i < 12; i++) {
      await pause(200);
      expect(monitor.readiness().ready, `sample ${i}`).toBe(true);
    }
  });
});

describe("server error frames", () => {
  it("an error frame whose data is not a string, or whose braces are not JSON, is counted, not a crash", async () => {
    harness = await startHarness({ env: ACCOUNT_ONLY });
    const h = harness;
    const { monitor, metrics } = await h.startMonitor();
    await eventually("ready", () => monitor.readiness().ready);
    h.standIn.sendRaw('{"channel":"error","data":{}}');
    h.standIn.sendRaw(
      '{"channel":"error","data":"Error parsing JSON into valid websocket request: {not json}"}',
    );
    await eventually("both counted", () => metrics.total("FramesUnknown") === 2);
    await pause(300);
    expect(monitor.readiness().ready).toBe(true);
  });
});
