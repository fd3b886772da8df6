// The Byzantine replica of the simulation (SIM3, Kleppmann 2022). It holds a
// real key pair and two `Document` forks under that one key, so it can
// equivocate: two different, validly signed ops with the same seq sent to
// different peers. It also sends garbage, truncated and mutated ops, bad
// signatures (alone, forged for an honest author, or vouched for by a later
// op of its own chain), ops that refer to things outside their deps, bad
// headers and replays. Honest replicas must never throw and must still
// converge, whatever it sends.
import {
  ROOT, encodeBody, joinSigned, sha256, signBytes, toHex,
  Document,
  type KeyPair, type LocalAction, type LoggedOp, type Op, type OpHeader, type OpId, type VerifyBatch,
} from '../../src/core/index.js';
import type { Prng } from '../support/prng.js';
import { mapIds, randomBoardEdit, storiesList } from './board-edits.js';

export type Attack =
  | 'equivocate' | 'flood-fork' | 'garbage' | 'truncate' | 'mutate' | 'bad-signature' | 'forge-honest'
  | 'outside-deps' | 'bad-header' | 'replay' | 'vouched-bad-signature' | 'orphan-voucher';

/**
 * Attacks that split honest replicas while the core let one signature vouch
 * for an author's earlier ops (found by this simulation; CORE8 now checks
 * every op's own signature). Kept as named [SIM2] seeds and in the mix.
 */
export const VOUCH_TRAP_ATTACKS: readonly Attack[] = ['vouched-bad-signature', 'orphan-voucher'];

/** Attacks in the default random mix. */
export const DEFAULT_ATTACKS: readonly Attack[] = [
  'equivocate', 'flood-fork', 'garbage', 'truncate', 'mutate', 'bad-signature', 'forge-honest',
  'outside-deps', 'bad-header', 'replay', 'vouched-bad-signature', 'orphan-voucher',
];

export const ALL_ATTACKS: readonly Attack[] = DEFAULT_ATTACKS;

/** What the Byzantine replica needs from the world: a network and the shared verifier. */
export interface ByzantineNetwork {
  send(from: number, to: number, frames: readonly unknown[]): void;
  readonly verifier: { readonly verify: VerifyBatch };
  readonly problems: string[];
  /** Honest replicas' authors and docs (to forge ops and to aim at real targets). */
  readonly replicas: readonly { readonly author: string; readonly doc: Document }[];
}

export class Byzantine {
  /** Two forks under one key: the equivocation engine. */
  readonly forks: [Document, Document] = [new Document(), new Document()];
  readonly author: string;
  readonly used = new Map<Attack, number>();

  constructor(
    private readonly net: ByzantineNetwork,
    readonly index: number,
    private readonly keys: KeyPair,
    private readonly rng: Prng,
    private readonly attacks: readonly Attack[] = DEFAULT_ATTACKS,
  ) {
    this.author = toHex(keys.publicKey);
  }

  /** Honest peers' indices. */
  private get peers(): number[] {
    return this.net.replicas.map((_, i) => i);
  }

  /** Messages to the Byzantine replica reach both forks. */
  receive(from: number, frames: readonly unknown[]): void {
    for (const fork of this.forks) {
      try {
        fork.ingest(frames, this.net.verifier.verify);
      } catch (e) {
        this.net.problems.push(`[SIM3] a Document threw on frames from h${from}: ${(e as Error).stack ?? String(e)}`);
      }
    }
  }

  private sendSome(frames: readonly unknown[]): void {
    const peers = this.rng.shuffle(this.peers).slice(0, this.rng.range(1, this.peers.length));
    for (const p of peers) this.net.send(this.index, p, frames);
  }

  /** A valid random board edit on one fork, or undefined when it has no board yet. */
  private forkEdit(fork: Document): Op | undefined {
    if (!storiesList(fork)) return undefined;
    const actions = randomBoardEdit(fork, this.rng, 'byz');
    return actions ? fork.change(this.keys, actions) : undefined;
  }

  /** This author's latest op on a fork (the prev of the next). */
  private chainHead(fork: Document): LoggedOp | undefined {
    let best: LoggedOp | undefined;
    for (const op of fork.log()) if (op.author === this.author && (!best || op.seq > best.seq)) best = op;
    return best;
  }

  /** A hand-built op; signed with our key unless `sig` is given. Undefined if the encoder refuses it. */
  private craft(header: OpHeader, actions: readonly LocalAction[], sig?: Uint8Array): Uint8Array | undefined {
    try {
      const body = encodeBody(header, actions);
      return joinSigned(body, sig ?? signBytes(this.keys.secretKey, sha256(body)));
    } catch {
      return undefined;
    }
  }

  private nextHeader(fork: Document, deps: OpId[] = []): OpHeader {
    const head = this.chainHead(fork);
    return { author: this.author, seq: head ? head.seq + 1 : 1, lamport: fork.maxLamport + 1, prev: head?.id ?? null, deps };
  }

  private anyOp(): LoggedOp | undefined {
    const pool = [...this.forks[0].log(), ...this.forks[1].log()];
    return pool.length === 0 ? undefined : this.rng.pick(pool);
  }

