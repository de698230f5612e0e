/**
 * Order alerts from `orderUpdates`: the statuses of the docs' order-status table (info endpoint, "Query
 * order status by oid or cloid"), the trigger details `orderStatus` adds, and claiming each update once
 * through the outbox on a real store (dynalite), however often it is seen.
 *
 * Payloads: `ws-orderUpdates-1.json` is a real frame (status `open`); no public capture of a `triggered`
 * or exchange-canceled frame was found, so those cases are that same frame with only `status`,
 * `statusTimestamp` and `sz` changed (a `WsOrder` has the same fields whatever its status: docs
 * websocket/subscriptions, WsBasicOrder). `info-orderStatus-1.json` is a real `orderStatus` answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlertEvent, AlertKind } from "../../lambda-alerts/src/alertEvent.ts";
import { alertEventSchema } from "../../lambda-alerts/src/alertEvent.ts";
import { AlertCenter } from "../../monitor/src/alerts/alertCenter.ts";
import { alertLinks } from "../../monitor/src/alerts/links.ts";
import { orderAlerts } from "../../monitor/src/alerts/orderAlerts.ts";
import type { AlertPublisher } from "../../monitor/src/alerts/publishers.ts";
import {
  DEFAULT_ALERT_EVENTS,
  loadAlertConfig,
  MONITOR_ALERT_KINDS,
} from "../../monitor/src/config/alertConfig.ts";
import {
  EXCHANGE_CANCEL_REASONS,
  orderEnding,
  REJECTION_REASONS,
} from "../../monitor/src/domain/orderStatuses.ts";
import { orderFromWire } from "../../monitor/src/domain/orders.ts";
import type { WireOrder } from "../../monitor/src/domain/wire.ts";
import { triggerDetailsOf } from "../../monitor/src/hyperliquid/info/orderStatus.ts";
import { DynamoStore } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { type EmbeddedDynamo, startInMemoryDynamo } from "../../monitor/src/storage/local.ts";
import { silentLogger } from "../../monitor/src/telemetry/logger.ts";
import { Metrics } from "../../monitor/src/telemetry/metrics.ts";
import { fixture } from "../support/fixtures.ts";

const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const links = alertLinks("mainnet", null);
const all = new Set<AlertKind>(MONITOR_ALERT_KINDS);

/** The real frame's order (BTC buy 0.00037 at 31795, oid 57118842019). */
const realOrder = (): WireOrder => fixture<{ data: WireOrder[] }>("ws-orderUpdates-1.json").data[0]!;

/** The real order with another status, `after` ms after it was placed. */
function withStatus(status: string, after: number, sz?: string): WireOrder {
  const wire = structuredClone(realOrder());
  wire.status = status;
  wire.statusTimestamp = wire.order.timestamp + after;
  if (sz !== undefined) wire.order.sz = sz;
  return wire;
}

const order = (wire: WireOrder) => orderFromWire(ACCOUNT, wire);

describe("order statuses", () => {
  it("names a reason for every exchange cancel and rejection of the docs' table", () => {
    // DOCS info-endpoint "Query order status by oid or cloid": the status table.
    const docs = [
      "marginCanceled",
      "vaultWithdrawalCanceled",
      "openInterestCapCanceled",
      "selfTradeCanceled",
      "reduceOnlyCanceled",
      "siblingFilledCanceled",
      "delistedCanceled",
      "liquidatedCanceled",
      "scheduledCancel",
    ];
    for (const status of docs) expect(orderEnding(status).kind, status).toBe("canceled_by_exchange");
    for (const status of Object.keys(REJECTION_REASONS)) expect(orderEnding(status).kind).toBe("rejected");
    expect(orderEnding("canceled").kind).toBe("other");
    expect(orderEnding("open").kind).toBe("other");
    expect(orderEnding("filled").kind).toBe("other");
    // iocCancelRejected contains "Cancel" but is a rejection.
    expect(orderEnding("iocCancelRejected").kind).toBe("rejected");
    expect(orderEnding("somethingNewCanceled")).toEqual({
      kind: "canceled_by_exchange",
      reason: 'canceled by the exchange (status "somethingNewCanceled")',
    });
    for (const reason of Object.values(EXCHANGE_CANCEL_REASONS)) expect(reason.length).toBeGreaterThan(10);
  });
});

