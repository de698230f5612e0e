/**
 * Alerts end to end: the monitor (stand-in Hyperliquid, dynalite) → the SNS stand-in → the real alert
 * Lambda handler → the Discord and Telegram stand-ins. Each alert must arrive exactly once on each
 * channel: across a reconnect snapshot, a restart, two monitors side by side on one store, and a whole
 * recorded session.
 */
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { AlertEvent } from "../../lambda-alerts/src/alertEvent.ts";
import { alertLinks } from "../../monitor/src/alerts/links.ts";
import { positionAlerts } from "../../monitor/src/alerts/positionAlerts.ts";
import { loadConfig } from "../../monitor/src/config/config.ts";
import { orderFills } from "../../monitor/src/domain/fill.ts";
import { PositionBook } from "../../monitor/src/domain/positions.ts";
import type { WireFill, WireOrder } from "../../monitor/src/domain/wire.ts";
import { Monitor } from "../../monitor/src/runtime/monitor.ts";
import { DEMO_ACCOUNT } from "../../monitor/src/standin/buildDemoSession.ts";
import { startReplay } from "../../monitor/src/standin/replay.ts";
import { DynamoStore } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { startInMemoryDynamo } from "../../monitor/src/storage/local.ts";
import { createLogger } from "../../monitor/src/telemetry/logger.ts";
import { Metrics } from "../../monitor/src/telemetry/metrics.ts";
import { type AlertPipeline, startAlertPipeline } from "../support/alertPipeline.ts";
import { DynamoFaultProxy } from "../support/dynamoFaultProxy.ts";
import { currentFills, fixture } from "../support/fixtures.ts";
import { ACCOUNT, eventually, type Harness, startHarness } from "../support/harness.ts";

const SESSION = fileURLToPath(new URL("../../monitor/demo/session.jsonl", import.meta.url));
const T0 = 1_789_407_000_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A BTC long opened and closed by two real-shaped fills. */
function roundTrip(start: number, firstTid: number): WireFill[] {
  const template = currentFills()[0]!;
  const common = { ...template, coin: "BTC", crossed: true, feeToken: "USDC" };
  return [
    {
      ...common,
      time: start,
      tid: firstTid,
      oid: firstTid,
      side: "B",
      px: "78000.0",
      sz: "0.5",
      startPosition: "0.0",
      dir: "Open Long",
      closedPnl: "0.0",
      fee: "0.01",
    },
    {
      ...common,
      time: start + 60_000,
      tid: firstTid + 1,
      oid: firstTid + 1,
      side: "A",
      px: "78100.0",
      sz: "0.5",
      startPosition: "0.5",
      dir: "Close Long",
      closedPnl: "50.0",
      fee: "0.01",
    },
  ];
}

const ENV = { ALERT_MAX_EVENT_AGE_SECONDS: "0" };

function sentKeys(pipeline: AlertPipeline): string[] {
  return pipeline.sns.published.map((message) => (JSON.parse(message.lambda) as AlertEvent).key);
}

async function settle(pipeline: AlertPipeline, count: number): Promise<void> {
  await eventually(`${count} alerts published`, () => pipeline.sns.published.length >= count);
  await pipeline.sns.settled();
  // Long enough for any duplicate to show up if one were coming.
  await new Promise((resolve) => setTimeout(resolve, 400));
  await pipeline.sns.settled();
}