  /** One move, chosen at random among the enabled attacks. */
  act(): void {
    if (this.attacks.length === 0) return;
    const attack = this.rng.pick(this.attacks);
    this.used.set(attack, (this.used.get(attack) ?? 0) + 1);
    const fork = this.rng.pick(this.forks);
    switch (attack) {
      case 'equivocate': {
        // Same author, same seq, different ops, to disjoint sets of peers.
        const a = this.forkEdit(this.forks[0]);
        const b = this.forkEdit(this.forks[1]);
        const peers = this.rng.shuffle(this.peers);
        const cut = this.rng.int(peers.length + 1);
        peers.forEach((p, i) => {
          const op = i < cut ? a : b;
          if (op) this.net.send(this.index, p, [op.bytes]);
        });
        return;
      }
      case 'flood-fork':
        this.sendSome(fork.log().filter((o) => o.author === this.author).map((o) => o.bytes));
        return;
      case 'garbage': {
        const junk: unknown[] = [
          this.rng.bytes(this.rng.int(200)), 'not bytes', 42, null, undefined, {}, [1, 2], new Uint8Array(0),
          new Uint8Array(70 * 1024), this.rng.bytes(97), new Uint16Array(50),
        ];
        this.sendSome(this.rng.shuffle(junk).slice(0, this.rng.range(1, 4)));
        return;
      }
      case 'truncate': {
        const op = this.anyOp();
        if (op) this.sendSome([op.bytes.slice(0, this.rng.int(op.bytes.length))]);
        return;
      }
      case 'mutate': {
        const op = this.anyOp();
        if (!op) return;
        const b = op.bytes.slice();
        for (let n = this.rng.range(1, 3); n > 0; n--) b[this.rng.int(b.length)] ^= 1 << this.rng.int(8);
        this.sendSome([b]);
        return;
      }
      case 'bad-signature': {
        // A well-formed op with a junk signature that no later op vouches for: rejected everywhere.
        if (!storiesList(fork)) return;
        const actions = randomBoardEdit(fork, this.rng, 'byz-badsig');
        if (!actions) return;
        const p = fork.prepare(this.author, actions);
        fork.abandon(p);
        this.sendSome([joinSigned(p.body, this.rng.bytes(64))]);
        return;
      }
      case 'vouched-bad-signature': {
        // Committed on the fork with a junk signature: later ops of that fork vouch for it (CORE8).
        if (!storiesList(fork)) return;
        const actions = randomBoardEdit(fork, this.rng, 'byz-badsig');
        if (!actions) return;
        const p = fork.prepare(this.author, actions);
        const op = fork.commit(p, this.rng.bytes(64));
        this.sendSome([op.bytes]);
        return;
      }
      case 'forge-honest': {
        // An honest op's body with a junk signature (same id!), or a new op in an honest author's name.
        const victim = this.rng.pick(this.net.replicas);
        const ops = victim.doc.log().filter((o) => o.author === victim.author);
        if (ops.length > 0 && this.rng.chance(0.5)) {
          const o = this.rng.pick(ops);
          const b = o.bytes.slice();
          b.set(this.rng.bytes(64), b.length - 64);
          this.sendSome([b]);
        } else {
          const last = ops[ops.length - 1];
          const header: OpHeader = { author: victim.author, seq: (last?.seq ?? 0) + 1, lamport: victim.doc.maxLamport + 1, prev: last?.id ?? null, deps: [] };
          const f = this.craft(header, [{ type: 'set', obj: ROOT, key: 'forged', value: true }]);
          if (f) this.sendSome([f]);
        }
        return;
      }
      case 'outside-deps': {
        // Validly signed, but it touches a container its deps do not cover (CORE9): rejected everywhere alike.
        const targets = mapIds(fork).filter((id) => id !== ROOT);
        if (targets.length === 0) return;
        const f = this.craft(this.nextHeader(fork), [{ type: 'set', obj: this.rng.pick(targets), key: 'title', value: 'outside' }]);
        if (f) this.sendSome([f]);
        return;
      }
      case 'bad-header': {
        const h = this.nextHeader(fork, fork.heads().filter((x) => x !== this.chainHead(fork)?.id));
        const other = this.net.replicas[0]!.doc.log()[0];
        const variants: OpHeader[] = [
          { ...h, lamport: h.lamport + 2 ** 21 },                                    // clock jump (CORE5)
          { ...h, lamport: 1, seq: h.seq },                                          // not after its deps
          { ...h, deps: [toHex(this.rng.bytes(32))].sort() },                        // a dep that never arrives
          ...(other && h.prev !== null ? [{ ...h, prev: other.id, deps: [] }] : []), // prev of another author
        ];
        const f = this.craft(this.rng.pick(variants), [{ type: 'set', obj: ROOT, key: 'byz', value: this.rng.int(1000) }]);
        if (f) this.sendSome([f]);
        return;
      }
      case 'replay': {
        const op = this.anyOp();
        if (op) this.sendSome([op.bytes, op.bytes]);
        return;
      }
      case 'orphan-voucher': {
        // B1 carries a junk signature; B2 (validly signed, prev = B1) vouches for it but
        // waits forever on a dep that does not exist.
        const p = fork.prepare(this.author, [{ type: 'set', obj: ROOT, key: 'byz', value: 'b1' }]);
        const b1 = fork.commit(p, this.rng.bytes(64));
        const header: OpHeader = { author: this.author, seq: b1.seq + 1, lamport: b1.lamport + 1, prev: b1.id, deps: [toHex(this.rng.bytes(32))] };
        const b2 = this.craft(header, [{ type: 'set', obj: ROOT, key: 'byz', value: 'b2' }]);
        const peer = this.rng.pick(this.peers);
        if (b2) this.net.send(this.index, peer, this.rng.chance(0.5) ? [b1.bytes, b2] : [b2, b1.bytes]);
        return;
      }
    }
  }
}
