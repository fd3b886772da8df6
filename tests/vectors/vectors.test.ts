// Checked-in vectors (STYLE 7): canonical op encodings, ids and signatures
// (CORE2, CORE3) re-derived from ops.json, RFC 8032 §7.1 Ed25519 vectors and
// ZIP215 edge cases pinned for sign.ts (CORE8).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  Document, decodeOp, encodeBody, fromHex, keyPairFromSeed, sha256, signBytes, toHex, verifyBytes,
  type LocalAction, type OpHeader,
} from '../../src/core/index.js';
import { seedOf } from '../support/core-fixtures.js';

interface OpVector { name: string; signer: string; header: OpHeader; actions: LocalAction[]; body: string; id: string; sig: string }
interface OpVectors { seeds: Record<string, number>; ops: OpVector[]; final: { stateHash: string; json: unknown } }
interface RfcVector { name: string; secret: string; public: string; message: string; signature: string }

const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as T;
const ops = load<OpVectors>('ops.json');
const rfc = load<{ vectors: RfcVector[] }>('rfc8032-ed25519.json').vectors;
const keys = Object.fromEntries(Object.entries(ops.seeds).map(([n, s]) => [n, keyPairFromSeed(seedOf(s))]));
const hex = (s: string): Uint8Array => fromHex(s)!;

describe('op vectors', () => {
  test('[CORE2][CORE3] the vectors cover every action type, value tag and ref kind', () => {
    const all = JSON.stringify(ops.ops.map((v) => v.actions));
    for (const t of ['"set"', '"ins"', '"del"', '"self"', '"root"', '"head"', '"map"', '"list"', 'null', 'true', 'false']) {
      expect(all).toContain(t);
    }
    expect(ops.ops.some((v) => v.header.prev === null)).toBe(true);
    expect(ops.ops.some((v) => v.header.deps.length >= 2)).toBe(true);
  });

  for (const v of ops.ops) {
    test(`[CORE2][CORE3] ${v.name}: body, id and signature are re-derived byte for byte`, () => {
      const k = keys[v.signer]!;
      expect(toHex(k.publicKey)).toBe(v.header.author);
      const body = encodeBody(v.header, v.actions);
      expect(toHex(body)).toBe(v.body);
      expect(toHex(sha256(body))).toBe(v.id);
      expect(toHex(signBytes(k.secretKey, hex(v.id)))).toBe(v.sig);
      expect(verifyBytes(hex(v.sig), hex(v.id), k.publicKey)).toBe(true);
      const d = decodeOp(hex(v.body + v.sig));
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      expect(d.op.id).toBe(v.id);
      expect({ author: d.op.author, seq: d.op.seq, lamport: d.op.lamport, prev: d.op.prev, deps: [...d.op.deps] }).toEqual(v.header);
    });
  }

  test('[CORE12] ingesting the vectors in order gives the recorded state hash and JSON', () => {
    const doc = new Document();
    const res = doc.ingest(ops.ops.map((v) => hex(v.body + v.sig)));
    expect(res.outcomes.map((o) => o.status)).toEqual(ops.ops.map(() => 'applied'));
    expect(doc.stateHash()).toBe(ops.final.stateHash);
    expect(doc.toJson()).toEqual(ops.final.json);
  });

  test('[CORE12] the same vectors in reverse order converge to the same state', () => {
    const doc = new Document();
    doc.ingest(ops.ops.map((v) => hex(v.body + v.sig)).reverse());
    expect(doc.bufferedCount).toBe(0);
    expect(doc.stateHash()).toBe(ops.final.stateHash);
  });
});

describe('RFC 8032 §7.1 Ed25519', () => {
  for (const v of rfc) {
    test(`[CORE8] ${v.name}: key derivation, signature and verification`, () => {
      const k = keyPairFromSeed(hex(v.secret));
      expect(toHex(k.publicKey)).toBe(v.public);
      expect(toHex(signBytes(k.secretKey, hex(v.message)))).toBe(v.signature);
      expect(verifyBytes(hex(v.signature), hex(v.message), hex(v.public))).toBe(true);
      const tampered = hex(v.signature);
      tampered[0]! ^= 1;
      expect(verifyBytes(tampered, hex(v.message), hex(v.public))).toBe(false);
    });
  }
  test('[CORE8] the 1024 vector really has a 1023-byte message', () => {
    expect(hex(rfc.find((v) => v.name === 'TEST 1024')!.message).length).toBe(1023);
  });
});

describe('ZIP215 edges (CORE8: every peer accepts exactly the same signatures)', () => {
  const identity = new Uint8Array(32); identity[0] = 1;
  // y = p + 1 (p = 2^255 − 19): a non-canonical encoding of the identity point.
  const nonCanonicalIdentity = new Uint8Array(32).fill(0xff); nonCanonicalIdentity[0] = 0xee; nonCanonicalIdentity[31] = 0x7f;
  const msg = new Uint8Array([1, 2, 3]);

  test('[CORE8] small-order key and R (identity, S = 0) verifies under ZIP215', () => {
    const sig = new Uint8Array(64); sig.set(identity);
    expect(verifyBytes(sig, msg, identity)).toBe(true);
  });
  test('[CORE8] non-canonical R and A encodings are accepted under ZIP215', () => {
    const sig = new Uint8Array(64); sig.set(nonCanonicalIdentity);
    expect(verifyBytes(sig, msg, identity)).toBe(true);
    const sig2 = new Uint8Array(64); sig2.set(identity);
    expect(verifyBytes(sig2, msg, nonCanonicalIdentity)).toBe(true);
  });
  test('[CORE8] S ≥ L (malleated signature) is rejected', () => {
    const k = keyPairFromSeed(seedOf(9));
    const sig = signBytes(k.secretKey, msg);
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) + BigInt(sig[32 + i]!);
    s += L;
    const bad = sig.slice();
    for (let i = 0; i < 32; i++) { bad[32 + i] = Number(s & 255n); s >>= 8n; }
    expect(verifyBytes(sig, msg, k.publicKey)).toBe(true);
    expect(verifyBytes(bad, msg, k.publicKey)).toBe(false);
  });
  test('[CORE8] wrong lengths and garbage are false, never a throw', () => {
    expect(verifyBytes(new Uint8Array(63), msg, identity)).toBe(false);
    expect(verifyBytes(new Uint8Array(64), msg, new Uint8Array(31))).toBe(false);
    expect(verifyBytes('x' as unknown as Uint8Array, msg, identity)).toBe(false);
  });
});
