/** Fault tests: dead sockets, garbage frames, storage outages, readiness. Real servers on loopback only. */
import { afterEach, describe, expect, it } from "vitest";
import { DynamoFaultProxy } from "../support/dynamoFaultProxy.ts";
import { generatedFills } from "../support/fixtures.ts";
import { ACCOUNT, eventually, type Harness, startHarness } from "../support/harness.ts";

let harness: Harness | null = null;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await harness?.close();
  harness = null;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const T0 = 1_789_407_000_000;

async function ready(port: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}/ready`);
  return response.status === 200;
}

describe("faults", () => {
  it("replaces a socket that goes silent (no pong) within the keep-alive bound", async () => {
    harness = await startHarness();
    const h = harness;
    const { monitor, metrics } = await h.startMonitor(); // keep-alive: ping every 200 ms, pong within 300 ms
    await eventually("live", () => monitor.watcher(ACCOUNT)!.fills.phase === "live");
    // Every socket open (the market data's opens after the account's), so a new connection is a replacement.
    await eventually(
      "every socket open",
      () => {
        const { ready, market } = monitor.readiness();
        return ready && (market?.acknowledged ?? true);
      },
      5_000,
    );
    const accepted = h.standIn.connectionsAccepted;
    h.standIn.setSilent(true);
    const silentAt = Date.now();
    await eventually("a new connection", () => h.standIn.connectionsAccepted > accepted, 5_000);
    const replacedAfter = Date.now() - silentAt;
    h.standIn.setSilent(false);
    await eventually("resubscribed and synced", () => monitor.readiness().ready, 5_000);
    // Bound: ping interval + pong timeout + reconnect backoff (≤ 100 ms) + scheduling slack.
    expect(replacedAfter).toBeLessThan(200 + 300 + 100 + 400);
    expect(metrics.total("Reconnects")).toBeGreaterThanOrEqual(1);
  });

  it("counts and skips 10,000 malformed or unknown frames and keeps working", async () => {
    harness = await startHarness();
    const h = harness;
    const { monitor, metrics } = await h.startMonitor();
    await eventually("live", () => monitor.watcher(ACCOUNT)!.fills.phase === "live");
    const kinds = [
      "not json at all",
      "Websocket connection established.",
      "[]",
      "42",
      '{"data":{}}',
      '{"channel":"noSuchChannel","data":{}}',
      '{"channel":"webData2","data":{}}',
      '{"channel":"userFills","data":{"user":"nope","fills":[]}}',
      '{"channel":"trades","data":{"not":"an array"}}',
      '{"channel":"clearinghouseState","data":{"user":"0x70997970c51812dc3a010c7d01b50e0d17dc79c8"}}',
    ];
    // To the account's connection only (the market-data connection would count each frame again).
    const toAccount = (s: Record<string, unknown>) => s.user === ACCOUNT;
    for (let i = 0; i < 10_000; i++) h.standIn.sendTo(toAccount, kinds[i % kinds.length]!);
    await eventually(
      "all counted",
      () => metrics.total("FramesMalformed") + metrics.total("FramesUnknown") === 10_000,
      20_000,
    );
    expect(metrics.total("FramesUnknown")).toBe(2_000); // the two unknown channels
    expect(metrics.total("FramesMalformed")).toBe(8_000);
    // Still alive and still storing.
    const fill = generatedFills(1, T0);
    h.standIn.pushFills(ACCOUNT, fill);
    await eventually(
      "fill stored after the flood",
      async () => (await h.reader.listFills(ACCOUNT)).length === 1,
    );
  });

  it("loses no fill while storage throttles and fails for a while", async () => {
    harness = await startHarness();
    const h = harness;
    const proxy = new DynamoFaultProxy(h.dynamo.endpoint);
    const proxyEndpoint = await proxy.start();
    cleanups.push(() => proxy.stop());
    const store = h.storeVia(proxyEndpoint, { sdkAttempts: 2 });
    const { monitor } = await h.startMonitor({ store });
    await eventually("live", () => monitor.watcher(ACCOUNT)!.fills.phase === "live");
    const fills = generatedFills(600, T0);
    proxy.fault = "throttle";
    for (let i = 0; i < 300; i += 30) h.standIn.pushFills(ACCOUNT, fills.slice(i, i + 30));
    await eventually("storage failing", () => proxy.faultsServed >= 3);
    proxy.fault = "internal";
    for (let i = 300; i < 600; i += 30) h.standIn.pushFills(ACCOUNT, fills.slice(i, i + 30));
    await new Promise((resolve) => setTimeout(resolve, 500));
    proxy.fault = null;
    await eventually(
      "all stored after recovery",
      async () => (await h.reader.listFills(ACCOUNT)).length === 600,
      20_000,
    );
    expect(proxy.faultsServed).toBeGreaterThan(0);
    await eventually(
      "cursor caught up",
      async () => (await h.reader.getFillCursor(ACCOUNT))?.time === fills.at(-1)!.time,
    );
    expect(monitor.positions.get(ACCOUNT, "BTC")!.size).toBe("0.006");
  });

  it("/ready turns true after subscribing and false when frames stop", async () => {
    harness = await startHarness();
    const h = harness;
    const { monitor } = await h.startMonitor(); // readiness needs a frame younger than 1 s here
    const port = monitor.healthPort!;
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    await eventually("ready", () => ready(port), 5_000);
    const body = (await (await fetch(`http://127.0.0.1:${port}/ready`)).json()) as { connections: unknown[] };
    expect(body.connections[0]).toMatchObject({ open: true, acknowledged: true });
    h.standIn.setSilent(true);
    await eventually("not ready", async () => !(await ready(port)), 5_000);
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(503);
    h.standIn.setSilent(false);
    await eventually("ready again", () => ready(port), 5_000);
  });

  it("starts through a storage outage instead of exiting, and syncs once storage answers", async () => {
    harness = await startHarness();
    const h = harness;
    h.standIn.addFills(ACCOUNT, generatedFills(20, T0));
    const proxy = new DynamoFaultProxy(h.dynamo.endpoint);
    const proxyEndpoint = await proxy.start();
    cleanups.push(() => proxy.stop());
    proxy.failFor("internal", 3_000);
    const store = h.storeVia(proxyEndpoint, { retrying: { readAttempts: 2 } });
    const startedAt = Date.now();
    const running = h.startMonitor({ store });
    const { monitor } = await running;
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2_500);
    await eventually("live after the outage", () => monitor.watcher(ACCOUNT)!.fills.phase === "live", 10_000);
    expect(await h.reader.listFills(ACCOUNT)).toHaveLength(20);
  });
});