describe("order alert rules", () => {
  it("raises nothing for the real open frame nor for the trader's own cancel", () => {
    expect(orderAlerts(order(realOrder()), { enabled: all, links })).toEqual([]);
    expect(orderAlerts(order(withStatus("canceled", 5_000)), { enabled: all, links })).toEqual([]);
  });

  it("turns a triggered stop into order_triggered with the trigger price from orderStatus", () => {
    const triggered = order(withStatus("triggered", 60_000));
    const [alert] = orderAlerts(triggered, {
      enabled: all,
      links,
      details: {
        triggerPx: "31800.0",
        orderType: "Stop Market",
        triggerCondition: "Price above 31800",
        isPositionTpsl: false,
        reduceOnly: true,
      },
    });
    expect(alertEventSchema.safeParse(alert).success).toBe(true);
    expect(alert).toMatchObject({
      kind: "order_triggered",
      key: `order_triggered:${ACCOUNT}:57118842019`,
      severity: "warning",
      title: "BTC stop-loss triggered at 31800: buy 0.00037",
      coin: "BTC",
      time: triggered.statusTimestamp,
    });
    expect(alert!.fields).toContainEqual({ label: "Trigger price", value: "31800" });
    expect(alert!.fields).toContainEqual({ label: "Order type", value: "Stop Market" });
  });

  it("still alerts a trigger without its details, saying the price was not reported", () => {
    const [alert] = orderAlerts(order(withStatus("triggered", 60_000)), { enabled: all, links });
    expect(alert!.title).toBe("BTC trigger order triggered: buy 0.00037");
    expect(alert!.fields).toContainEqual({ label: "Trigger price", value: "not reported" });
  });

  it("says 'whole position' for a position TP/SL, whose size reads 0", () => {
    const [alert] = orderAlerts(order(withStatus("triggered", 1, "0.0")), {
      enabled: all,
      links,
      details: {
        triggerPx: "40000",
        orderType: "Take Profit Market",
        triggerCondition: null,
        isPositionTpsl: true,
        reduceOnly: true,
      },
    });
    // origSz stays 0.00037 in the real frame; a position TP/SL carries 0 in both.
    expect(alert!.title).toBe("BTC take-profit triggered at 40000: buy 0.00037");
    const tpsl = withStatus("triggered", 1, "0.0");
    tpsl.order.origSz = "0.0";
    const [whole] = orderAlerts(order(tpsl), { enabled: all, links });
    expect(whole!.title).toBe("BTC trigger order triggered: buy whole position");
  });

  it("turns each exchange cancel into order_canceled_by_exchange with the reason in words", () => {
    for (const [status, reason] of Object.entries(EXCHANGE_CANCEL_REASONS)) {
      const [alert] = orderAlerts(order(withStatus(status, 90_000)), { enabled: all, links });
      expect(alert, status).toMatchObject({
        kind: "order_canceled_by_exchange",
        key: `order_canceled_by_exchange:${ACCOUNT}:57118842019:${status}`,
      });
      expect(alert!.fields[0]).toEqual({ label: "Reason", value: reason });
      expect(alertEventSchema.safeParse(alert).success).toBe(true);
    }
    const [margin] = orderAlerts(order(withStatus("marginCanceled", 90_000)), { enabled: all, links });
    expect(margin!.title).toBe(
      "BTC buy order canceled by the exchange: not enough margin to keep the order open",
    );
    expect(margin!.severity).toBe("warning");
    const [sibling] = orderAlerts(order(withStatus("siblingFilledCanceled", 1)), { enabled: all, links });
    expect(sibling!.severity).toBe("info");
  });

  it("alerts a rejection only when it came after placement (a trigger that could not execute)", () => {
    // DOCS: "rejected — Rejected at time of placement": statusTimestamp equals the order's timestamp.
    expect(orderAlerts(order(withStatus("badAloPxRejected", 0)), { enabled: all, links })).toEqual([]);
    const [late] = orderAlerts(order(withStatus("perpMarginRejected", 30_000)), { enabled: all, links });
    expect(late!.title).toBe("BTC buy order rejected: not enough margin");
  });

  it("order_filled is off by default and on when listed", () => {
    const filled = order(withStatus("filled", 2_000, "0.0"));
    const defaults = new Set(DEFAULT_ALERT_EVENTS);
    expect(defaults.has("order_triggered")).toBe(true);
    expect(defaults.has("order_canceled_by_exchange")).toBe(true);
    expect(orderAlerts(filled, { enabled: defaults, links })).toEqual([]);
    const config = loadAlertConfig({ ALERT_EVENTS: "default,order_filled" });
    const [alert] = orderAlerts(filled, { enabled: config.enabled, links });
    expect(alert!.title).toBe("BTC buy order filled: 0.00037 (limit 31795)");
  });

  it("reads the trigger details of a real orderStatus answer (a market order: no trigger price)", () => {
    const answer = fixture<{ order: { order: Parameters<typeof triggerDetailsOf>[0] } }>(
      "info-orderStatus-1.json",
    );
    expect(triggerDetailsOf(answer.order.order)).toEqual({
      triggerPx: null,
      orderType: "Market",
      triggerCondition: null,
      isPositionTpsl: false,
      reduceOnly: true,
    });
  });
});

