/** The stand-in's WebSocket side against the real samples: acks, snapshots, errors, pings, idle close, faults. */
import { afterEach, describe, expect, it } from "vitest";
import type { WireOrder, WireTrade } from "../../monitor/src/domain/wire.ts";
import { HyperliquidStandIn, type StandInOptions } from "../../monitor/src/standin/server.ts";
import { fixture, generatedFills, hip3State, realState, realTrades } from "../support/fixtures.ts";
import { connectClient, pause, type TestClient } from "./wsClient.ts";

/** The public test address of the real userFills ack sample (ws-subscriptionResponse-2.json). */
const USER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const OTHER = "0x00000000000000000000000000000000000000aa";
const T0 = 1_789_407_000_000;

let standIn: HyperliquidStandIn | null = null;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await standIn?.stop();
  standIn = null;
});

async function start(options: StandInOptions = {}): Promise<{ standIn: HyperliquidStandIn; wsUrl: string }> {
  standIn = new HyperliquidStandIn(options);
  const { wsUrl } = await standIn.start();
  return { standIn, wsUrl };
}

async function client(wsUrl: string): Promise<TestClient> {
  const c = await connectClient(wsUrl);
  clients.push(c);
  return c;
}

const subscribe = (subscription: Record<string, unknown>) => ({ method: "subscribe", subscription });

/** `count` trades cloned from the two real BTC trades, with fresh tids, 100 ms apart. */
function btcTrades(count: number): WireTrade[] {
  const [a, b] = realTrades();
  return Array.from({ length: count }, (_, i) => ({
    ...(i % 2 ? b! : a!),
    tid: 5_000 + i,
    time: T0 + i * 100,
  }));
}

const realOrderUpdate = () => fixture<{ data: WireOrder[] }>("ws-orderUpdates-1.json").data;

