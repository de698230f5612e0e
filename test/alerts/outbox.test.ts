/**
 * The alert outbox on a real store (dynalite): claims, leases and takeovers between tasks, resuming after
 * a restart, and monitor-health alerts that must go out while storage is down.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALERT_SCHEMA, type AlertEvent } from "../../lambda-alerts/src/alertEvent.ts";
import { AlertOutbox } from "../../monitor/src/alerts/alertOutbox.ts";
import type { AlertPublisher } from "../../monitor/src/alerts/publishers.ts";
import { DynamoStore } from "../../monitor/src/storage/dynamodb/dynamoStore.ts";
import { type EmbeddedDynamo, startInMemoryDynamo } from "../../monitor/src/storage/local.ts";
import type { MonitorStore } from "../../monitor/src/storage/store.ts";
import { silentLogger } from "../../monitor/src/telemetry/logger.ts";
import { Metrics } from "../../monitor/src/telemetry/metrics.ts";

const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
let dynamo: EmbeddedDynamo;
let counter = 0;

beforeAll(async () => {
  dynamo = await startInMemoryDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

async function freshStore(): Promise<DynamoStore> {
  const store = new DynamoStore({
    clientConfig: {
      endpoint: dynamo.endpoint,
      region: "local",
      credentials: { accessKeyId: "l", secretAccessKey: "l" },
    },
    tablePrefix: `outbox-${++counter}-`,
    createTables: true,
  });
  await store.init();
  return store;
}

const alert = (key: string): AlertEvent => ({
  schema: ALERT_SCHEMA,
  key,
  kind: "position_closed",
  severity: "success",
  title: "BTC long closed: +1 USDC",
  summary: "",
  account: ACCOUNT,
  coin: "BTC",
  time: 1_789_407_000_000,
  fields: [],
  links: [],
});

class RecordingPublisher implements AlertPublisher {
  readonly name = "recording";
  readonly sent: string[] = [];
  mode: "ok" | "fail" | "hang" = "ok";
  async publish(event: AlertEvent): Promise<void> {
    if (this.mode === "hang") return new Promise(() => {});
    if (this.mode === "fail") throw new Error("SNS unavailable");
    this.sent.push(event.key);
  }
}

function outbox(store: MonitorStore, publisher: AlertPublisher, clock: { now: number }) {
  return new AlertOutbox({
    store,
    publishers: [publisher],
    logger: silentLogger(),
    metrics: new Metrics(() => {}),
    leaseMs: 60_000,
    now: () => clock.now,
  });
}

describe("alert outbox", () => {
  it("a claim whose holder died is taken over after its lease and published once", async () => {
    const store = await freshStore();
    const clock = { now: 1_000_000 };
    const dying = new RecordingPublisher();
    dying.mode = "hang";
    const survivor = new RecordingPublisher();
    const a = outbox(store, dying, clock);
    const b = outbox(store, survivor, clock);
    await a.submit([alert("k1")]);
    await b.submit([alert("k1")]);
    expect(b.watchedCount).toBe(1);
    clock.now += 59_000;
    await b.retryDue();
    expect(survivor.sent).toEqual([]);
    clock.now += 2_000;
    await b.retryDue();
    await b.stop();
    expect(survivor.sent).toEqual(["k1"]);
    expect(await store.getAlert(ACCOUNT, "k1")).toMatchObject({ status: "sent", attempts: 2 });
    // Once sent, nobody sends it again.
    await b.retryDue();
    await outbox(store, survivor, clock).submit([alert("k1")]);
    expect(survivor.sent).toEqual(["k1"]);
    await store.close();
  });

  it("retries a failed publish after its backoff, and a restarted task resumes pending claims", async () => {
    const store = await freshStore();
    const clock = { now: 2_000_000 };
    const publisher = new RecordingPublisher();
    publisher.mode = "fail";
    const first = outbox(store, publisher, clock);
    await first.submit([alert("k2"), alert("k3")]);
    await first.stop();
    expect(await store.listPendingAlerts(ACCOUNT)).toHaveLength(2);

    // A new task (after a restart) picks the pending claims up once their (shortened) lease has passed.
    publisher.mode = "ok";
    const restarted = outbox(store, publisher, clock);
    await restarted.resume([ACCOUNT]);
    await restarted.retryDue();
    expect(publisher.sent).toEqual([]);
    clock.now += 5_001;
    await restarted.retryDue();
    await restarted.stop();
    expect(publisher.sent.toSorted()).toEqual(["k2", "k3"]);
    expect(await store.listPendingAlerts(ACCOUNT)).toEqual([]);
    await store.close();
  });

  it("abandons an alert that could not be published within its attempts, and says so", async () => {
    const store = await freshStore();
    const clock = { now: 3_000_000 };
    const publisher = new RecordingPublisher();
    publisher.mode = "fail";
    const box = new AlertOutbox({
      store,
      publishers: [publisher],
      logger: silentLogger(),
      metrics: new Metrics(() => {}),
      now: () => clock.now,
      maxAttempts: 3,
    });
    await box.submit([alert("k4")]);
    for (let i = 0; i < 10; i++) {
      clock.now += 600_000;
      await box.retryDue();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await box.stop();
    expect(await store.getAlert(ACCOUNT, "k4")).toMatchObject({ status: "abandoned", attempts: 3 });
    await store.close();
  });

  it("sends a monitor-health alert unclaimed when storage does not answer in time", async () => {
    const store = await freshStore();
    const hanging = new Proxy(store, {
      get(target, property, receiver) {
        if (property === "claimAlert") return () => new Promise(() => {});
        return Reflect.get(target, property, receiver);
      },
    }) as MonitorStore;
    const publisher = new RecordingPublisher();
    const box = outbox(hanging, publisher, { now: 4_000_000 });
    const started = Date.now();
    await box.submit([{ ...alert("degraded"), kind: "monitor_degraded", account: null }], {
      claimTimeoutMs: 100,
    });
    await box.stop(1_000);
    expect(publisher.sent).toEqual(["degraded"]);
    expect(Date.now() - started).toBeLessThan(5_000);
    await store.close();
  });
});
