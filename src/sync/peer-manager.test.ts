// The peer manager's decisions (docs/SPEC.md RTC16, RTC20–RTC23) with a
// fake signalling client and fake connections, on a manual clock. The real
// WebRTC path runs in tests/e2e/webrtc.
import { describe, expect, test } from 'vitest';
import { createPeerManager, type ConnectionRequest } from './peer-manager';
import type { AnnouncedPeer, PeerEvent, SignallingClient, SignallingClock } from './signalling-client';
import { Listeners } from './transport';
import type { PeerConnection } from './webrtc-transport';

class FakeClock implements SignallingClock {
  t = 0;
  timers = new Map<number, { at: number; fn: () => void }>();
  private id = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => (this.timers.set(this.id, { at: this.t + ms, fn }), this.id++);
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  runNext(): number {
    const [id, timer] = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0]!;
    this.timers.delete(id);
    const waited = timer.at - this.t;
    this.t = timer.at;
    timer.fn();
    return waited;
  }
}

class FakeSignalling {
  peerList: AnnouncedPeer[] = [];
  sent: Array<{ to: string; data: unknown }> = [];
  peerEvents = new Listeners<[PeerEvent]>();
  signals = new Listeners<[string, unknown]>();
  join(id: string, name = id): void {
    const peer = { id, name, session: 's' };
    this.peerList.push(peer);
    this.peerEvents.emit({ type: 'joined', peer });
  }
  leave(id: string): void {
    this.peerList = this.peerList.filter((p) => p.id !== id);
    this.peerEvents.emit({ type: 'left', peerId: id });
  }
  client(): SignallingClient {
    return {
      state: { status: 'open', failures: 0, unreachable: false, wrongSecret: false, relayError: null, stopped: false },
      peers: () => this.peerList,
      signal: (to, data) => this.sent.push({ to, data }),
      onSignal: (l) => this.signals.add(l),
      onPeer: (l) => this.peerEvents.add(l),
      onState: () => () => {},
      close: () => {},
    };
  }
}

class FakeConnection implements PeerConnection {
  connected = false;
  closed = false;
  bufferedAmount = 0;
  received: unknown[] = [];
  private connects = new Listeners<[]>();
  private closes = new Listeners<[string]>();
  constructor(readonly request: ConnectionRequest) {
    if (request.initiator) request.sendSignal({ type: 'offer' });
  }
  get peerId() { return this.request.peerId; }
  signal(data: unknown) { this.received.push(data); }
  onConnect(l: () => void) { return this.connects.add(l); }
  onClose(l: (reason: string) => void) { return this.closes.add(l); }
  onFrame() { return () => {}; }
  onDrain() { return () => {}; }
  send() {}
  open() { this.connected = true; this.connects.emit(); }
  close(reason = 'closed') {
    if (this.closed) return;
    this.closed = true;
    this.closes.emit(reason);
  }
}

function setup(replicaId: string) {
  const clock = new FakeClock();
  const signalling = new FakeSignalling();
  const connections: FakeConnection[] = [];
  const handed: string[] = [];
  const manager = createPeerManager({
    signalling: signalling.client(),
    replicaId,
    onTransport: (t) => handed.push(t.peerId),
    createConnection: (request) => {
      const c = new FakeConnection(request);
      connections.push(c);
      return c;
    },
    clock,
    random: () => 0,
  });
  return { clock, signalling, connections, handed, manager };
}

describe('peer manager', () => {
  test('[RTC16] only the smaller replica id offers; the other answers the offer it receives', () => {
    const small = setup('aaa');
    small.signalling.join('bbb', 'Bo');
    expect(small.connections.map((c) => c.request.initiator)).toEqual([true]);
    const { attempt } = small.signalling.sent[0]!.data as { attempt: string };

    const big = setup('bbb');
    big.signalling.join('aaa');
    expect(big.connections).toEqual([]); // waits for the offer
    big.signalling.signals.emit('aaa', { attempt, sdp: { type: 'offer' } });
    expect(big.connections.map((c) => c.request.initiator)).toEqual([false]);
    expect(big.connections[0]!.received).toEqual([{ type: 'offer' }]);
  });

  test('[RTC20] a connected transport is handed over and the panel shows names and states', () => {
    const { signalling, connections, handed, manager } = setup('aaa');
    signalling.join('bbb', 'Bo');
    expect(manager.peers()).toEqual([{ id: 'bbb', name: 'Bo', state: 'connecting', announced: true, failures: 0 }]);
    connections[0]!.open();
    expect(handed).toEqual(['bbb']);
    expect(manager.peers()[0]!.state).toBe('connected');
  });

  test('[RTC21] a failed or closed connection is retried while the peer is announced, with backoff', () => {
    const { clock, signalling, connections, manager } = setup('aaa');
    signalling.join('bbb');
    clock.runNext(); // connect timeout
    expect(connections[0]!.closed).toBe(true);
    expect(manager.peers()[0]).toMatchObject({ state: 'failed', failures: 1 });
    expect(clock.runNext()).toBe(1_000);
    expect(connections.length).toBe(2);
    connections[1]!.close('network'); // fails again before connecting
    expect(clock.runNext()).toBe(2_000);
    connections[2]!.open();
    connections[2]!.close('peer-disconnected'); // a drop after success retries fast
    expect(manager.peers()[0]).toMatchObject({ state: 'closed', failures: 0 });
    expect(clock.runNext()).toBe(1_000);
    expect(connections.length).toBe(4);
  });

  test('[RTC21] signals of an abandoned attempt are ignored by the initiator', () => {
    const { signalling, connections } = setup('aaa');
    signalling.join('bbb');
    const { attempt } = signalling.sent[0]!.data as { attempt: string };
    signalling.signals.emit('bbb', { attempt: 'stale', sdp: { type: 'answer' } });
    signalling.signals.emit('bbb', { attempt, sdp: { type: 'answer' } });
    signalling.signals.emit('bbb', 'junk');
    signalling.signals.emit('bbb', { attempt: 'x'.repeat(500), sdp: {} });
    expect(connections[0]!.received).toEqual([{ type: 'answer' }]);
  });

  test('[RTC22] a peer that leaves is dropped unless connected; a connected one stays until its channel closes', () => {
    const { clock, signalling, connections, manager } = setup('aaa');
    signalling.join('bbb');
    signalling.join('ccc');
    connections[0]!.open();
    signalling.leave('bbb');
    signalling.leave('ccc');
    expect(connections[1]!.closed).toBe(true);
    expect(manager.peers().map((p) => [p.id, p.state, p.announced])).toEqual([['bbb', 'connected', false]]);
    connections[0]!.close('peer-disconnected');
    expect(manager.peers()).toEqual([]);
    expect(clock.timers.size).toBe(0); // no retry for a peer that left
  });

  test('[RTC23] the number of tracked peers is capped against signal floods', () => {
    const { signalling, manager } = setup('zzz');
    for (let i = 0; i < 100; i++) signalling.signals.emit(`p${i}`, { attempt: `a${i}`, sdp: { type: 'offer' } });
    expect(manager.peers().length).toBe(64);
    manager.close();
    expect(manager.peers()).toEqual([]);
  });
});
