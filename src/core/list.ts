// An RGA sequence with permanent tombstones (CORE6). Elements form a linked
// list from a head sentinel; an insert goes right after its reference, past
// any elements with a greater stamp — with Lamport stamps those are exactly
// the concurrent inserts at the same place and their descendants, so every
// replica ends with one order whatever the delivery order.
import { StampedWrite, compareStamps, type Stamp } from './stamp.js';
import type { ObjId, Value } from './op.js';
import { assert } from './assert.js';

/** One element, with its insert's stamp inline. */
export class ListElement extends StampedWrite {
  /** Set once by a delete; never cleared, so nothing resurrects a purged element (CORE10). */
  deleted = false;

  constructor(readonly id: ObjId, stamp: Stamp, readonly value: Value, public next: ListElement | undefined) {
    super(stamp);
  }
}

export class RgaList {
  private readonly head: { next: ListElement | undefined } = { next: undefined };
  private readonly byId = new Map<ObjId, ListElement>();
  private liveCount = 0;

  /** Whether the list holds (or held) an element with this id. */
  has(id: ObjId): boolean {
    return this.byId.has(id);
  }

  /** The element with this id, deleted or not. */
  get(id: ObjId): ListElement | undefined {
    return this.byId.get(id);
  }

  /** Inserts after `after` (undefined = at the head). The caller has validated the reference. `stamp` is copied. */
  insert(after: ObjId | undefined, id: ObjId, stamp: Stamp, value: Value): void {
    let cur: { next: ListElement | undefined } = after === undefined ? this.head : this.byId.get(after)!;
    while (cur.next !== undefined && compareStamps(cur.next, stamp) > 0) cur = cur.next;
    const el = new ListElement(id, stamp, value, cur.next);
    cur.next = el;
    this.byId.set(id, el);
    this.liveCount++;
  }

  /** Tombstones an element; returns false if it was already deleted. */
  delete(id: ObjId): boolean {
    const el = this.byId.get(id)!;
    if (el.deleted) return false;
    el.deleted = true;
    this.liveCount--;
    return true;
  }

  /** Number of visible elements. */
  get length(): number {
    return this.liveCount;
  }

  /** Number of tombstoned elements. */
  get tombstones(): number {
    return this.byId.size - this.liveCount;
  }

  /** Every element in order, tombstones included. */
  *all(): IterableIterator<ListElement> {
    for (let el = this.head.next; el !== undefined; el = el.next) yield el;
  }

  /**
   * Fills an empty list with elements in list order, tombstones included, as
   * a snapshot recorded them (src/core/snapshot.ts): the same structure the
   * inserts and deletes that made them would have built. The list adopts the
   * element objects (their `next` links are set here).
   */
  restore(elements: readonly ListElement[]): void {
    assert(this.byId.size === 0, 'restore into a list that is not empty');
    let last: { next: ListElement | undefined } = this.head;
    for (const el of elements) {
      assert(!this.byId.has(el.id), 'restore of a repeated list element');
      el.next = undefined;
      last.next = el;
      last = el;
      this.byId.set(el.id, el);
      if (!el.deleted) this.liveCount++;
    }
  }

  /** Visible elements in order. */
  *visible(): IterableIterator<ListElement> {
    for (let el = this.head.next; el !== undefined; el = el.next) if (!el.deleted) yield el;
  }
}
