// Fractional indexes for the order of stories within a column (PIPE5).
// A rank is a base-62 fraction "0.d1d2…" written as its digits (0-9A-Za-z,
// which sort in ASCII order) with no trailing '0', so there is always room
// on both sides. Ranks compare as plain strings; equal ranks (concurrent
// moves) are ordered by story id in the view.

export const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE = 62;

/** A valid rank: non-empty base-62 digits, no trailing '0'. */
export function isRank(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && /^[0-9A-Za-z]+$/.test(v) && !v.endsWith('0');
}

const digit = (i: number): string => DIGITS[i]!;
const value = (c: string | undefined): number => (c === undefined ? 0 : DIGITS.indexOf(c));

/** Midpoint of a and b as fractions ('' = 0, undefined = 1); requires a < b, no trailing zeros. */
function midpoint(a: string, b: string | undefined): string {
  if (b !== undefined) {
    let n = 0;
    while (n < b.length && (a[n] ?? '0') === b[n]) n++;
    if (n > 0) return b.slice(0, n) + midpoint(a.slice(n), b.slice(n));
  }
  const da = value(a[0]);
  const db = b !== undefined ? value(b[0]) : BASE;
  if (db - da > 1) return digit(Math.round((da + db) / 2));
  if (b !== undefined && b.length > 1) return b.slice(0, 1);
  return digit(da) + midpoint(a.slice(1), undefined);
}

/**
 * A rank strictly between `a` and `b` (either may be omitted: the column's
 * start or end). Deterministic. Appending and prepending step one digit
 * rather than halving, so a column grows by one character per ~30 appends
 * instead of per ~6. Throws RangeError on invalid ranks or when `a >= b`
 * (equal neighbours: pick a neighbour with a different rank).
 */
export function rankBetween(a?: string, b?: string): string {
  if (a !== undefined && !isRank(a)) throw new RangeError(`not a rank: ${a}`);
  if (b !== undefined && !isRank(b)) throw new RangeError(`not a rank: ${b}`);
  if (a !== undefined && b !== undefined && a >= b) throw new RangeError(`no rank between ${a} and ${b}`);
  if (a === undefined && b === undefined) return 'V';
  if (b === undefined) {
    // Step: bump the first digit below 'z' and cut after it.
    for (let i = 0; i < a!.length; i++) {
      const d = value(a![i]);
      if (d < BASE - 1) return a!.slice(0, i) + digit(d + 1);
    }
    return a! + 'V';
  }
  if (a === undefined) {
    // Step down: lower the first digit above '1' and cut after it (never ends in '0').
    for (let i = 0; i < b.length; i++) {
      const d = value(b[i]);
      if (d > 1) return b.slice(0, i) + digit(d - 1);
      if (d === 1 && i === b.length - 1) break;
    }
    return midpoint('', b);
  }
  return midpoint(a, b);
}

/** Order of two stories in a column: rank, then story id, then element id (PIPE5). */
export function compareRanked(
  x: { rank: string; id: string; elem: string }, y: { rank: string; id: string; elem: string },
): number {
  if (x.rank !== y.rank) return x.rank < y.rank ? -1 : 1;
  if (x.id !== y.id) return x.id < y.id ? -1 : 1;
  return x.elem < y.elem ? -1 : x.elem > y.elem ? 1 : 0;
}
