// The platform's Schedule adapter: a cancellable timer over setTimeout.
// setTimeout keeps its delay in a signed 32-bit integer, so a delay past
// 2^31 − 1 ms (24.8 days) fires at once. The replica arms its archive timer
// at the next done story's archive time (REPL11), which with a long
// `archiveAfterMs` is years away: fired at once, the rule check re-armed the
// same timer, and the worker spent its time scanning the board in a loop. Long
// delays are therefore chained in steps the platform can hold.
import type { Schedule } from './persister.js';

/** The longest delay setTimeout holds (HTML: a signed 32-bit integer of ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

type SetTimer = (fn: () => void, ms: number) => unknown;
type ClearTimer = (handle: never) => void;

/** A Schedule over setTimeout/clearTimeout that fires no earlier than asked, however long the delay. */
export function timerSchedule(set: SetTimer = setTimeout, clear: ClearTimer = clearTimeout as ClearTimer): Schedule {
  return (fn, ms) => {
    let handle: unknown;
    let cancelled = false;
    const arm = (left: number) => {
      const step = Math.min(Math.max(0, left), MAX_TIMER_MS);
      handle = set(() => { if (cancelled) return; if (left > step) arm(left - step); else fn(); }, step);
    };
    arm(ms);
    return () => { cancelled = true; clear(handle as never); };
  };
}

/** Resolves in a later task: long work done a part per task lets messages (a keypress's command) in between. */
export function nextTask(): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, 0));
}
