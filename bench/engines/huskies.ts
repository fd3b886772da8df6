// huskies on the board workload: three replicas, each with its own key, build
// their shares with the local path (prepare → sign → commit, with up to
// SIGN_AHEAD ops prepared while earlier ones are signed), then each
// ingests the other two's ops. Three signing modes: unsigned (commit with a
// dummy 64-byte signature: the core's local cost alone), noble (sync, pure JS)
// and WebCrypto (Node's crypto.subtle Ed25519 via src/worker/signer.ts).
// The verified merge runs twice: every op on its own signature, and with each
// author's seals (CORE18), one verification per 256 ops.
import {
  Document, MAX_SEAL_IDS, SealBook, decodeSeal, isSealFrame, joinSeal, keyPairFromSeed, sealBody, toHex,
  type LocalAction, type Op, type PreparedOp,
} from '../../src/core/index.js';
import { NobleSigner, WebCryptoSigner, type Signer } from '../../src/worker/signer.js';
import { WebCryptoVerifier, type Verifier } from '../../src/worker/verifier.js';
import { storyHandle, updateActions, type StoryHandle } from '../huskies-core.js';
import { AUTHORS, editCount, huskiesCreateStory, huskiesInit, shares, type Share, type WorkloadSize } from '../workload.js';

export type SignMode = 'unsigned' | 'noble' | 'webcrypto';

const DUMMY_SIG = new Uint8Array(64);
const BOARD_SEED = new Uint8Array(32).fill(200);
const authorSeed = (a: number) => new Uint8Array(32).fill(10 + a);

/** The initial empty board (the stories list), one op by a fourth key every replica starts from. */
export function boardInit(): Op {
  return new Document().change(keyPairFromSeed(BOARD_SEED), huskiesInit);
}

/**
 * What the bench keeps of a committed op, as the app keeps what it stores and
 * sends (REPL4): the id and the signed bytes. Keeping whole decoded ops (their
 * action objects and strings) alive would cost huskies' local edits garbage
 * collector time that the app does not pay, and that no peer engine's run pays.
 */
export interface SentOp { readonly id: string; readonly bytes: Uint8Array }

/** Replicas after their local edits, before merge. */
export interface Replicas {
  readonly docs: Document[];
  /** Each author's own ops, in order (the init op excluded). */
  readonly own: SentOp[][];
  readonly applyMs: number;
}

async function signerFor(mode: SignMode, a: number): Promise<Signer | undefined> {
  if (mode === 'unsigned') return undefined;
  return mode === 'noble' ? new NobleSigner(authorSeed(a)) : WebCryptoSigner.fromSeed(authorSeed(a));
}

/** Local ops prepared ahead of their signatures (CORE13), so signing overlaps the core's work. */
export const SIGN_AHEAD = 32;

/** One author's local edits on its replica; returns its ops. */
async function applyShare(doc: Document, init: Op, share: Share, signer: Signer | undefined, author: string): Promise<SentOp[]> {
  const ops: SentOp[] = [];
  const keep = (op: Op) => { ops.push({ id: op.id, bytes: op.bytes }); return op.id; };
  const signing: { prepared: PreparedOp; signature: Promise<Uint8Array> }[] = [];
  const commitOldest = async () => {
    const s = signing.shift()!;
    keep(doc.commit(s.prepared, await s.signature));
  };
  /** Prepares an edit and returns its op id; the op is committed once signed, in order. */
  const edit = signer === undefined
    ? (actions: LocalAction[]) => keep(doc.commit(doc.prepare(author, actions), DUMMY_SIG))
    : async (actions: LocalAction[]) => {
      const prepared = doc.prepare(author, actions);
      signing.push({ prepared, signature: signer.sign(prepared.idBytes) });
      if (signing.length >= SIGN_AHEAD) await commitOldest();
      return prepared.id;
    };
  const list = `${init.id}:0`;
  const stories: StoryHandle[] = [];
  for (const i of share.stories) stories[i] = storyHandle(await edit(huskiesCreateStory(list, i)));
  for (const u of share.updates) await edit(updateActions(u, stories));
  for (const s of share.purges) await edit([{ type: 'del', obj: list, elem: stories[s]!.story }]);
  while (signing.length > 0) await commitOldest();
  return ops;
}