describe("order alerts claimed once", () => {
  let dynamo: EmbeddedDynamo;
  beforeAll(async () => {
    dynamo = await startInMemoryDynamo();
  });
  afterAll(async () => {
    await dynamo.close();
  });

  async function center(store: DynamoStore, publisher: AlertPublisher, lookups: number[]) {
    return new AlertCenter({
      config: loadAlertConfig({}),
      network: "mainnet",
      store,
      publishers: [publisher],
      logger: silentLogger(),
      metrics: new Metrics(() => {}),
      orderDetails: async (_account, oid) => {
        lookups.push(oid);
        return {
          triggerPx: "31800",
          orderType: "Stop Market",
          triggerCondition: null,
          isPositionTpsl: false,
          reduceOnly: true,
        };
      },
      now: () => realOrder().order.timestamp + 120_000,
    });
  }

  it("a replayed frame, a reconnect's lookup and a restarted task do not alert twice", async () => {
    const store = new DynamoStore({
      clientConfig: {
        endpoint: dynamo.endpoint,
        region: "local",
        credentials: { accessKeyId: "l", secretAccessKey: "l" },
      },
      tablePrefix: "orders-",
      createTables: true,
    });
    await store.init();
    const sent: AlertEvent[] = [];
    const publisher: AlertPublisher = { name: "recording", publish: async (event) => void sent.push(event) };
    const lookups: number[] = [];
    const triggered = order(withStatus("triggered", 60_000));
    const canceled = order(withStatus("reduceOnlyCanceled", 61_000));

    const first = await center(store, publisher, lookups);
    first.orderUpdates(ACCOUNT, [{ order: triggered }, { order: realOrderState() }]);
    first.orderUpdates(ACCOUNT, [{ order: triggered }]); // the same frame again
    first.orderUpdates(ACCOUNT, [{ order: canceled, details: null }]);
    await first.stop();

    // A restart: a new task looks the order up again after connecting and sees the same statuses.
    const second = await center(store, publisher, lookups);
    second.orderUpdates(ACCOUNT, [{ order: canceled }, { order: triggered }]);
    await second.stop();

    expect(sent.map((alert) => alert.kind)).toEqual(["order_triggered", "order_canceled_by_exchange"]);
    expect(sent[0]!.title).toBe("BTC stop-loss triggered at 31800: buy 0.00037");
    // One lookup per task that saw the trigger (the second found the claim already taken).
    expect(lookups.length).toBeLessThanOrEqual(2);
    await store.close();
  });

  it("skips updates older than ALERT_MAX_EVENT_AGE_SECONDS", async () => {
    const sent: AlertEvent[] = [];
    const store = new DynamoStore({
      clientConfig: {
        endpoint: dynamo.endpoint,
        region: "local",
        credentials: { accessKeyId: "l", secretAccessKey: "l" },
      },
      tablePrefix: "orders-old-",
      createTables: true,
    });
    await store.init();
    const alerts = new AlertCenter({
      config: loadAlertConfig({ ALERT_MAX_EVENT_AGE_SECONDS: "60" }),
      network: "mainnet",
      store,
      publishers: [{ name: "recording", publish: async (event) => void sent.push(event) }],
      logger: silentLogger(),
      metrics: new Metrics(() => {}),
      now: () => realOrder().order.timestamp + 3_600_000,
    });
    alerts.orderUpdates(ACCOUNT, [{ order: order(withStatus("marginCanceled", 1_000)) }]);
    await alerts.stop();
    expect(sent).toEqual([]);
  });
});

function realOrderState() {
  return order(realOrder());
}
