// BroadcastHub behaviour over real Node BroadcastChannels, with an injected
// scheduler and clock (no real timers): linking, routing, bye, silent tabs,
// reopening, hostile channel messages (BCAST1–BCAST6).
import { afterEach, describe, expect, test } from 'vitest';
import { BroadcastHub, type BroadcastChannelLike, type BroadcastTransport, type HubScheduler } from './broadcast-transport';

let clock = 0;
const ticks: (() => void)[] = [];
const scheduler: HubScheduler = { every: (_ms, tick) => { ticks.push(tick); return () => { ticks.splice(ticks.indexOf(tick), 1); }; } };
const hubs: BroadcastHub[] = [];
const raw: BroadcastChannel[] = [];
let room = 0;

afterEach(() => {
  for (const h of hubs.splice(0)) h.close();
  for (const c of raw.splice(0)) c.close();
  ticks.length = 0;
});

function hub(roomId: string, replicaId: string, channel?: BroadcastChannelLike): BroadcastHub {
  const h = new BroadcastHub({ roomId, replicaId, scheduler, now: () => clock, heartbeatMs: 1000, timeoutMs: 5000, ...(channel ? { channel } : {}) });
  hubs.push(h);
  return h;
}
const nextPeer = (h: BroadcastHub) => new Promise<BroadcastTransport>((resolve) => { const off = h.onPeer((t) => { off(); resolve(t); }); });
const nextFrame = (t: BroadcastTransport) => new Promise<Uint8Array>((resolve) => { const off = t.onFrame((f) => { off(); resolve(f); }); });
const closed = (t: BroadcastTransport) => new Promise<string>((resolve) => { t.onClose(resolve); });

async function pair(roomId: string, a = 'tab-a', b = 'tab-b', channelB?: BroadcastChannelLike) {
  const ha = hub(roomId, a);
  const hb = hub(roomId, b, channelB);
  const pa = nextPeer(ha);
  const pb = nextPeer(hb);
  ha.start();
  hb.start();
  return { ha, hb, ta: await pa, tb: await pb };
}

describe('BroadcastHub', () => {
  test('[BCAST1][BCAST2] three tabs link pairwise and frames reach only their addressee', async () => {
    const roomId = `bc-${room++}`;
    const [a, b, c] = [hub(roomId, 'a'), hub(roomId, 'b'), hub(roomId, 'c')];
    const links = new Map<string, BroadcastTransport>();
    const all = new Promise<void>((resolve) => {
      for (const h of [a, b, c]) h.onPeer((t) => { links.set(`${h.replicaId}>${t.peerId}`, t); if (links.size === 6) resolve(); });
    });
    a.start(); b.start(); c.start();
    await all;
    expect(a.peers()).toEqual(['b', 'c']);
    let cGotFromA = 0;
    links.get('c>a')!.onFrame(() => { cGotFromA++; });
    const atB = nextFrame(links.get('b>a')!);
    links.get('a>b')!.send(new Uint8Array([1, 2, 3]));
    expect([...(await atB)]).toEqual([1, 2, 3]);
    const atC = nextFrame(links.get('c>a')!);
    links.get('a>c')!.send(new Uint8Array([9]));
    await atC;
    expect(cGotFromA).toBe(1);
  });

  test('[BCAST3] closing a hub says bye and the other tab closes its link', async () => {
    const { ha, tb } = await pair(`bc-${room++}`);
    const reason = closed(tb);
    ha.close();
    expect(await reason).toBe('peer left');
  });

  test('[BCAST4] a tab that vanishes without bye times out on the heartbeat', async () => {
    const roomId = `bc-${room++}`;
    const channelB = new BroadcastChannel(`huskies-${roomId}`) as unknown as BroadcastChannelLike;
    const { ha, ta } = await pair(roomId, 'tab-a', 'tab-b', channelB);
    const reason = closed(ta);
    channelB.onmessage = null;
    channelB.close(); // the tab is gone: no bye, no more beats
    clock += 4000; ha.tick();
    expect(ta.closed).toBe(false);
    clock += 2000; ha.tick();
    expect(await reason).toBe('peer timed out');
    expect(ha.peers()).toEqual([]);
  });

  test('[BCAST5] a closed link reopens on the next heartbeat, so a dropped tab resyncs', async () => {
    const { ha, hb, ta, tb } = await pair(`bc-${room++}`);
    const reopenedA = nextPeer(ha);
    const reopenedB = nextPeer(hb);
    const seen = closed(tb);
    ta.close('slow peer');
    expect(await seen).toBe('slow peer');
    hb.tick(); // b's beat reaches a, which has no link to b any more: a (smaller id) reopens
    const [na, nb] = [await reopenedA, await reopenedB];
    expect(na.link).not.toBe(ta.link);
    const got = nextFrame(nb);
    na.send(new Uint8Array([7]));
    expect([...(await got)]).toEqual([7]);
  });

  test('[BCAST6] malformed channel messages and frames of old links are ignored', async () => {
    const roomId = `bc-${room++}`;
    const { ta, tb } = await pair(roomId);
    const evil = new BroadcastChannel(`huskies-${roomId}`);
    raw.push(evil);
    let got = 0;
    tb.onFrame(() => { got++; });
    for (const m of [null, 42, 'x', {}, { t: 'frame', from: 'tab-a', to: 'tab-b', link: ta.link, data: 'nope' },
      { t: 'frame', from: 'tab-a', to: 'tab-b', link: ta.link + 100, data: new Uint8Array(1) },
      { t: 'open', from: '', to: 'tab-b', link: 1 }, { t: 'close', from: 'tab-a', to: 'tab-b', link: 'x', reason: 1 },
      { t: 'warp', from: 'tab-a' }]) evil.postMessage(m);
    const barrier = nextFrame(tb);
    ta.send(new Uint8Array([1]));
    await barrier;
    expect(got).toBe(1);
    expect(tb.closed).toBe(false);
  });
});
