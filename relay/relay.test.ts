// Relay behaviour over real loopback sockets (docs/SPEC.md, RELAY1…RELAY16).
// Each test starts a relay on an ephemeral port and synchronises on frames and
// close events only.
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { startRelay, TestClient, topic, type TestRelay } from './test-client';
import type { RelayOptions } from './relay';

let running: TestRelay[] = [];
const clients: TestClient[] = [];

async function relayWith(options: RelayOptions = {}): Promise<TestRelay> {
  const r = await startRelay(options);
  running.push(r);
  return r;
}
async function connect(r: TestRelay): Promise<TestClient> {
  const c = await TestClient.open(r.url);
  clients.push(c);
  return c;
}
/** The relay still serves: two fresh clients can exchange a publish. */
async function expectStillServing(r: TestRelay): Promise<void> {
  const a = await connect(r);
  const b = await connect(r);
  b.send({ type: 'subscribe', topics: [topic(999)] });
  await b.sync();
  a.send({ type: 'publish', topic: topic(999), data: 'still-alive' });
  expect(await b.next()).toEqual({ type: 'publish', topic: topic(999), data: 'still-alive' });
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await Promise.all(running.map((r) => r.stop()));
  running = [];
});

describe('delivery', () => {
  test('[RELAY5] a publish reaches the other subscribers of its topic, not the sender', async () => {
    const r = await relayWith();
    const [a, b, c, outsider] = await Promise.all([connect(r), connect(r), connect(r), connect(r)]);
    for (const x of [a, b, c]) x.send({ type: 'subscribe', topics: [topic(1)] });
    outsider.send({ type: 'subscribe', topics: [topic(2)] });
    await Promise.all([a, b, c, outsider].map((x) => x.sync()));
    a.send({ type: 'publish', topic: topic(1), data: 'offer:opaque' });
    const frame = { type: 'publish', topic: topic(1), data: 'offer:opaque' };
    expect(await b.next()).toEqual(frame);
    expect(await c.next()).toEqual(frame);
    expect(await a.sync()).toEqual([]); // the relay processed the publish; nothing came back
    expect(await outsider.sync()).toEqual([]);
    expect(r.relay.stats()).toEqual({ connections: 4, topics: 2 });
  });

  test('[RELAY5] a publisher need not be subscribed; a topic without subscribers drops it', async () => {
    const r = await relayWith();
    const [a, b] = await Promise.all([connect(r), connect(r)]);
    b.send({ type: 'subscribe', topics: [topic(1)] });
    await b.sync();
    a.send({ type: 'publish', topic: topic(7), data: 'nobody' });
    a.send({ type: 'publish', topic: topic(1), data: 'hello' });
    expect(await b.next()).toEqual({ type: 'publish', topic: topic(1), data: 'hello' });
    expect(await a.sync()).toEqual([]);
  });

  test('[RELAY7] unsubscribe stops delivery and deletes the empty topic', async () => {
    const r = await relayWith();
    const [a, b] = await Promise.all([connect(r), connect(r)]);
    b.send({ type: 'subscribe', topics: [topic(1), topic(2)] });
    await b.sync();
    expect(r.relay.stats().topics).toBe(2);
    b.send({ type: 'unsubscribe', topics: [topic(1)] });
    await b.sync();
    expect(r.relay.stats().topics).toBe(1);
    a.send({ type: 'publish', topic: topic(1), data: 'gone' });
    a.send({ type: 'publish', topic: topic(2), data: 'kept' });
    expect(await b.next()).toEqual({ type: 'publish', topic: topic(2), data: 'kept' });
  });

  test('[RELAY1] data passes through as an opaque, unaltered string', async () => {
    const r = await relayWith();
    const [a, b] = await Promise.all([connect(r), connect(r)]);
    b.send({ type: 'subscribe', topics: [topic(1)] });
    await b.sync();
    const payloads = ['{"type":"offer","sdp":"v=0"}', 'ünïcødé 😀 \u0000', '', '__proto__'];
    for (const data of payloads) a.send({ type: 'publish', topic: topic(1), data });
    for (const data of payloads) expect(await b.next()).toEqual({ type: 'publish', topic: topic(1), data });
  });

  test('[RELAY10] ping is answered with pong', async () => {
    const r = await relayWith();
    const a = await connect(r);
    a.send({ type: 'ping' });
    expect(await a.next()).toEqual({ type: 'pong' });
  });
});

