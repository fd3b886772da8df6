// A replica's room: sessions with the other tabs of this browser over
// BroadcastChannel (Node has one per process, as a browser has one per origin).
import { expect, test } from 'vitest';
import { MemoryOpStore } from '../storage/memory-op-store.js';
import { ManualClock, seededBytes } from '../../tests/support/manual-clock.js';
import { NobleSigner } from './signer.js';
import { NobleVerifier } from './verifier.js';
import { Replica } from './replica.js';
import { RoomSync, type SessionRow } from './room-sync.js';
import { timerSchedule } from './schedule.js';

async function tab(n: number, clock: ManualClock): Promise<{ replica: Replica; sync: RoomSync }> {
  const store = new MemoryOpStore();
  const replica = await Replica.open({
    roomId: 'room-tabs', store, meta: store, signer: new NobleSigner(new Uint8Array(32).fill(n)), verifier: new NobleVerifier(),
    now: clock.now, randomBytes: seededBytes(n), schedule: clock.schedule, replicaId: `tab${n}`,
  });
  return { replica, sync: new RoomSync({ replica, roomId: 'room-tabs', name: () => `tab ${n}`, schedule: timerSchedule() }) };
}

/** The first session rows in which every session is live. */
function allLive(sync: RoomSync): Promise<SessionRow[]> {
  return new Promise((resolve) => {
    const off = sync.onChange((rows) => {
      if (rows.length > 0 && rows.every((r) => r.state === 'live')) { off(); resolve(rows); }
    });
  });
}

test('[SYNC19] two tabs of one browser sync over BroadcastChannel without caps: neither deflates to the other', async () => {
  const clock = new ManualClock();
  const a = await tab(1, clock);
  await a.replica.initBoard();
  for (let i = 0; i < 30; i++) await a.replica.command({ type: 'create', input: { id: a.replica.newStoryId(), kind: 'story', title: `story ${i} ${'x'.repeat(80)}` } });
  const b = await tab(2, clock);
  const live = Promise.all([allLive(a.sync), allLive(b.sync)]);
  a.sync.start();
  b.sync.start();
  try {
    const [rowsA, rowsB] = await live;
    for (const row of [...rowsA, ...rowsB]) expect(row).toMatchObject({ via: 'tab', deflate: false });
    await b.replica.flushed();
    expect(b.replica.doc.stateHash()).toBe(a.replica.doc.stateHash());
  } finally {
    a.sync.close();
    b.sync.close();
  }
});