describe("subscribe: ack and snapshot", () => {
  it("userFills: the real normalised echo, then the newest fills flagged isSnapshot", async () => {
    const { standIn, wsUrl } = await start({ snapshotSize: 3 });
    const fills = generatedFills(5, T0);
    standIn.addFills(USER, fills);
    const c = await client(wsUrl);
    // Mixed-case address and no aggregateByTime: the server lower-cases it and adds aggregateByTime:false.
    c.send(subscribe({ type: "userFills", user: USER.replace("70997970c", "70997970C") }));
    const [ack, snapshot] = await c.waitForFrames(2);
    expect(ack).toEqual(fixture("ws-subscriptionResponse-2.json"));
    expect(snapshot).toEqual({
      channel: "userFills",
      data: { isSnapshot: true, user: USER, fills: fills.slice(-3).reverse() },
    });
    expect(standIn.subscriptions()).toEqual([[{ type: "userFills", user: USER, aggregateByTime: false }]]);
  });

  it("clearinghouseState: the full state in {dex, user, clearinghouseState}", async () => {
    const { standIn, wsUrl } = await start();
    standIn.setClearinghouseState(USER, realState());
    const c = await client(wsUrl);
    c.send(subscribe({ type: "clearinghouseState", user: USER }));
    const [ack, snapshot] = await c.waitForFrames(2);
    expect(ack).toEqual({
      channel: "subscriptionResponse",
      data: { method: "subscribe", subscription: { type: "clearinghouseState", user: USER } },
    });
    expect(snapshot).toEqual({
      channel: "clearinghouseState",
      data: { dex: "", user: USER, clearinghouseState: fixture("info-clearinghouseState-2.json") },
    });
  });

  it("clearinghouseState with dex: that dex's state, tagged with the dex; without dex the default dex only", async () => {
    const { standIn, wsUrl } = await start();
    standIn.setClearinghouseState(USER, realState());
    standIn.setClearinghouseState(USER, hip3State(), { dex: "xyz" });
    const c = await client(wsUrl);
    c.send(subscribe({ type: "clearinghouseState", user: USER, dex: "xyz" }));
    const [ack, snapshot] = await c.waitForFrames(2);
    expect(ack).toMatchObject({
      data: { subscription: { type: "clearinghouseState", user: USER, dex: "xyz" } },
    });
    expect(snapshot).toEqual({
      channel: "clearinghouseState",
      data: { dex: "xyz", user: USER, clearinghouseState: hip3State() },
    });
    c.send(subscribe({ type: "clearinghouseState", user: USER }));
    const [, , , defaultSnapshot] = await c.waitForFrames(4);
    expect(defaultSnapshot).toMatchObject({ data: { dex: "", clearinghouseState: realState() } });
    // A push for one dex reaches only that dex's subscription.
    standIn.setClearinghouseState(USER, hip3State(), { dex: "xyz", push: true });
    const pushed = (await c.waitForFrames(5))[4];
    expect(pushed).toMatchObject({ data: { dex: "xyz" } });
    await pause(50);
    expect(c.frames).toHaveLength(5);
  });

  it("trades: the last 30 trades replayed unflagged with their original tids, on every subscribe", async () => {
    const { standIn, wsUrl } = await start();
    const trades = btcTrades(40);
    standIn.addTrades("BTC", trades);
    const c = await client(wsUrl);
    c.send(subscribe({ type: "trades", coin: "BTC" }));
    const [, replay] = await c.waitForFrames(2);
    expect(replay).toEqual({ channel: "trades", data: trades.slice(-30) });
    c.send({ method: "unsubscribe", subscription: { type: "trades", coin: "BTC" } });
    c.send(subscribe({ type: "trades", coin: "BTC" }));
    const frames = await c.waitForFrames(5);
    expect(frames[2]).toEqual({
      channel: "subscriptionResponse",
      data: { method: "unsubscribe", subscription: { type: "trades", coin: "BTC" } },
    });
    expect(frames[4]).toEqual(replay);
    // Same item shape as the real frame.
    const real = fixture<{ data: Record<string, unknown>[] }>("ws-trades-1.json").data[0]!;
    expect(Object.keys((replay!.data as object[])[0]!).sort()).toEqual(Object.keys(real).sort());
  });

  it("orderUpdates: no snapshot; pushes go only to the connection subscribed for that user", async () => {
    const { standIn, wsUrl } = await start();
    const mine = await client(wsUrl);
    const other = await client(wsUrl);
    mine.send(subscribe({ type: "orderUpdates", user: USER }));
    other.send(subscribe({ type: "orderUpdates", user: OTHER }));
    await mine.waitForFrames(1);
    await other.waitForFrames(1);
    await pause(50);
    expect(mine.frames).toHaveLength(1); // the ack, nothing else
    expect(standIn.pushOrderUpdates(USER, realOrderUpdate())).toBe(1);
    const [, update] = await mine.waitForFrames(2);
    expect(update).toEqual(fixture("ws-orderUpdates-1.json")); // the frame names no user
    await pause(50);
    expect(other.frames).toHaveLength(1);
  });
});

