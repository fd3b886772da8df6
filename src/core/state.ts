// The document state: containers (LWW maps and RGA lists) addressed by the
// id of the action that created them, under one root map. Validates an op's
// actions as a whole and then applies them (CORE6, CORE9); an invalid op
// changes nothing. Also materialises JSON and the canonical state encoding.
import { toHex, utf8Encode } from './bytes.js';
import { Sha256 } from './hash.js';
import { LwwMap } from './lww-map.js';
import { RgaList } from './list.js';
import {
  HEAD, LIMITS, ROOT, actionObjId, isContainerValue, isObjIdForm,
  type ContainerKind, type ObjId, type Op, type Value,
} from './op.js';
import type { Stamp } from './stamp.js';
import { assert } from './assert.js';

/**
 * Whether a reference names the op itself, its prev, one of its deps, or no
 * op at all (root, head) — the only things an action may refer to (CORE9).
 * Same answer as parsing with parseObjId, without allocating.
 */
function isCausal(op: Op, obj: ObjId): boolean {
  if (!isObjIdForm(obj)) return true;
  if (obj.startsWith(op.id) || (op.prev !== null && obj.startsWith(op.prev))) return true;
  const deps = op.deps;
  for (let i = 0; i < deps.length; i++) if (obj.startsWith(deps[i]!)) return true;
  return false;
}

/** Keys that would reach an object's prototype when materialised (STYLE 8, CORE11). */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface MapContainer {
  readonly kind: 'map';
  readonly id: ObjId;
  readonly depth: number;
  /** The container holding this one (null for the root). */
  readonly parent: ObjId | null;
  readonly map: LwwMap;
}

export interface ListContainer {
  readonly kind: 'list';
  readonly id: ObjId;
  readonly depth: number;
  readonly parent: ObjId | null;
  readonly list: RgaList;
}

export type Container = MapContainer | ListContainer;

/**
 * Where a state restored from a snapshot takes the containers nobody has used
 * yet (CORE16): decoding one is cheap, creating all ~60,000 of a large board
 * is most of a restore, and an open needs few of them.
 */
export interface ContainerSource {
  /** How many containers the snapshot holds (the root included). */
  readonly count: number;
  /** A fresh container object decoded from the snapshot, or undefined when the snapshot holds none with that id. */
  decode(id: ObjId): Container | undefined;
  /** The snapshot's container ids in creation order. */
  ids(): ObjId[];
  /** The list a snapshot element belongs to. */
  listOf(elem: ObjId): ObjId | undefined;
  /** A snapshot container's kind, depth and parent, without decoding it. */
  header(id: ObjId): ContainerHeader | undefined;
  /** Whether a snapshot element is a tombstone (as the snapshot holds it). */
  deleted(elem: ObjId): boolean | undefined;
}

/** What a container is and where it hangs, without its content. */
export interface ContainerHeader {
  readonly kind: ContainerKind;
  readonly depth: number;
  readonly parent: ObjId | null;
}

/**
 * The document's containers by id, in creation order. A restored state
 * starts with only the root decoded: `get` decodes any other container on
 * first use and keeps it; iterating (or `settle`) decodes the rest, in the
 * snapshot's creation order followed by the containers made since. `peek`
 * reads a container without keeping it, for a one-off read of many.
 */
export class ContainerTable {
  /** The decoded containers (always this Map: `settle` reorders it in place). DocState's hot path reads it directly. */
  readonly map = new Map<ObjId, Container>();
  /** Element id → the list it is in (an element belongs to one list). */
  private readonly elements = new Map<ObjId, ObjId>();
  private source: ContainerSource | undefined;
  /** Snapshot containers not decoded yet. */
  private lazy = 0;

  /** Snapshot containers not decoded yet (0: every container is in `map`). */
  get undecoded(): number {
    return this.lazy;
  }

  get(id: ObjId): Container | undefined {
    return this.map.get(id) ?? (this.source === undefined ? undefined : this.load(id));
  }