/** Builds the three replicas with one signing mode, timing only the local edits. */
export async function buildReplicas(size: WorkloadSize, mode: SignMode, init = boardInit(), authors = AUTHORS): Promise<Replicas> {
  const parts = shares(size);
  const docs: Document[] = [];
  const own: SentOp[][] = [];
  let applyMs = 0;
  for (let a = 0; a < authors; a++) {
    const doc = new Document();
    doc.replay([{ id: init.id, bytes: init.bytes }]);
    const signer = await signerFor(mode, a);
    const author = toHex(signer?.publicKey ?? keyPairFromSeed(authorSeed(a)).publicKey);
    const t = performance.now();
    own.push(await applyShare(doc, init, parts[a]!, signer, author));
    applyMs += performance.now() - t;
    docs.push(doc);
  }
  return { docs, own, applyMs };
}

/** Each replica ingests the other two's ops in ~16 KiB batches, verifying every signature. */
export async function mergeVerified(r: Replicas, verifier: Verifier, batchBytes = 16 * 1024): Promise<number> {
  const t = performance.now();
  for (let a = 0; a < r.docs.length; a++) {
    for (let b = 0; b < r.docs.length; b++) {
      if (a === b) continue;
      const ops = r.own[b]!;
      let i = 0;
      while (i < ops.length) {
        const frames: Uint8Array[] = [];
        let bytes = 0;
        while (i < ops.length && (frames.length === 0 || bytes + ops[i]!.bytes.length <= batchBytes)) { bytes += ops[i]!.bytes.length; frames.push(ops[i++]!.bytes); }
        const s = r.docs[a]!.beginIngest(frames);
        while (s.pending) s.resolve(await verifier.verify(s.requests()));
        if (s.finish().applied.length !== frames.length) throw new Error('huskies: merge did not apply every op');
      }
    }
  }
  return performance.now() - t;
}

/** Each author's seals over its own ops in runs of 256, as its replica makes them while it commits (REPL17). */
export async function sealRuns(r: Replicas): Promise<Uint8Array[][]> {
  return Promise.all(r.own.map(async (ops, a) => {
    const signer = await WebCryptoSigner.fromSeed(authorSeed(a));
    const seals: Uint8Array[] = [];
    for (let at = 0; at < ops.length; at += MAX_SEAL_IDS) {
      const { body, message } = sealBody(signer.publicKey, ops.slice(at, at + MAX_SEAL_IDS).map((op) => op.id));
      seals.push(joinSeal(body, await signer.sign(message)));
    }
    return seals;
  }));
}

/**
 * Each replica ingests the other two's ops in ~16 KiB batches, each run after
 * its author's seal (SYNC18): a batch's seals are verified (one signature per
 * 256 ops), the ops they list are accepted on them, any other op on its own
 * signature (REPL17).
 */
export async function mergeSealed(r: Replicas, seals: readonly Uint8Array[][], verifier: Verifier, batchBytes = 16 * 1024): Promise<number> {
  const t = performance.now();
  for (let a = 0; a < r.docs.length; a++) {
    const book = new SealBook();
    for (let b = 0; b < r.docs.length; b++) {
      if (a === b) continue;
      const stream: Uint8Array[] = [];
      r.own[b]!.forEach((op, i) => { if (i % MAX_SEAL_IDS === 0) stream.push(seals[b]![i / MAX_SEAL_IDS]!); stream.push(op.bytes); });
      let i = 0;
      while (i < stream.length) {
        const frames: Uint8Array[] = [];
        let bytes = 0;
        while (i < stream.length && (frames.length === 0 || bytes + stream[i]!.length <= batchBytes)) { bytes += stream[i]!.length; frames.push(stream[i++]!); }
        const decoded = frames.filter(isSealFrame).map((f) => decodeSeal(f)).flatMap((d) => (d.ok ? [d.seal] : []));
        const valid = await verifier.verify(decoded.map((seal) => ({ publicKey: seal.authorKey, message: seal.message, signature: seal.signature })));
        decoded.forEach((seal, k) => { if (valid[k]) book.add(seal); });
        const opFrames = frames.filter((f) => !isSealFrame(f));
        const s = r.docs[a]!.beginIngest(opFrames);
        s.acceptSealed((op) => book.sealOf(op.id, op.author) !== undefined);
        while (s.pending) s.resolve(await verifier.verify(s.requests()));
        if (s.finish().applied.length !== opFrames.length) throw new Error('huskies: sealed merge did not apply every op');
      }
    }
  }
  return performance.now() - t;
}

/** Each replica replays the other two's ops without verification (the unsigned merge). */
export function mergeReplay(r: Replicas): number {
  const t = performance.now();
  for (let a = 0; a < r.docs.length; a++) {
    for (let b = 0; b < r.docs.length; b++) {
      if (a === b) continue;
      const res = r.docs[a]!.replay(r.own[b]!.map((o) => o.bytes));
      if (res.applied.length !== r.own[b]!.length) throw new Error('huskies: replay merge did not apply every op');
    }
  }
  return performance.now() - t;
}

