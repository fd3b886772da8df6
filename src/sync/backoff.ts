// Reconnect backoff (RTC10, RTC21): the signalling client and the peer
// manager wait this long before attempt `failures + 1` — 1 s doubling to a
// 30 s cap, plus up to 25 % jitter from an injected random number, so peers
// that lost the same relay do not reconnect in lockstep and tests stay
// deterministic.

/** Backoff before attempt `failures + 1`; `random` is a float in [0, 1). */
export function backoffDelay(failures: number, random: number, minMs = 1_000, maxMs = 30_000): number {
  const base = minMs * 2 ** Math.min(failures, 30);
  return Math.min(maxMs, base * (1 + 0.25 * random));
}