  private load(id: ObjId): Container | undefined {
    const d = this.source!.decode(id);
    if (d === undefined) return undefined;
    this.map.set(id, d);
    if (--this.lazy === 0) this.settle();
    return d;
  }

  /** A container's kind, depth and parent, without decoding a restored one (a walk up the parents). */
  header(id: ObjId): ContainerHeader | undefined {
    return this.map.get(id) ?? this.source?.header(id);
  }

  /**
   * Whether element `elem` of list `list` is a tombstone; undefined when the
   * list does not hold it. A restored list not decoded yet has had no op
   * since the snapshot, so the snapshot's flag is the answer.
   */
  elementDeleted(list: ObjId, elem: ObjId): boolean | undefined {
    const c = this.map.get(list);
    if (c !== undefined) return c.kind === 'list' ? c.list.get(elem)?.deleted : undefined;
    return this.source !== undefined && this.source.listOf(elem) === list ? this.source.deleted(elem) : undefined;
  }

  /** The container as `get` would return it, without keeping a decoded one (a read that touches each container once). */
  peek(id: ObjId): Container | undefined {
    return this.map.get(id) ?? this.source?.decode(id);
  }

  get size(): number {
    return this.map.size + this.lazy;
  }

  /** How many containers are decoded (diagnostics and tests). */
  get decoded(): number {
    return this.map.size;
  }

  values(): IterableIterator<Container> {
    this.settle();
    return this.map.values();
  }

  keys(): IterableIterator<ObjId> {
    this.settle();
    return this.map.keys();
  }

  /** Adds a container made by an op (never one the snapshot holds: ids are unique). */
  set(id: ObjId, c: Container): void {
    this.map.set(id, c);
  }

  /** The list an element id belongs to (for a snapshot's elements, without decoding the list). */
  listOf(elem: ObjId): ObjId | undefined {
    return this.elements.get(elem) ?? this.source?.listOf(elem);
  }

  /** Records an element an op inserted. */
  addElement(elem: ObjId, list: ObjId): void {
    this.elements.set(elem, list);
  }

  /** Starts lazy: the root is decoded now, the others on use. Only on a table that holds just the root. */
  attach(source: ContainerSource): void {
    assert(this.map.size === 1 && this.source === undefined, 'attach to a table that is not fresh');
    const root = source.decode(ROOT);
    assert(root !== undefined && root.kind === 'map', 'a snapshot without a root map');
    this.map.set(ROOT, root);
    this.source = source;
    this.lazy = source.count - 1;
    if (this.lazy === 0) this.settle();
  }

  /** Decodes every container not decoded yet and restores creation order; the snapshot is released. */
  settle(): void {
    const source = this.source;
    if (source === undefined) return;
    const before = new Map(this.map);
    this.map.clear();
    for (const id of source.ids()) {
      const c = before.get(id) ?? source.decode(id)!;
      this.map.set(id, c);
      if (c.kind === 'list') for (const el of c.list.all()) this.elements.set(el.id, id);
    }
    // Containers made since the restore, in the order they were made.
    for (const [id, c] of before) if (!this.map.has(id)) this.map.set(id, c);
    this.source = undefined;
    this.lazy = 0;
  }
}

/** JSON as materialised from the document. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Pending { kind: ContainerKind; depth: number }

/**
 * What prepared local ops not yet committed will create (CORE13): a prepare
 * chained on them checks its actions against these as if they were applied.
 */
export interface PendingCreations {
  readonly containers: Map<ObjId, Pending>;
  /** Element id → the list it is in. */
  readonly elems: Map<ObjId, ObjId>;
}

export class DocState {
  readonly containers = new ContainerTable();
  /** Containers created directly under the root map (winning or not), in creation order. */
  readonly rootChildren: ObjId[] = [];

  constructor() {
    this.containers.set(ROOT, { kind: 'map', id: ROOT, depth: 0, parent: null, map: new LwwMap() });
  }

