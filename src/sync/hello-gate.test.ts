// The hello gate (docs/SPEC.md SYNC17): a new session's hello waits while a
// big catch-up runs, until it is done or for at most HOLD_MAX_MS.
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../tests/support/manual-clock.js';
import { HelloGate, HOLD_MAX_MS, HOLD_MIN_OPS, type CatchUpState } from './hello-gate.js';

/** Whether a promise has settled, after the microtasks queued so far. */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => { done = true; });
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

describe('HelloGate', () => {
  test('[SYNC17] no hold without a big catch-up running: live sessions, or one with little left', () => {
    const gate = new HelloGate(new ManualClock().schedule);
    expect(gate.hold(() => [])).toBeUndefined();
    expect(gate.hold(() => [{ syncing: false, remaining: 50_000 }])).toBeUndefined(); // live (or still connecting)
    expect(gate.hold(() => [{ syncing: true, remaining: HOLD_MIN_OPS - 1 }])).toBeUndefined();
  });

  test('[SYNC17] a hold opens once no session is catching up on many ops', async () => {
    const gate = new HelloGate(new ManualClock().schedule);
    const running: CatchUpState[] = [{ syncing: true, remaining: 20_000 }, { syncing: true, remaining: 5_000 }];
    const hold = gate.hold(() => running)!;
    expect(hold).toBeDefined();
    running[0] = { syncing: false, remaining: 0 };
    gate.changed();
    expect(await settled(hold)).toBe(false); // the second is still catching up
    running[1] = { syncing: true, remaining: 900 }; // nearly done: not worth waiting for
    gate.changed();
    expect(await settled(hold)).toBe(true);
    expect(gate.held).toBe(0);
  });

  test('[SYNC17] a catch-up that stalls holds a hello for HOLD_MAX_MS at most', async () => {
    const clock = new ManualClock();
    const gate = new HelloGate(clock.schedule);
    const hold = gate.hold(() => [{ syncing: true, remaining: 50_000 }])!;
    clock.advance(HOLD_MAX_MS - 1);
    gate.changed();
    expect(await settled(hold)).toBe(false);
    clock.advance(1);
    expect(await settled(hold)).toBe(true);
    expect(gate.held).toBe(0);
  });
});
