// Fail-fast checks for broken internal invariants and programmer misuse
// (STYLE 6). Hostile input never reaches these: it gets a result with a reason.

/** A broken invariant or a misuse of the API: a bug, never bad input. */
export class InvariantError extends Error {
  override name = 'InvariantError';
}

/** Throws InvariantError when `condition` is false. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}
