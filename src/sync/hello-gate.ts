// Holding a new session's hello while a big catch-up runs (docs/SPEC.md
// SYNC17). Every peer of a room streams its catch-up to a joiner, each from
// the version vector the joiner's hello sent it. A hello sent while another
// peer's catch-up is still coming would ask for that catch-up a second time:
// the same ops over the network, decoded and hashed again (REPL16 spares only
// the verification). So a session that starts while one is catching up on
// many ops waits with its hello until that one is done, or for at most
// `maxMs` — a peer that streams slowly, or stalls, cannot hold the others.
// Only sessions that have received their peer's hello count as catching up,
// and their progress never depends on a held hello, so holds cannot chain
// into a wait-for cycle.

/** Schedules `fn` after `ms`; returns a cancel function (injected: tests control time). */
export type GateSchedule = (fn: () => void, ms: number) => () => void;

/** What the gate needs of a running session. */
export interface CatchUpState {
  /** Catching up: the peer's hello arrived and the session is not live yet. */
  readonly syncing: boolean;
  /** Ops of the announced catch-up not received yet (SYNC16). */
  readonly remaining: number;
}

/** A catch-up this big, still to come, holds new hellos… */
export const HOLD_MIN_OPS = 1_000;
/** …for at most this long. */
export const HOLD_MAX_MS = 10_000;

export class HelloGate {
  private readonly waiting = new Set<() => void>();

  constructor(private readonly schedule: GateSchedule, private readonly minOps = HOLD_MIN_OPS, private readonly maxMs = HOLD_MAX_MS) {}

  /**
   * For a session starting now: undefined when no other session is catching
   * up on `minOps` or more; else a promise that settles once none is (read
   * from `others` at each `changed`), or after `maxMs`.
   */
  hold(others: () => readonly CatchUpState[]): Promise<void> | undefined {
    const busy = () => others().some((s) => s.syncing && s.remaining >= this.minOps);
    if (!busy()) return undefined;
    return new Promise<void>((resolve) => {
      let cancel: () => void = () => undefined;
      const open = () => { this.waiting.delete(check); cancel(); resolve(); };
      const check = () => { if (!busy()) open(); };
      this.waiting.add(check);
      cancel = this.schedule(open, this.maxMs);
    });
  }

  /** Re-checks the holds: call when a session's state or progress changed. */
  changed(): void {
    for (const check of [...this.waiting]) check();
  }

  /** Holds waiting now (tests, diagnostics). */
  get held(): number {
    return this.waiting.size;
  }
}
