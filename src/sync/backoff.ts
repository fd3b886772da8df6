// Reconnect backoff (SYNC15): the caller re-creates sessions after a close and
// waits `delay(attempt)` first. Exponential from 1 s, capped at 30 s, with
// "equal jitter" (half fixed, half random) from an injected rng so tabs that
// lost the same relay do not reconnect in lockstep, and tests stay deterministic.

export interface BackoffOptions {
  readonly baseMs?: number;
  readonly maxMs?: number;
}

/** The delay in ms before reconnect attempt `attempt` (0 = first retry); `rng` returns a float in [0, 1). */
export function backoffDelay(attempt: number, rng: () => number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 1_000;
  const max = options.maxMs ?? 30_000;
  if (!Number.isSafeInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a non-negative integer, got ${attempt}`);
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  const r = rng();
  const jitter = r >= 0 && r < 1 ? r : 0; // a broken rng must not produce a broken delay
  return Math.round(ceiling / 2 + (ceiling / 2) * jitter);
}

/** A per-peer attempt counter around `backoffDelay`: `next()` after a failure, `reset()` once live. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly rng: () => number, private readonly options: BackoffOptions = {}) {}
  next(): number { return backoffDelay(this.attempt++, this.rng, this.options); }
  reset(): void { this.attempt = 0; }
  get attempts(): number { return this.attempt; }
}