/** The op log of a replica as stored: what the backup file and the store hold (id + bytes). */
export function storedLog(doc: Document): { id: string; bytes: Uint8Array }[] {
  return doc.log().map((o) => ({ id: o.id, bytes: o.bytes }));
}

/** Loads a replica from its stored log (CORE14: trusted ids, no signature check). */
export function loadLog(log: readonly { id: string; bytes: Uint8Array }[]): Document {
  const doc = new Document();
  doc.replay(log);
  return doc;
}

/** Visible stories of a merged replica. */
export function storyCount(doc: Document, init: Op): number {
  return doc.state.containers.get(`${init.id}:0`)?.kind === 'list'
    ? (doc.state.containers.get(`${init.id}:0`) as { list: { length: number } }).list.length : -1;
}

/** The op log as one byte string (length-prefixed records), the memory probe's input. */
export function packLog(log: readonly { id: string; bytes: Uint8Array }[]): Uint8Array {
  let n = 0;
  for (const r of log) n += 4 + r.bytes.length;
  const out = new Uint8Array(n);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const r of log) { view.setUint32(o, r.bytes.length); out.set(r.bytes, o + 4); o += 4 + r.bytes.length; }
  return out;
}

/** Inverse of packLog; ids are recomputed by the replay (the probe does not trust a file). */
export function unpackLog(packed: Uint8Array): Uint8Array[] {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const out: Uint8Array[] = [];
  for (let o = 0; o < packed.length;) { const len = view.getUint32(o); out.push(packed.subarray(o + 4, o + 4 + len)); o += 4 + len; }
  return out;
}

/** Edits in the shares of the first `authors` authors. */
function editsOf(size: WorkloadSize, authors: number): number {
  return shares(size).slice(0, authors).reduce((n, s) => n + s.stories.length + s.updates.length + s.purges.length, 0);
}

/**
 * All huskies figures of one run. noble signing (~1 ms a signature) is timed
 * on the first `nobleAuthors` authors' shares only, to keep the run short.
 */
export async function huskiesRun(size: WorkloadSize, opts: { nobleAuthors: number }): Promise<{ figures: Record<string, number>; encoded: Uint8Array }> {
  const init = boardInit();
  const edits = editCount(size);
  const out: Record<string, number> = {};
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  // Each variant's replicas are dropped (and collected) before the next is built,
  // so no variant pays for another's heap in GC time.
  {
    const unsigned = await buildReplicas(size, 'unsigned', init);
    out.applyUnsignedEditsPerSec = edits / (unsigned.applyMs / 1000);
    out.mergeReplayMs = mergeReplay(unsigned);
  }
  gc();
  if (opts.nobleAuthors > 0) {
    const noble = await buildReplicas(size, 'noble', init, opts.nobleAuthors);
    out.applyNobleEditsPerSec = editsOf(size, opts.nobleAuthors) / (noble.applyMs / 1000);
  }
  gc();
  {
    // The same WebCrypto-signed replicas, merged on their seals (each merge consumes its replicas).
    const sealed = await buildReplicas(size, 'webcrypto', init);
    out.mergeSealedMs = await mergeSealed(sealed, await sealRuns(sealed), new WebCryptoVerifier(globalThis.crypto.subtle));
    const hashes = sealed.docs.map((d) => d.stateHash());
    if (hashes.some((h) => h !== hashes[0])) throw new Error('huskies: replicas differ after the sealed merge');
  }
  gc();
  const wc = await buildReplicas(size, 'webcrypto', init);
  out.applyWebCryptoEditsPerSec = edits / (wc.applyMs / 1000);
  out.mergeVerifiedMs = await mergeVerified(wc, new WebCryptoVerifier(globalThis.crypto.subtle));
  const hashes = wc.docs.map((d) => d.stateHash());
  if (hashes.some((h) => h !== hashes[0])) throw new Error('huskies: replicas differ after merge');
  const log = storedLog(wc.docs[0]!);
  wc.docs.length = 0;
  wc.own.length = 0;
  gc();
  out.encodedBytes = log.reduce((n, r) => n + r.bytes.length, 0);
  out.ops = log.length;
  const t = performance.now();
  const loaded = loadLog(log);
  out.loadMs = performance.now() - t;
  if (loaded.stateHash() !== hashes[0]) throw new Error('huskies: load gives another state');
  out.stories = storyCount(loaded, init);
  return { figures: out, encoded: packLog(log) };
}