  /**
   * Why the op's actions cannot apply, or undefined when they all can. Pure:
   * depends only on the op and on ops it names in prev/deps, so every replica
   * decides the same (CORE9). With `pending` (a local prepare chained on
   * unsigned ops, CORE13) it also sees what those will create, and adds what
   * this op creates when it is valid.
   */
  check(op: Op, pending?: PendingCreations): string | undefined {
    // Hot path (every op, local and remote): no closures, no per-action
    // allocation beyond the ids of what the op creates.
    let newContainers: Map<ObjId, Pending> | undefined;
    let newElems: Map<ObjId, ObjId> | undefined;
    const actions = op.actions;
    // The decoder already checked the references of a decoded op (refsCausal).
    const refsChecked = op.refsCausal === true;
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      const second = a.type === 'ins' ? a.after : a.type === 'del' ? a.elem : undefined;
      if (!refsChecked && (!isCausal(op, a.obj) || (second !== undefined && !isCausal(op, second)))) {
        return `action ${i} refers to an op outside its dependencies`;
      }
      // What this op made first: a creation's actions name its own new containers, a small map's hit
      // where the whole table's would miss (and a restored table's would first look for this op's id
      // among the restored ops). Then the table's Map directly (a method call here is not inlined: check is large).
      const target: Pending | undefined = newContainers?.get(a.obj) ?? this.containers.map.get(a.obj)
        ?? (this.containers.undecoded === 0 ? undefined : this.containers.get(a.obj)) ?? pending?.containers.get(a.obj);
      if (target === undefined) return `action ${i}: unknown container`;
      if (a.type === 'set') {
        if (target.kind !== 'map') return `action ${i}: set on a list`;
        if (FORBIDDEN_KEYS.has(a.key)) return `action ${i}: forbidden key ${a.key}`;
      } else {
        if (target.kind !== 'list') return `action ${i}: ${a.type} on a map`;
        const ref = second!;
        if (!(a.type === 'ins' && ref === HEAD)) {
          const inList = newElems?.get(ref) === a.obj || this.listOf(ref) === a.obj || pending?.elems.get(ref) === a.obj;
          if (!inList) return `action ${i}: element not in that list`;
        }
      }
      if (a.type === 'del') continue;
      const creates = isContainerValue(a.value);
      if (a.type !== 'ins' && !creates) continue;
      const id = actionObjId(op.id, i);
      if (a.type === 'ins') (newElems ??= new Map()).set(id, a.obj);
      if (creates) {
        if (target.depth + 1 > LIMITS.maxDepth) return `action ${i}: nesting deeper than ${LIMITS.maxDepth}`;
        (newContainers ??= new Map()).set(id, { kind: (a.value as { make: ContainerKind }).make, depth: target.depth + 1 });
      }
    }
    // A valid op's creations join the pending ones the next chained prepare sees.
    if (pending !== undefined) {
      if (newContainers !== undefined) for (const [id, c] of newContainers) pending.containers.set(id, c);
      if (newElems !== undefined) for (const [id, list] of newElems) pending.elems.set(id, list);
    }
    return undefined;
  }

  /** The list an element id belongs to. */
  private listOf(elem: ObjId): ObjId | undefined {
    return this.containers.listOf(elem);
  }

  /** Applies a checked op. */
  apply(op: Op): void {
    // One stamp for the whole op, its index moved along: maps and lists copy it.
    const stamp = { lamport: op.lamport, author: op.author, op: op.id, index: 0 };
    const actions = op.actions;
    // Consecutive actions on one container (a creation's fields) look it up once.
    let lastObj: ObjId | undefined;
    let lastTarget: Container | undefined;
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      stamp.index = i;
      // Checked first: a restored container it names was decoded by check, or made by an earlier action of this op.
      const target = a.obj === lastObj ? lastTarget! : this.containers.map.get(a.obj) ?? this.containers.get(a.obj)!;
      lastObj = a.obj;
      lastTarget = target;
      if (a.type === 'set') {
        (target as MapContainer).map.set(a.key, a.value, stamp);
        if (isContainerValue(a.value)) this.create(actionObjId(op.id, i), a.value.make, target);
      } else if (a.type === 'ins') {
        const id = actionObjId(op.id, i);
        (target as ListContainer).list.insert(a.after === HEAD ? undefined : a.after, id, stamp, a.value);
        this.containers.addElement(id, a.obj);
        if (isContainerValue(a.value)) this.create(id, a.value.make, target);
      } else {
        (target as ListContainer).list.delete(a.elem);
      }
    }
  }

  private create(id: ObjId, kind: ContainerKind, parent: Container): void {
    const depth = parent.depth + 1;
    this.containers.set(id, kind === 'map'
      ? { kind: 'map', id, depth, parent: parent.id, map: new LwwMap() }
      : { kind: 'list', id, depth, parent: parent.id, list: new RgaList() });
    if (parent.id === ROOT) this.rootChildren.push(id);
  }

  /** A container for a one-off read: decoded but not kept when a restored state has not used it yet (ContainerTable.peek). */
  peek(id: ObjId): Container | undefined {
    return this.containers.peek(id);
  }

  /** A container's kind, depth and parent (ContainerTable.header). */
  header(id: ObjId): ContainerHeader | undefined {
    return this.containers.header(id);
  }

  /** Plain JSON of a container (default: the whole document). Depth is capped, so recursion is bounded. */
  toJson(id: ObjId = ROOT): Json {
    const c = this.containers.get(id);
    if (!c) return null;
    const value = (v: Value, at: ObjId): Json => (isContainerValue(v) ? this.toJson(at) : v);
    if (c.kind === 'list') {
      const out: Json[] = [];
      for (const el of c.list.visible()) out.push(value(el.value, el.id));
      return out;
    }
    const out: { [key: string]: Json } = {};
    for (const [k, reg] of c.map.fields) out[k] = value(reg.value, actionObjId(reg.stamp.op, reg.stamp.index));
    return out;
  }

  /** Count of tombstoned list elements across the document. */
  tombstoneCount(): number {
    let n = 0;
    for (const c of this.containers.values()) if (c.kind === 'list') n += c.list.tombstones;
    return n;
  }

  /**
   * The canonical state encoding (CORE12): every container sorted by id, map
   * fields sorted by key with their winning stamps, list elements in order
   * with tombstones, as JSON. Equal op sets give equal bytes.
   */
  encodeState(): Uint8Array {
    const parts: string[] = [];
    this.writeCanonical((part) => parts.push(part));
    return utf8Encode(parts.join(''))!;
  }

  /**
   * SHA-256 hex of the canonical state encoding, hashed as it is written:
   * for a 100,000-op board the encoding is a JSON text of >130 MB, which
   * `encodeState` holds whole (twice, as a string and as UTF-8).
   */
  stateHash(): string {
    const hash = new Sha256();
    let text = '';
    this.writeCanonical((part) => {
      text += part;
      if (text.length >= 65_536) { hash.update(utf8Encode(text)!); text = ''; }
    });
    hash.update(utf8Encode(text)!);
    return toHex(hash.digest());
  }

  /** Writes the canonical encoding's JSON text (CORE12) in parts, each whole JSON tokens (never half a surrogate pair). */
  private writeCanonical(put: (part: string) => void): void {
    const stampRow = (s: Stamp) => [s.lamport, s.author, s.op, s.index];
    put('[');
    const ids = [...this.containers.keys()].sort();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const c = this.containers.get(id)!;
      put(`${i === 0 ? '' : ','}[${JSON.stringify(id)},"${c.kind}",[`);
      let first = true;
      if (c.kind === 'map') {
        for (const k of [...c.map.fields.keys()].sort()) {
          const r = c.map.fields.get(k)!;
          put((first ? '' : ',') + JSON.stringify([k, r.value, stampRow(r.stamp)]));
          first = false;
        }
      } else {
        for (const el of c.list.all()) {
          put((first ? '' : ',') + JSON.stringify([el.id, el.deleted ? 1 : 0, el.value, stampRow(el.stamp)]));
          first = false;
        }
      }
      put(']]');
    }
    put(']');
  }
}
