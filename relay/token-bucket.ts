// A token bucket for per-connection rate limits (RELAY8). The clock is passed
// in, so tests drive it deterministically.

/** Rate limiter: `take()` spends one token, refilled at `ratePerSecond` up to `burst`. */
export interface TokenBucket {
  /** Spends one token; false when the bucket is empty (the caller is over its rate). */
  take(): boolean;
}

export function createTokenBucket(ratePerSecond: number, burst: number, now: () => number): TokenBucket {
  let tokens = burst;
  let last = now();
  return {
    take() {
      const t = now();
      // A clock that steps backwards must not mint tokens, so clamp at zero.
      const elapsed = Math.max(0, t - last);
      last = t;
      tokens = Math.min(burst, tokens + (elapsed * ratePerSecond) / 1000);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
