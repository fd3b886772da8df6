import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { MAX_TIMER_MS, timerSchedule } from './schedule.js';

describe('timerSchedule', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  test('[REPL11] a delay past setTimeout\'s 32-bit limit fires at its time, not at once', () => {
    const delays: number[] = [];
    const set = (fn: () => void, ms: number) => { delays.push(ms); return setTimeout(fn, ms); };
    const fired = vi.fn();
    const hundredYears = 100 * 365 * 24 * 3600 * 1000;
    timerSchedule(set)(fired, hundredYears);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
    vi.advanceTimersByTime(1000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(hundredYears - 1001);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(delays.every((d) => d <= MAX_TIMER_MS)).toBe(true);
  });

  test('[REPL11] short delays fire once; cancel stops a pending timer, also mid-chain', () => {
    const schedule = timerSchedule();
    const a = vi.fn(), b = vi.fn();
    schedule(a, 10);
    const cancel = schedule(b, MAX_TIMER_MS * 2 + 5);
    vi.advanceTimersByTime(10);
    expect(a).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1);
    cancel();
    vi.advanceTimersByTime(MAX_TIMER_MS * 2);
    expect(b).not.toHaveBeenCalled();
  });
});