describe("alerts from the monitor", () => {
  it("loses no position alert when the alert claim fails: the batch is applied again, not skipped", async () => {
    const h: Harness = await startHarness({ env: ENV });
    cleanups.push(() => h.close());
    const proxy = new DynamoFaultProxy(h.dynamo.endpoint);
    const endpoint = await proxy.start();
    cleanups.push(() => proxy.stop());
    const pipeline = await startAlertPipeline(h.dynamo.endpoint);
    cleanups.push(() => pipeline.close());
    // Claims are conditional PutItems; fills, positions and the cursor use other operations. The claims'
    // quick retries give up well within the outage, so the first batch fails after the domain saw it.
    const store = h.storeVia(endpoint, { retrying: { maxDelayMs: 100, readAttempts: 2 } });
    const { monitor } = await h.startMonitor({
      store,
      monitorOptions: { alertPublishers: [pipeline.publisher()], alertTickMs: 100, stallRetryMs: 200 },
    });
    await eventually("live", () => monitor.watcher(ACCOUNT)!.fills.phase === "live");
    proxy.failFor("internal", 1_500, { operation: "PutItem" });
    h.standIn.pushFills(ACCOUNT, roundTrip(T0, 9_100_000));
    await eventually("claims refused", () => proxy.faultsServed >= 2);
    // The refusal reaches the fill sync a moment after the proxy has answered.
    await eventually("the batch stalled", () => monitor.watcher(ACCOUNT)!.fills.phase === "stalled", 2_000);
    await settle(pipeline, 2);
    expect(sentKeys(pipeline)).toEqual([
      `position_opened:${ACCOUNT}:BTC#${T0}#t:9100000`,
      `position_closed:${ACCOUNT}:BTC#${T0}#t:9100000`,
    ]);
    const closed = await h.reader.listClosedPositions(ACCOUNT);
    expect(closed.map((position) => position.realizedPnl)).toEqual(["49.98"]);
    expect(monitor.positions.get(ACCOUNT, "BTC")).toMatchObject({ isOpen: false, fillCount: 0 });
  });

  it("sends each position alert once across a reconnect snapshot, a restart and two monitors on one store", async () => {
    const h: Harness = await startHarness({ env: ENV });
    cleanups.push(() => h.close());
    const pipeline = await startAlertPipeline(h.dynamo.endpoint);
    cleanups.push(() => pipeline.close());
    const start = (p = pipeline) =>
      h.startMonitor({
        monitorOptions: { alertPublishers: [p.publisher()], alertTickMs: 100, alertLeaseMs: 2_000 },
      });

    const first = await start();
    await eventually("first sync", () => first.monitor.watcher(ACCOUNT)!.fills.phase === "live");
    h.standIn.pushFills(ACCOUNT, roundTrip(T0, 9_000_000));
    await settle(pipeline, 2);
    expect(sentKeys(pipeline)).toEqual([
      `position_opened:${ACCOUNT}:BTC#${T0}#t:9000000`,
      `position_closed:${ACCOUNT}:BTC#${T0}#t:9000000`,
    ]);

    // The reconnect snapshot delivers both fills again.
    h.standIn.dropConnections();
    await eventually("reconnected", () => first.metrics.total("Reconnects") >= 1);
    await eventually("in sync again", () => first.monitor.watcher(ACCOUNT)!.fills.phase === "live");
    await settle(pipeline, 2);

    // A restart on the same store.
    await first.stop();
    const second = await start();
    await eventually("restarted", () => second.monitor.watcher(ACCOUNT)!.fills.phase === "live");
    h.standIn.pushFills(ACCOUNT, roundTrip(T0 + 3_600_000, 9_000_010));
    await settle(pipeline, 4);

    // Two monitors side by side (a deployment, a Spot replacement) on one store see the same fills.
    const third = await start();
    await eventually("both live", () => third.monitor.watcher(ACCOUNT)!.fills.phase === "live");
    h.standIn.pushFills(ACCOUNT, roundTrip(T0 + 7_200_000, 9_000_020));
    await eventually("both applied the fills", async () => {
      const open = (m: Monitor) => m.positions.get(ACCOUNT, "BTC")?.lastFillTime === T0 + 7_260_000;
      return open(second.monitor) && open(third.monitor);
    });
    await settle(pipeline, 6);

    const keys = sentKeys(pipeline);
    expect(keys).toHaveLength(6);
    expect(new Set(keys).size).toBe(6);
    expect(pipeline.discord.messages).toHaveLength(6);
    expect(pipeline.telegram.messages).toHaveLength(6);
    expect(pipeline.discord.rejected).toEqual([]);
    expect(pipeline.telegram.rejected).toEqual([]);
    expect(pipeline.sns.rejected).toEqual([]);
    expect(pipeline.failedInvocations).toEqual([]);
    expect(pipeline.discord.messages[1]!.embeds[0]!.title).toBe("BTC long closed: +49.98 USDC");
    expect(pipeline.sns.published[1]!.subject).toBe("[hl-monitor] OK: BTC long closed: +49.98 USDC");
    expect(pipeline.sns.published[1]!.email).toContain("Realised PnL (net of fees): +49.98 USDC");
    expect(pipeline.sns.published[1]!.attributes).toEqual({ kind: "position_closed", severity: "success" });
    // Every claim ended up marked sent.
    expect(await h.reader.listPendingAlerts(ACCOUNT)).toEqual([]);
  });

  it("order alerts: a triggered stop and an exchange cancel, once each across a reconnect and a restart", async () => {
    const h: Harness = await startHarness({ env: ENV });
    cleanups.push(() => h.close());
    const pipeline = await startAlertPipeline(h.dynamo.endpoint);
    cleanups.push(() => pipeline.close());
    const start = () =>
      h.startMonitor({
        monitorOptions: { alertPublishers: [pipeline.publisher()], alertTickMs: 100, alertLeaseMs: 2_000 },
      });
    // The real orderUpdates frame's order, as two orders of the account with other statuses.
    const real = fixture<{ data: WireOrder[] }>("ws-orderUpdates-1.json").data[0]!;
    const version = (oid: number, status: string, after: number): WireOrder => ({
      order: { ...real.order, oid, timestamp: T0 },
      status,
      statusTimestamp: T0 + after,
    });
    const first = await start();
    await eventually("live", () => first.monitor.watcher(ACCOUNT)!.fills.phase === "live");
    h.standIn.pushOrderUpdates(ACCOUNT, [version(7001, "open", 0)]);
    h.standIn.pushOrderUpdates(ACCOUNT, [version(7001, "triggered", 60_000)]);
    // What orderStatus answers for it: the frontend shape, with the trigger fields orderUpdates lacks.
    const detailed = version(7001, "triggered", 60_000);
    Object.assign(detailed.order, {
      isTrigger: true,
      triggerPx: "31800.0",
      orderType: "Stop Market",
      triggerCondition: "Price above 31800",
      reduceOnly: true,
    });
    h.standIn.addOrders(ACCOUNT, [detailed]);
    h.standIn.pushOrderUpdates(ACCOUNT, [version(7002, "open", 0), version(7002, "marginCanceled", 90_000)]);
    await settle(pipeline, 2);
    expect(sentKeys(pipeline)).toEqual([
      `order_triggered:${ACCOUNT}:7001`,
      `order_canceled_by_exchange:${ACCOUNT}:7002:marginCanceled`,
    ]);
    expect(pipeline.discord.messages[0]!.embeds[0]!.title).toBe(
      "BTC stop-loss triggered at 31800: buy 0.00037",
    );
    expect(pipeline.telegram.messages[1]!.text).toContain("not enough margin to keep the order open");

    // A reconnect: the triggered order is looked up again (it left the open-orders list): same status.
    h.standIn.dropConnections();
    await eventually("reconnected", () => first.metrics.total("Reconnects") >= 1);
    await eventually("live again", () => first.monitor.watcher(ACCOUNT)!.fills.phase === "live");
    await settle(pipeline, 2);
    // A restart that sees the same updates again.
    await first.stop();
    const second = await start();
    await eventually("restarted", () => second.monitor.watcher(ACCOUNT)!.fills.phase === "live");
    h.standIn.pushOrderUpdates(ACCOUNT, [
      version(7002, "marginCanceled", 90_000),
      version(7001, "triggered", 60_000),
    ]);
    await settle(pipeline, 2);
    expect(sentKeys(pipeline)).toHaveLength(2);
    expect(pipeline.discord.messages).toHaveLength(2);
    expect(pipeline.telegram.messages).toHaveLength(2);
    expect(pipeline.failedInvocations).toEqual([]);
    expect(await h.reader.listPendingAlerts(ACCOUNT)).toEqual([]);
  });

  it("replays the recorded session: exactly the expected alerts, once each, on both channels", async () => {
    const dynamo = await startInMemoryDynamo();
    cleanups.push(() => dynamo.close());
    const pipeline = await startAlertPipeline(dynamo.endpoint);
    cleanups.push(() => pipeline.close());
    const replay = await startReplay(SESSION, { speed: 200, maxGapMs: 20, snapshotSize: 100 });
    cleanups.push(() => replay.stop());

    const env = {
      ACCOUNT_ADDRESS: DEMO_ACCOUNT,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      TABLE_PREFIX: "replay-",
      HEALTH_PORT: "0",
      ALERT_MAX_EVENT_AGE_SECONDS: "0",
      ALERT_EVENTS: "position_opened,position_closed,position_flipped,liquidation,fills_recovered",
    };
    const config = { ...loadConfig(env), wsUrl: replay.wsUrl, apiUrl: replay.apiUrl };
    const clientConfig = {
      endpoint: dynamo.endpoint,
      region: "local",
      credentials: { accessKeyId: "l", secretAccessKey: "l" },
    };
    const store = new DynamoStore({ clientConfig, tablePrefix: "replay-", createTables: true });
    const lines: string[] = [];
    const logger = createLogger({
      level: "info",
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const monitor = new Monitor({
      config,
      store,
      logger,
      metrics: new Metrics(() => {}),
      reconnect: { baseDelayMs: 50, maxDelayMs: 200 },
      alertPublishers: [pipeline.publisher()],
      alertTickMs: 100,
      startHealthServer: false,
    });
    await monitor.start();
    await replay.done;
    await eventually(
      "all 500 fills applied",
      async () => (await store.listFills(DEMO_ACCOUNT)).length === 500,
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await monitor.stop();
    await pipeline.sns.settled();

    // The oracle: the same fills through a fresh state machine; alerts for every event after the import of
    // the account's past (the first sync, whose cursor the monitor logs).
    const firstSync = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === "fills in sync");
    const historyUntil: number = firstSync.cursor;
    const fills = orderFills(await store.listFills(DEMO_ACCOUNT));
    const book = new PositionBook();
    const context = { enabled: config.alerts.enabled, links: alertLinks("mainnet", null) };
    const expected: string[] = [];
    for (const fill of fills) {
      for (const event of book.apply(fill).events) {
        if (fill.time > historyUntil)
          expected.push(...positionAlerts(event, fill, context).map((a) => a.key));
      }
    }
    await store.close();

    const published = pipeline.sns.published.map((message) => JSON.parse(message.lambda) as AlertEvent);
    const positionKeys = published
      .filter((alert) => alert.kind !== "fills_recovered")
      .map((alert) => alert.key);
    expect(expected.length).toBeGreaterThan(20);
    expect(positionKeys.toSorted()).toEqual(expected.toSorted());
    // The reconnect's backfill found fills the socket never delivered.
    const recovered = published.filter((alert) => alert.kind === "fills_recovered");
    expect(recovered).toHaveLength(1);
    expect(published).toHaveLength(expected.length + 1);
    expect(pipeline.discord.messages).toHaveLength(published.length);
    expect(pipeline.telegram.messages).toHaveLength(published.length);
    const titles = (texts: string[]) => texts.toSorted();
    expect(titles(pipeline.discord.messages.map((m) => m.embeds[0]!.title!))).toEqual(
      titles(published.map((a) => a.title)),
    );
    expect(pipeline.discord.rejected).toEqual([]);
    expect(pipeline.telegram.rejected).toEqual([]);
    expect(pipeline.failedInvocations).toEqual([]);
    console.log(
      `replayed session: ${fills.length} fills, history until ${new Date(historyUntil).toISOString()}, ` +
        `${published.length} alerts (${Object.entries(Object.groupBy(published, (a) => a.kind))
          .map(([k, v]) => `${k} ${v?.length}`)
          .join(", ")}), ` +
        `Discord ${pipeline.discord.messages.length}, Telegram ${pipeline.telegram.messages.length}`,
    );
  });
});