describe("errors, ping and unsubscribe", () => {
  it("answers an unknown subscription type with the real error frame", async () => {
    const { wsUrl } = await start();
    const c = await client(wsUrl);
    // The exact request behind ws-error-1.json: the server echoes the raw text.
    c.send('{"method": "subscribe", "subscription": {"type": "noSuchType", "coin": "BTC"}}');
    const [error] = await c.waitForFrames(1);
    expect(error).toEqual(fixture("ws-error-1.json"));
  });

  it("rejects malformed requests, duplicate subscribes and unknown unsubscribes", async () => {
    const { wsUrl } = await start();
    const c = await client(wsUrl);
    c.send("not json");
    c.send(subscribe({ type: "userFills" })); // no user
    c.send(subscribe({ type: "trades", coin: "ETH" }));
    c.send(subscribe({ coin: "ETH", type: "trades" }));
    c.send({ method: "unsubscribe", subscription: { type: "trades", coin: "SOL" } });
    const frames = await c.waitForFrames(5);
    expect(frames[0]).toEqual({
      channel: "error",
      data: "Error parsing JSON into valid websocket request: not json",
    });
    expect(frames[1]).toMatchObject({ channel: "error" });
    expect(String(frames[1]!.data)).toMatch(/^Error parsing JSON into valid websocket request: /);
    expect(frames[2]).toMatchObject({ channel: "subscriptionResponse" });
    expect(frames[3]).toEqual({
      channel: "error",
      data: 'Already subscribed: {"coin":"ETH","type":"trades"}',
    });
    expect(frames[4]).toEqual({
      channel: "error",
      data: 'Already unsubscribed: {"type":"trades","coin":"SOL"}',
    });
  });

  it("answers ping with the real pong and counts pings", async () => {
    const { standIn, wsUrl } = await start();
    const c = await client(wsUrl);
    c.send({ method: "ping" });
    c.send({ method: "ping" });
    const frames = await c.waitForFrames(2);
    expect(frames).toEqual([fixture("ws-pong-1.json"), fixture("ws-pong-1.json")]);
    expect(c.frames[0]).toBe('{"channel":"pong"}');
    expect(standIn.pingsReceived).toBe(2);
  });

  it("refuses an 11th distinct user per IP with the real error text", async () => {
    const { wsUrl } = await start({ maxUsersPerIp: 2 });
    const a = await client(wsUrl);
    const b = await client(wsUrl);
    a.send(subscribe({ type: "userFills", user: USER }));
    b.send(subscribe({ type: "orderUpdates", user: OTHER }));
    b.send(subscribe({ type: "orderUpdates", user: USER })); // a known user: fine
    b.send(subscribe({ type: "userFills", user: `0x${"b".repeat(40)}` }));
    const frames = await b.waitForFrames(3);
    expect(frames.map((f) => f.channel)).toEqual(["subscriptionResponse", "subscriptionResponse", "error"]);
    expect(frames[2]!.data).toBe("Cannot track more than 2 total users.");
  });

  it("refuses an 11th connection from one IP with HTTP 429 until one closes", async () => {
    const { standIn, wsUrl } = await start();
    const open: TestClient[] = [];
    for (let i = 0; i < 10; i++) open.push(await client(wsUrl));
    await expect(connectClient(wsUrl)).rejects.toThrow("cannot connect");
    expect(standIn.connectionsRefusedByLimit).toBe(1);
    expect(standIn.connectionCount).toBe(10);
    open[0]!.close();
    expect(await open[0]!.waitForClose()).toBe(true);
    for (let i = 0; i < 100 && standIn.connectionCount > 9; i++) await pause(10);
    await client(wsUrl); // a slot is free again
    expect(standIn.connectionsAccepted).toBe(11);
  });

  it("refuses the 31st new connection from one IP within the window, and accepts again after it", async () => {
    const { standIn, wsUrl } = await start({ newConnectionWindowMs: 1_000 });
    const windowStart = Date.now();
    for (let i = 0; i < 30; i++) {
      const c = await client(wsUrl);
      c.close();
      expect(await c.waitForClose()).toBe(true);
    }
    await expect(connectClient(wsUrl)).rejects.toThrow("cannot connect");
    expect(Date.now() - windowStart).toBeLessThan(1_000); // the refusal fell inside the window
    expect(standIn.connectionsRefusedByLimit).toBe(1);
    await pause(1_050 - (Date.now() - windowStart));
    await client(wsUrl);
    expect(standIn.connectionsAccepted).toBe(31);
  });

  it("counts a connection without user subscriptions (market data) as a connection, not a user", async () => {
    const { standIn, wsUrl } = await start({ maxUsersPerIp: 1 });
    const account = await client(wsUrl);
    const market = await client(wsUrl);
    account.send(subscribe({ type: "userFills", user: USER }));
    market.send(subscribe({ type: "trades", coin: "BTC" }));
    expect((await account.waitForFrames(1))[0]!.channel).toBe("subscriptionResponse");
    expect((await market.waitForFrames(1))[0]!.channel).toBe("subscriptionResponse");
    expect(standIn.connectionCount).toBe(2);
  });

  it("answers a post info request like /info", async () => {
    const { standIn, wsUrl } = await start();
    standIn.setClearinghouseState(USER, realState());
    const c = await client(wsUrl);
    c.send({
      method: "post",
      id: 7,
      request: { type: "info", payload: { type: "clearinghouseState", user: USER } },
    });
    const [reply] = await c.waitForFrames(1);
    expect(reply).toEqual({
      channel: "post",
      data: { id: 7, response: { type: "info", payload: { type: "clearinghouseState", data: realState() } } },
    });
  });
});

