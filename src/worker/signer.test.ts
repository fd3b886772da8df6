// The signers agree (CORE13): WebCrypto's key pair and signatures are noble's
// for the same seed, so an author id never depends on the platform.
import { describe, expect, test } from 'vitest';
import { toHex, verifyBytes } from '../core/index.js';
import { NobleSigner, WebCryptoSigner, bestSigner } from './signer.js';

describe('[CORE13] signers', () => {
  test('WebCrypto derives the same public key and signs the same bytes as noble', async () => {
    for (let n = 0; n < 8; n++) {
      const seed = new Uint8Array(32).map((_, i) => (i * 31 + n * 17) & 0xff);
      const noble = new NobleSigner(seed);
      const web = await WebCryptoSigner.fromSeed(seed);
      expect(toHex(web.publicKey)).toBe(toHex(noble.publicKey));
      const msg = new Uint8Array(32).fill(n);
      const sig = await web.sign(msg);
      expect(toHex(sig)).toBe(toHex(await noble.sign(msg)));
      expect(verifyBytes(sig, msg, web.publicKey)).toBe(true);
    }
  });

  test('a seed of the wrong length is refused; bestSigner picks WebCrypto here', async () => {
    await expect(WebCryptoSigner.fromSeed(new Uint8Array(31))).rejects.toThrow(/32 bytes/);
    expect(await bestSigner(new Uint8Array(32).fill(1))).toBeInstanceOf(WebCryptoSigner);
  });
});
