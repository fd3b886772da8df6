// An RGA sequence with permanent tombstones (CORE6). Elements form a linked
// list from a head sentinel; an insert goes right after its reference, past
// any elements with a greater stamp — with Lamport stamps those are exactly
// the concurrent inserts at the same place and their descendants, so every
// replica ends with one order whatever the delivery order.
import { StampedWrite, compareStamps, type Stamp } from './stamp.js';
import { actionObjId, isObjIdForm, objIdIndex, type ObjId, type Value } from './op.js';
import { assert } from './assert.js';

/** One element, with its insert's stamp inline. */
export class ListElement extends StampedWrite {
  /** Set once by a delete; never cleared, so nothing resurrects a purged element (CORE10). */
  deleted = false;
  private named: ObjId | undefined;

  /** `id` is its insert's `<op>:<index>`; undefined (a restored element) makes it from the stamp on first use. */
  constructor(id: ObjId | undefined, stamp: Stamp, readonly value: Value, public next: ListElement | undefined) {
    super(stamp);
    this.named = id;
  }

  get id(): ObjId {
    return (this.named ??= actionObjId(this.op, this.index));
  }
}

/**
 * Lookups by id in a restored list answered by a walk before its id index is
 * built: an open's short tail inserts into the 10,000-story list once or
 * twice, and building the index (10,000 ids made and hashed) was most of
 * that tail's cost in a Chromium worker.
 */
const LIST_SCANS = 8;

export class RgaList {
  private readonly head: { next: ListElement | undefined } = { next: undefined };
  /** Every element by id; undefined after a restore until LIST_SCANS lookups have walked the list. */
  private byId: Map<ObjId, ListElement> | undefined = new Map();
  private scans = 0;
  private count = 0;
  private liveCount = 0;

  /** Whether the list holds (or held) an element with this id. */
  has(id: ObjId): boolean {
    return this.get(id) !== undefined;
  }

  /** The element with this id, deleted or not. */
  get(id: ObjId): ListElement | undefined {
    if (this.byId !== undefined) return this.byId.get(id);
    if (++this.scans > LIST_SCANS) return this.indexed().get(id);
    // By the stamp each element carries (its id is `<op>:<index>`): no id string is made.
    if (!isObjIdForm(id)) return undefined;
    const op = id.slice(0, 64);
    const index = objIdIndex(id);
    for (let el = this.head.next; el !== undefined; el = el.next) if (el.index === index && el.op === op) return el;
    return undefined;
  }

  /** Inserts after `after` (undefined = at the head). The caller has validated the reference. `stamp` is copied. */
  insert(after: ObjId | undefined, id: ObjId, stamp: Stamp, value: Value): void {
    let cur: { next: ListElement | undefined } = after === undefined ? this.head : this.get(after)!;
    while (cur.next !== undefined && compareStamps(cur.next, stamp) > 0) cur = cur.next;
    const el = new ListElement(id, stamp, value, cur.next);
    cur.next = el;
    this.byId?.set(id, el);
    this.count++;
    this.liveCount++;
  }

  /** Tombstones an element; returns false if it was already deleted. */
  delete(id: ObjId): boolean {
    const el = this.get(id)!;
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
    return this.count - this.liveCount;
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
    assert(this.count === 0, 'restore into a list that is not empty');
    let last: { next: ListElement | undefined } = this.head;
    for (const el of elements) {
      el.next = undefined;
      last.next = el;
      last = el;
      if (!el.deleted) this.liveCount++;
    }
    this.count = elements.length;
    // Indexed on use (LIST_SCANS): a restore makes no id strings.
    this.byId = undefined;
  }

  private indexed(): Map<ObjId, ListElement> {
    if (this.byId !== undefined) return this.byId;
    const byId = new Map<ObjId, ListElement>();
    for (let el = this.head.next; el !== undefined; el = el.next) byId.set(el.id, el);
    assert(byId.size === this.count, 'restore of a repeated list element');
    return (this.byId = byId);
  }

  /** Visible elements in order. */
  *visible(): IterableIterator<ListElement> {
    for (let el = this.head.next; el !== undefined; el = el.next) if (!el.deleted) yield el;
  }
}
