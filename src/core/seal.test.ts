// Seals (CORE18): the format is canonical, the signature covers the list
// under its own domain, and a seal covers an op only for that op's author.
import { describe, expect, test } from 'vitest';
import { KEYS, authorOf, flipByte, makeBoard } from '../../tests/support/core-fixtures.js';
import { fromHex, toHex } from './bytes.js';
import { sha256 } from './hash.js';
import {
  MAX_SEAL_IDS, SEAL_TAG, SealBook, decodeSeal, isSealFrame, joinSeal, sealBody, sealWith, verifySeal,
} from './seal.js';
import { signBytes, verifyBytes } from './sign.js';

const ids = (n: number, salt = 0): string[] => Array.from({ length: n }, (_, i) => toHex(sha256(new Uint8Array([salt, i & 0xff, i >> 8]))));

function decoded(frame: Uint8Array) {
  const d = decodeSeal(frame);
  if (!d.ok) throw new Error(d.reason);
  return d.seal;
}

describe('seal format [CORE18]', () => {
  test('[CORE18] a seal round-trips: author, ids in order, id = SHA-256 of the unsigned part, and it verifies', () => {
    const list = ids(3);
    const frame = sealWith(KEYS.alice, list);
    expect(frame[0]).toBe(SEAL_TAG);
    expect(isSealFrame(frame)).toBe(true);
    const seal = decoded(frame);
    expect(seal.author).toBe(authorOf(KEYS.alice));
    expect(seal.ids).toEqual(list);
    expect(seal.ids).toHaveLength(3);
    expect(seal.id).toBe(toHex(sha256(frame.subarray(0, frame.length - 64))));
    expect(verifySeal(seal)).toBe(true);
  });

  test('[CORE18] the largest seal (256 ids, a two-byte count) round-trips; 257 ids and none are misuse', () => {
    const seal = decoded(sealWith(KEYS.bob, ids(MAX_SEAL_IDS)));
    expect(seal.ids).toHaveLength(MAX_SEAL_IDS);
    expect(verifySeal(seal)).toBe(true);
    expect(() => sealWith(KEYS.bob, ids(MAX_SEAL_IDS + 1))).toThrow(RangeError);
    expect(() => sealWith(KEYS.bob, [])).toThrow(RangeError);
    expect(() => sealWith(KEYS.bob, [ids(1)[0]!, ids(1)[0]!])).toThrow(/once/);
  });

  test('[CORE18] malformed and non-canonical frames are rejected with a reason, never thrown', () => {
    const frame = sealWith(KEYS.alice, ids(2));
    const cases: [unknown, RegExp][] = [
      ['text', /not bytes/],
      [frame.slice(0, 20), /truncated/],
      [frame.slice(0, frame.length - 1), /truncated/],
      [new Uint8Array([...frame, 0]), /trailing/],
      [flipByte(frame, 0, 0x02), /not a seal/],
    ];
    // count 0, a count past the cap, a count with a needless second byte
    const at = 33;
    const withCount = (count: number[]) => new Uint8Array([...frame.subarray(0, at), ...count, ...frame.subarray(at + 1)]);
    cases.push([withCount([0]), /0 op ids/], [withCount([0x81, 0x02]), /257 op ids/], [withCount([0x82, 0x00]), /non-canonical/]);
    // the same id twice (re-signed, so only the list is wrong)
    const twice = new Uint8Array(64);
    twice.set(fromHex(ids(1)[0]!)!, 0);
    twice.set(fromHex(ids(1)[0]!)!, 32);
    const body = new Uint8Array([SEAL_TAG, ...KEYS.alice.publicKey, 2, ...twice]);
    cases.push([joinSeal(body, new Uint8Array(64)), /twice/]);
    for (const [input, reason] of cases) {
      const d = decodeSeal(input);
      expect(d.ok).toBe(false);
      if (!d.ok) expect(d.reason).toMatch(reason);
    }
  });

  test('[CORE18] a changed id, key or signature no longer verifies', () => {
    const frame = sealWith(KEYS.alice, ids(4));
    expect(verifySeal(decoded(flipByte(frame, 40)))).toBe(false); // an id in the list
    expect(verifySeal(decoded(flipByte(frame, frame.length - 10)))).toBe(false); // the signature
    const other = new Uint8Array(frame);
    other.set(KEYS.bob.publicKey, 1); // claims Bob signed Alice's list
    expect(verifySeal(decoded(other))).toBe(false);
  });

  test('[CORE18] domain separation: an op signature never verifies as a seal, nor a seal signature as an op', () => {
    const b = makeBoard(KEYS.alice);
    const op = b.addStory(KEYS.alice, 'x').op;
    // A seal body whose SHA-256 were an op id still signs a 48-byte message, never the 32 id bytes.
    const { body, message } = sealBody(KEYS.alice.publicKey, [op.id]);
    expect(message.length).toBe(48);
    expect(verifyBytes(op.sig, message, KEYS.alice.publicKey)).toBe(false);
    const sealSig = signBytes(KEYS.alice.secretKey, message);
    expect(verifyBytes(sealSig, sha256(body), KEYS.alice.publicKey)).toBe(false);
  });
});

describe('seal book [CORE18]', () => {
  test('[CORE18] a seal covers the ops it lists for its own author only; another key listing them stands for nothing', () => {
    const list = ids(3);
    const book = new SealBook();
    const mallory = decoded(sealWith(KEYS.mallory, list));
    const alice = decoded(sealWith(KEYS.alice, list));
    expect(book.add(mallory)).toBe(true);
    expect(book.covering(list[0]!, KEYS.alice.publicKey)).toBeUndefined();
    expect(book.sealOf(list[0]!, authorOf(KEYS.alice))).toBeUndefined();
    expect(book.add(alice)).toBe(true);
    expect(book.add(alice)).toBe(false);
    expect(book.covering(list[1]!, KEYS.alice.publicKey)).toBe(alice);
    expect(book.covering(list[1]!, KEYS.mallory.publicKey)).toBe(mallory);
    expect(book.sealOf(list[2]!, authorOf(KEYS.alice))).toBe(alice);
    expect(book.covering(ids(1, 9)[0]!, KEYS.alice.publicKey)).toBeUndefined();
    book.delete(mallory.id);
    expect(book.covering(list[1]!, KEYS.mallory.publicKey)).toBeUndefined();
    expect(book.covering(list[1]!, KEYS.alice.publicKey)).toBe(alice);
    book.delete(alice.id);
    expect(book.size).toBe(0);
    expect(book.covering(list[1]!, KEYS.alice.publicKey)).toBeUndefined();
  });
});