describe("live pushes", () => {
  it("pushFills sends a frame without isSnapshot to that user's subscribers; addFills sends nothing", async () => {
    const { standIn, wsUrl } = await start();
    const mine = await client(wsUrl);
    const other = await client(wsUrl);
    mine.send(subscribe({ type: "userFills", user: USER }));
    other.send(subscribe({ type: "userFills", user: OTHER }));
    await mine.waitForFrames(2);
    await other.waitForFrames(2);
    const [first, second, third] = generatedFills(3, T0);
    standIn.addFills(USER, [first!]);
    expect(standIn.pushFills(USER, [second!, third!])).toBe(1);
    const frames = await mine.waitForFrames(3);
    expect(frames[2]).toEqual({ channel: "userFills", data: { user: USER, fills: [second, third] } });
    expect(Object.keys(frames[2]!.data as object)).toEqual(["user", "fills"]);
    await pause(50);
    expect(mine.frames).toHaveLength(3);
    expect(other.frames).toHaveLength(2);
    expect(standIn.fillsOf(USER)).toEqual([first, second, third]);
  });

  it("pushTrades and setClearinghouseState({push}) reach their subscribers; sendRaw reaches everyone", async () => {
    const { standIn, wsUrl } = await start();
    const c = await client(wsUrl);
    c.send(subscribe({ type: "trades", coin: "BTC" }));
    c.send(subscribe({ type: "clearinghouseState", user: USER }));
    await c.waitForFrames(2); // two acks: no trades and no state yet, so no snapshots
    const trades = btcTrades(2);
    standIn.pushTrades("BTC", trades);
    standIn.pushTrades("ETH", [{ ...trades[0]!, coin: "ETH" }]); // nobody subscribed
    standIn.setClearinghouseState(USER, realState(), { push: true });
    standIn.sendRaw("Websocket connection established.");
    const frames = await c.waitForFrames(5);
    expect(frames[2]).toEqual({ channel: "trades", data: trades });
    expect(frames[3]).toMatchObject({ channel: "clearinghouseState", data: { user: USER } });
    expect(c.frames[4]).toBe("Websocket connection established.");
  });
});