describe('hostile frames', () => {
  test('[RELAY3] malformed JSON gets an error frame and the connection stays usable', async () => {
    const r = await relayWith();
    const a = await connect(r);
    a.send('{"type":"subscribe", topics: [');
    expect(await a.next()).toEqual({ type: 'error', reason: 'bad-json' });
    a.send({ type: 'subscribe', topics: [topic(3)] });
    expect(await a.sync()).toEqual([]);
    expect(r.relay.stats().topics).toBe(1);
    await expectStillServing(r);
  });

  test('[RELAY2][RELAY3] wrong schemas get error frames with a reason', async () => {
    const r = await relayWith();
    const a = await connect(r);
    const cases: Array<[string, string]> = [
      ['[]', 'not-an-object'],
      ['null', 'not-an-object'],
      ['{"type":"hello"}', 'unknown-type'],
      ['{"type":"subscribe","topics":"abc"}', 'bad-topics'],
      [JSON.stringify({ type: 'subscribe', topics: ['ROOM-ID'] }), 'bad-topic'],
      [JSON.stringify({ type: 'publish', topic: topic(1), data: 42 }), 'bad-data'],
      [JSON.stringify({ type: 'ping', extra: 1 }), 'unknown-field'],
      ['{"__proto__":{"polluted":true},"type":"ping"}', 'forbidden-key'],
    ];
    for (const [text, reason] of cases.slice(0, 7)) {
      a.send(text);
      expect(await a.next()).toEqual({ type: 'error', reason });
    }
    // A second connection for the rest, so the bad-frame budget (RELAY9) is not the subject here.
    const b = await connect(r);
    b.send(cases[7]![0]);
    expect(await b.next()).toEqual({ type: 'error', reason: 'forbidden-key' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await a.sync()).toEqual([]);
    await expectStillServing(r);
  });

  test('[RELAY14] a binary frame gets an error frame', async () => {
    const r = await relayWith();
    const a = await connect(r);
    a.ws.send(Buffer.from('{"type":"ping"}'));
    expect(await a.next()).toEqual({ type: 'error', reason: 'binary-frame' });
  });

  test('[RELAY4] a frame over 64 KiB gets an error frame; the relay keeps serving', async () => {
    const r = await relayWith();
    const a = await connect(r);
    a.send({ type: 'publish', topic: topic(1), data: 'x'.repeat(100 * 1024) });
    expect(await a.next()).toEqual({ type: 'error', reason: 'frame-too-large' });
    expect(await a.sync()).toEqual([]);
    await expectStillServing(r);
  });

  test('[RELAY4] a frame over the hard cap closes the connection with 1009', async () => {
    const r = await relayWith();
    const a = await connect(r);
    a.send({ type: 'publish', topic: topic(1), data: 'x'.repeat(1024 * 1024) });
    expect((await a.closed).code).toBe(1009);
    await expectStillServing(r);
  });

  test('[RELAY6] more than 16 topics is refused whole with an error', async () => {
    const r = await relayWith();
    const a = await connect(r);
    a.send({ type: 'subscribe', topics: Array.from({ length: 10 }, (_, i) => topic(i)) });
    await a.sync();
    a.send({ type: 'subscribe', topics: Array.from({ length: 10 }, (_, i) => topic(100 + i)) });
    expect(await a.next()).toEqual({ type: 'error', reason: 'too-many-topics' });
    expect(r.relay.stats().topics).toBe(10);
    a.send({ type: 'subscribe', topics: Array.from({ length: 17 }, (_, i) => topic(200 + i)) });
    expect(await a.next()).toEqual({ type: 'error', reason: 'too-many-topics' });
    // Re-subscribing held topics costs nothing; six more fit exactly.
    a.send({ type: 'subscribe', topics: [...Array.from({ length: 10 }, (_, i) => topic(i)), topic(300)] });
    a.send({ type: 'subscribe', topics: Array.from({ length: 5 }, (_, i) => topic(400 + i)) });
    expect(await a.sync()).toEqual([]);
    expect(r.relay.stats().topics).toBe(16);
    await expectStillServing(r);
  });

  test('[RELAY8] a flood over the burst is closed with 1008', async () => {
    // A frozen clock never refills the bucket, so exactly the burst (100) is served.
    const r = await relayWith({ now: () => 0 });
    const a = await connect(r);
    for (let i = 0; i < 150; i++) a.send({ type: 'ping' });
    const { code } = await a.closed;
    expect(code).toBe(1008);
    expect(a.inbox.filter((f) => f.type === 'pong')).toHaveLength(100);
    expect(a.inbox.at(-1)).toEqual({ type: 'error', reason: 'rate-limit' });
    await r.whenClosed((s) => s.connections === 0);
    const clock = { t: 0 };
    const r2 = await relayWith({ now: () => clock.t, limits: { rateBurst: 2, rateFramesPerSecond: 1 } });
    const b = await connect(r2);
    b.send({ type: 'ping' });
    b.send({ type: 'ping' });
    expect(await b.next()).toEqual({ type: 'pong' });
    expect(await b.next()).toEqual({ type: 'pong' });
    clock.t = 1000; // one second refills one token
    expect(await b.sync()).toEqual([]);
    b.send({ type: 'ping' });
    expect((await b.closed).code).toBe(1008);
  });

  test('[RELAY8] the flooder is closed while other clients keep being served', async () => {
    const r = await relayWith();
    const flooder = await connect(r);
    for (let i = 0; i < 500; i++) flooder.send({ type: 'publish', topic: topic(1), data: 'spam' });
    expect((await flooder.closed).code).toBe(1008);
    await expectStillServing(r);
  });

  test('[RELAY9] repeated bad frames close the connection with 1008', async () => {
    const r = await relayWith();
    const a = await connect(r);
    for (let i = 0; i < 20; i++) a.send('not json');
    const { code } = await a.closed;
    expect(code).toBe(1008);
    expect(a.inbox.filter((f) => f.type === 'error')).toHaveLength(8);
    await expectStillServing(r);
  });
});

describe('lifecycle', () => {
  test('[RELAY7] closing connections removes them from every topic (stats back to 0)', async () => {
    const r = await relayWith();
    const conns = await Promise.all(Array.from({ length: 5 }, () => connect(r)));
    conns.forEach((c, i) => c.send({ type: 'subscribe', topics: [topic(1), topic(10 + i)] }));
    await Promise.all(conns.map((c) => c.sync()));
    expect(r.relay.stats()).toEqual({ connections: 5, topics: 6 });
    conns[0]!.close();
    conns[1]!.ws.terminate();
    await r.whenClosed((s) => s.connections === 3);
    expect(r.relay.stats()).toEqual({ connections: 3, topics: 4 });
    for (const c of conns.slice(2)) c.close();
    expect(await r.whenClosed((s) => s.connections === 0)).toEqual({ connections: 0, topics: 0 });
    await expectStillServing(r);
  });

  test('[RELAY11] a connection that does not answer heartbeat pings is terminated', async () => {
    const r = await relayWith({ limits: { heartbeatMs: 20 } });
    const live = await connect(r);
    let pings = 0;
    const threePings = new Promise<void>((resolve) => live.ws.on('ping', () => ++pings === 3 && resolve()));
    const mute = await TestClient.open(r.url, { autoPong: false });
    clients.push(mute);
    mute.send({ type: 'subscribe', topics: [topic(5)] });
    await mute.sync();
    expect((await mute.closed).code).toBe(1006); // terminated, no close frame
    await threePings; // the client that pongs survives several rounds
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    await r.whenClosed((s) => s.connections === 1 && s.topics === 0);
  });

  test('[RELAY12] upgrades on other paths are left to other listeners', async () => {
    const r = await relayWith();
    r.server.on('upgrade', (req, socket) => {
      if (req.url === '/other') socket.end('HTTP/1.1 418 I am a teapot\r\nContent-Length: 0\r\n\r\n');
    });
    await expect(TestClient.open(r.url.replace('/relay', '/other'))).rejects.toThrow('HTTP 418');
    await expectStillServing(r);
  });

  test('[RELAY16] upgrades beyond maxConnections get HTTP 503', async () => {
    const r = await relayWith({ limits: { maxConnections: 1 } });
    await connect(r);
    await expect(TestClient.open(r.url)).rejects.toThrow('HTTP 503');
  });

  test('[RELAY13] a receiver that does not drain is closed instead of buffered without bound', async () => {
    const r = await relayWith({ limits: { maxBufferedBytes: 64 * 1024, rateBurst: 1000 } });
    const [sender, slow] = await Promise.all([connect(r), connect(r)]);
    slow.send({ type: 'subscribe', topics: [topic(1)] });
    await slow.sync();
    slow.ws.pause(); // stop reading: the kernel buffers fill, then the relay's send buffer
    const data = 'x'.repeat(60 * 1024);
    for (let i = 0; i < 400; i++) sender.send({ type: 'publish', topic: topic(1), data });
    expect(await sender.sync()).toEqual([]);
    expect(r.relay.stats().topics).toBe(0); // the slow receiver was dropped from its topic
    slow.ws.resume();
    expect((await slow.closed).code).toBe(1013);
  });

  test('[RELAY15] close() closes clients with 1001 and resolves', async () => {
    const r = await relayWith();
    const a = await connect(r);
    a.send({ type: 'subscribe', topics: [topic(1)] });
    await a.sync();
    await r.relay.close();
    expect((await a.closed).code).toBe(1001);
    expect(r.relay.stats()).toEqual({ connections: 0, topics: 0 });
  });
});
