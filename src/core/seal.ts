// Seals (CORE18): one signature over a run of one author's op ids, so a
// replica catching up checks one signature per run instead of one per op
// (DESIGN §2: catch-up costs close to hashing).
//
// A seal is not an op and changes nothing in the document. It says "the
// holder of this key signed these op ids", so an op listed in a seal by its
// own author that verifies is authentic, exactly as if its own signature
// verified (CORE8a). The proof travels with the op: a replica keeps every
// seal it accepted an op on and sends it before that op (SYNC18), so it never
// holds an op it cannot prove to another replica (catalogue 19–20). No op
// vouches for another: a seal names each op by its id.
//
// Frame (all fixed, so every seal has exactly one encoding):
//   SEAL_TAG (1 byte; an op's first byte is FORMAT_VERSION)
//   the author's Ed25519 key (32 bytes, where an op carries it too)
//   uvarint n, 1 … MAX_SEAL_IDS (minimal)
//   n distinct op ids (32 bytes each)
//   Ed25519 signature (64 bytes) over SEAL_DOMAIN ‖ SHA-256(everything above)
// The seal's id is that SHA-256. An op's signature covers exactly its 32 id
// bytes; a seal's covers 48, so neither can stand for the other.
import { fromHex, sameBytes, toHex, utf8Encode } from './bytes.js';
import { sha256 } from './hash.js';
import { SIG_BYTES, type AuthorId, type OpId } from './op.js';
import { signBytes, verifyBytes, type KeyPair } from './sign.js';

/** First byte of a seal frame ('S'); never an op's (FORMAT_VERSION). */
export const SEAL_TAG = 0x53;
/** Op ids one seal lists, at most: a seal stays one 16 KiB sync frame's worth (8 KiB of ids). */
export const MAX_SEAL_IDS = 256;
/** Prefix of the message a seal's signature covers (16 bytes). */
const SEAL_DOMAIN = utf8Encode('huskies/seal/v1\n')!;
const KEY_BYTES = 32;
const ID_BYTES = 32;

/** A decoded seal (its signature not checked yet: `message` and `signature` are what to verify under `authorKey`). */
export interface Seal {
  /** SHA-256 of the frame without its signature (hex). */
  readonly id: string;
  readonly author: AuthorId;
  readonly authorKey: Uint8Array;
  /** The op ids it lists (hex), in its order. */
  readonly ids: readonly OpId[];
  /** What the signature covers: SEAL_DOMAIN ‖ SHA-256 of the unsigned part. */
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
  /** The whole frame, as sent and stored. */
  readonly bytes: Uint8Array;
}

export type SealDecodeResult = { readonly ok: true; readonly seal: Seal } | { readonly ok: false; readonly reason: string };

/** Whether a received frame claims to be a seal (its first byte); `decodeSeal` judges the rest. */
export function isSealFrame(frame: unknown): boolean {
  return frame instanceof Uint8Array && frame.length > 0 && frame[0] === SEAL_TAG;
}

function messageOf(unsigned: Uint8Array): { id: Uint8Array; message: Uint8Array } {
  const id = sha256(unsigned);
  const message = new Uint8Array(SEAL_DOMAIN.length + ID_BYTES);
  message.set(SEAL_DOMAIN, 0);
  message.set(id, SEAL_DOMAIN.length);
  return { id, message };
}

/**
 * The unsigned part of a seal over `ids` (1 … MAX_SEAL_IDS distinct op ids)
 * and the message to sign. Throws on misuse.
 */
export function sealBody(authorKey: Uint8Array, ids: readonly OpId[]): { readonly body: Uint8Array; readonly message: Uint8Array } {
  if (authorKey.length !== KEY_BYTES) throw new RangeError('an author key is 32 bytes');
  const n = ids.length;
  if (n < 1 || n > MAX_SEAL_IDS) throw new RangeError(`a seal lists 1 to ${MAX_SEAL_IDS} op ids`);
  if (new Set(ids).size !== n) throw new RangeError('a seal lists each op id once');
  const varint = n < 0x80 ? [n] : [(n & 0x7f) | 0x80, n >>> 7];
  const at = 1 + KEY_BYTES + varint.length;
  const body = new Uint8Array(at + n * ID_BYTES);
  body[0] = SEAL_TAG;
  body.set(authorKey, 1);
  body.set(varint, 1 + KEY_BYTES);
  ids.forEach((id, i) => {
    const b = fromHex(id);
    if (b === undefined || b.length !== ID_BYTES) throw new TypeError(`not an op id: ${id}`);
    body.set(b, at + i * ID_BYTES);
  });
  return { body, message: messageOf(body).message };
}

/** The seal frame: body ‖ signature. */
export function joinSeal(body: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== SIG_BYTES) throw new RangeError('a signature is 64 bytes');
  const out = new Uint8Array(body.length + SIG_BYTES);
  out.set(body, 0);
  out.set(signature, body.length);
  return out;
}

