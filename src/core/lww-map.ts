// A map of last-writer-wins registers (CORE5): each key keeps the write with
// the greatest stamp; a write with a smaller stamp arriving later loses.
import { StampedWrite, compareStamps, type Stamp } from './stamp.js';
import type { Value } from './op.js';

/** A field's winning write: its value, with its stamp inline. */
export class Register extends StampedWrite {
  constructor(readonly value: Value, stamp: Stamp) {
    super(stamp);
  }
}

export class LwwMap {
  readonly fields = new Map<string, Register>();

  /** Applies a write; returns true when it became the field's value. `stamp` is copied, so callers may reuse it. */
  set(key: string, value: Value, stamp: Stamp): boolean {
    const cur = this.fields.get(key);
    if (cur !== undefined && compareStamps(cur, stamp) >= 0) return false;
    this.fields.set(key, new Register(value, stamp));
    return true;
  }

  /** Puts a field's winning register back as a snapshot recorded it (fields keep their first-write order). */
  restore(key: string, value: Value, stamp: Stamp): void {
    this.fields.set(key, new Register(value, stamp));
  }

  /** The winning register of a key. */
  get(key: string): Register | undefined {
    return this.fields.get(key);
  }
}