describe("connection faults", () => {
  it("closes a connection it has sent nothing to for idleTimeoutMs; server→client traffic keeps one open", async () => {
    const { wsUrl } = await start({ idleTimeoutMs: 150 });
    const quiet = await client(wsUrl);
    const pinging = await client(wsUrl);
    const started = Date.now();
    for (let i = 0; i < 10 && !quiet.isClosed(); i++) {
      pinging.send({ method: "ping" }); // each pong is server→client traffic
      await pause(50);
    }
    expect(await quiet.waitForClose(1_000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    for (let i = 0; i < 6; i++) {
      pinging.send({ method: "ping" });
      await pause(50);
    }
    expect(pinging.isClosed()).toBe(false);
  });

  it("setSilent: no pongs or pushes, yet the socket stays open past the idle timeout", async () => {
    const { standIn, wsUrl } = await start({ idleTimeoutMs: 100 });
    const c = await client(wsUrl);
    c.send(subscribe({ type: "userFills", user: USER }));
    await c.waitForFrames(2);
    standIn.setSilent(true);
    c.send({ method: "ping" });
    standIn.pushFills(USER, generatedFills(1, T0));
    await pause(300);
    expect(c.frames).toHaveLength(2);
    expect(c.isClosed()).toBe(false);
    expect(standIn.pingsReceived).toBe(1);
    standIn.setSilent(false);
    c.send({ method: "ping" });
    const frames = await c.waitForFrames(3);
    expect(frames[2]).toEqual({ channel: "pong" });
  });

  it("faultSubscribes: delays an ack, swallows a subscribe, refuses one, for the next K of a type", async () => {
    const { standIn, wsUrl } = await start();
    const c = await client(wsUrl);
    const userFills = { type: "userFills", user: USER, aggregateByTime: false };
    standIn.faultSubscribes("userFills", { kind: "refuse", text: "Cannot track more than 10 total users." });
    c.send(subscribe(userFills));
    expect((await c.waitForFrames(1))[0]).toEqual({
      channel: "error",
      data: "Cannot track more than 10 total users.",
    });
    expect(standIn.hasSubscriber((s) => s.type === "userFills")).toBe(false);
    standIn.faultSubscribes("userFills", { kind: "never" }, 2);
    c.send(subscribe(userFills));
    c.send(subscribe(userFills));
    await pause(150);
    expect(c.frames).toHaveLength(1); // two lost requests: no answer at all
    standIn.faultSubscribes("userFills", { kind: "delay", ms: 300 });
    const sentAt = Date.now();
    c.send(subscribe(userFills));
    await pause(50);
    c.send(subscribe(userFills)); // held already: the real duplicate error, at once
    const [, duplicate] = await c.waitForFrames(2);
    expect(duplicate).toEqual({
      channel: "error",
      data: `Already subscribed: ${JSON.stringify(userFills)}`,
    });
    standIn.pushFills(USER, generatedFills(1, T0)); // held subscriptions get data before their ack
    const frames = await c.waitForFrames(5);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(290);
    expect(frames.slice(2).map((f) => f.channel)).toEqual(["userFills", "subscriptionResponse", "userFills"]);
    expect(frames[4]).toMatchObject({ data: { isSnapshot: true } });
    // The rule was for the next subscribe only: the next one is acked at once.
    c.send(subscribe({ type: "orderUpdates", user: USER }));
    c.send(subscribe({ type: "userFills", user: OTHER }));
    const acks = await c.waitForFrames(8);
    expect(acks.slice(5).map((f) => f.channel)).toEqual([
      "subscriptionResponse",
      "subscriptionResponse",
      "userFills",
    ]);
  });

  it("re-pushes every clearinghouseState subscription's state periodically, flat for an unknown user", async () => {
    const { standIn, wsUrl } = await start({ statePushIntervalMs: 100 });
    standIn.setClearinghouseState(USER, realState());
    const c = await client(wsUrl);
    c.send(subscribe({ type: "clearinghouseState", user: USER }));
    c.send(subscribe({ type: "clearinghouseState", user: OTHER }));
    c.send(subscribe({ type: "trades", coin: "BTC" }));
    const frames = await c.waitForFrames(9, 2_000);
    const states = frames.filter((f) => f.channel === "clearinghouseState") as {
      data: { user: string; clearinghouseState: { assetPositions: unknown[]; marginSummary: unknown } };
    }[];
    expect(states.filter((f) => f.data.user === USER).length).toBeGreaterThanOrEqual(3);
    expect(states.filter((f) => f.data.user === OTHER).length).toBeGreaterThanOrEqual(2);
    for (const f of states.filter((f) => f.data.user === USER))
      expect(f.data.clearinghouseState).toEqual(realState());
    const flat = states.find((f) => f.data.user === OTHER)!;
    expect(flat.data.clearinghouseState.assetPositions).toEqual([]);
  });

  it("dropConnections terminates sockets at once; rejectConnections refuses the next upgrades", async () => {
    const { standIn, wsUrl } = await start();
    const c = await client(wsUrl);
    let code = 0;
    c.socket.addEventListener("close", (event) => {
      code = event.code;
    });
    expect(standIn.connectionCount).toBe(1);
    expect(standIn.dropConnections()).toBe(1);
    expect(standIn.connectionCount).toBe(0);
    expect(await c.waitForClose()).toBe(true);
    expect(code).toBe(1006); // abnormal: no close frame, like a network drop
    standIn.rejectConnections(2);
    await expect(connectClient(wsUrl)).rejects.toThrow("cannot connect");
    await expect(connectClient(wsUrl)).rejects.toThrow("cannot connect");
    await client(wsUrl);
    expect(standIn.connectionsRejected).toBe(2);
    expect(standIn.connectionsAccepted).toBe(2);
  });
});