/** Seals op ids with a key pair, synchronously (noble): tests, and seals made outside a replica. */
export function sealWith(keys: KeyPair, ids: readonly OpId[]): Uint8Array {
  const { body, message } = sealBody(keys.publicKey, ids);
  return joinSeal(body, signBytes(keys.secretKey, message));
}

/** Decodes a seal frame. Never throws: anything malformed or non-canonical gives a reason. */
export function decodeSeal(frame: unknown): SealDecodeResult {
  if (!(frame instanceof Uint8Array)) return { ok: false, reason: 'seal: not bytes' };
  if (frame[0] !== SEAL_TAG) return { ok: false, reason: 'seal: not a seal' };
  let p = 1 + KEY_BYTES;
  if (frame.length < p + 1) return { ok: false, reason: 'seal: truncated' };
  let n = frame[p++]!;
  if (n >= 0x80) {
    const hi = frame[p++];
    if (hi === undefined) return { ok: false, reason: 'seal: truncated' };
    if (hi === 0 || hi >= 0x80) return { ok: false, reason: 'seal: non-canonical count' };
    n = (n & 0x7f) + hi * 0x80;
  }
  if (n < 1 || n > MAX_SEAL_IDS) return { ok: false, reason: `seal: ${n} op ids, not 1 to ${MAX_SEAL_IDS}` };
  const end = p + n * ID_BYTES;
  if (frame.length !== end + SIG_BYTES) return { ok: false, reason: frame.length < end + SIG_BYTES ? 'seal: truncated' : 'seal: trailing bytes' };
  const ids: OpId[] = [];
  const seen = new Set<string>();
  for (let at = p; at < end; at += ID_BYTES) {
    const id = toHex(frame.subarray(at, at + ID_BYTES));
    if (seen.has(id)) return { ok: false, reason: 'seal: an op id listed twice' };
    seen.add(id);
    ids.push(id);
  }
  const authorKey = frame.slice(1, 1 + KEY_BYTES);
  const { id, message } = messageOf(frame.subarray(0, end));
  return {
    ok: true,
    seal: { id: toHex(id), author: toHex(authorKey), authorKey, ids, message, signature: frame.slice(end), bytes: frame },
  };
}

/** Whether a decoded seal's signature verifies (noble, ZIP215: CORE8c). */
export function verifySeal(seal: Seal): boolean {
  return verifyBytes(seal.signature, seal.message, seal.authorKey);
}

/**
 * Verified seals by the op ids they list (CORE18). A seal covers an op only
 * for that op's own author: a seal by another key listing the same id is
 * kept apart and never stands in for the author's.
 */
export class SealBook {
  private readonly seals = new Map<string, Seal>();
  /** Op id → the verified seals listing it (one, but for a key listing another author's ids). */
  private readonly byOp = new Map<OpId, Seal | Seal[]>();

  get size(): number {
    return this.seals.size;
  }

  has(sealId: string): boolean {
    return this.seals.has(sealId);
  }

  /** Adds a seal whose signature verified; false when it is held already. */
  add(seal: Seal): boolean {
    if (this.seals.has(seal.id)) return false;
    this.seals.set(seal.id, seal);
    for (const id of seal.ids) {
      const at = this.byOp.get(id);
      if (at === undefined) this.byOp.set(id, seal);
      else if (Array.isArray(at)) at.push(seal);
      else this.byOp.set(id, [at, seal]);
    }
    return true;
  }

  /** Forgets a seal (one kept only for a while). */
  delete(sealId: string): void {
    const seal = this.seals.get(sealId);
    if (seal === undefined) return;
    this.seals.delete(sealId);
    for (const id of seal.ids) {
      const at = this.byOp.get(id);
      if (at === seal) this.byOp.delete(id);
      else if (Array.isArray(at)) {
        const rest = at.filter((s) => s !== seal);
        this.byOp.set(id, rest.length === 1 ? rest[0]! : rest);
      }
    }
  }

  /** A held seal by the author whose key is `authorKey` that lists op `id`. */
  covering(id: OpId, authorKey: Uint8Array): Seal | undefined {
    const at = this.byOp.get(id);
    if (at === undefined) return undefined;
    if (!Array.isArray(at)) return sameBytes(at.authorKey, authorKey) ? at : undefined;
    return at.find((s) => sameBytes(s.authorKey, authorKey));
  }

  /** A held seal by `author` (hex) that lists op `id`. */
  sealOf(id: OpId, author: AuthorId): Seal | undefined {
    const at = this.byOp.get(id);
    if (at === undefined) return undefined;
    if (!Array.isArray(at)) return at.author === author ? at : undefined;
    return at.find((s) => s.author === author);
  }

  /** Every held seal, in the order added. */
  all(): IterableIterator<Seal> {
    return this.seals.values();
  }
}
