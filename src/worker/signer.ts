// The Signer port and its adapters: signs the 32 id bytes of local ops with
// the replica's Ed25519 key (CORE13). WebCrypto where present, noble otherwise;
// both produce the same deterministic RFC 8032 signature.
import { keyPairFromSeed, signBytes, type KeyPair } from '../core/index.js';

/** Signs messages with one key. */
export interface Signer {
  /** The 32-byte public key: the author id of every op it signs. */
  readonly publicKey: Uint8Array;
  /** The 64-byte Ed25519 signature of a message. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export class NobleSigner implements Signer {
  readonly publicKey: Uint8Array;
  private readonly keys: KeyPair;
  constructor(seed: Uint8Array) {
    this.keys = keyPairFromSeed(seed);
    this.publicKey = this.keys.publicKey;
  }
  async sign(message: Uint8Array): Promise<Uint8Array> {
    return signBytes(this.keys.secretKey, message);
  }
}

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7).
const PKCS8_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

export class WebCryptoSigner implements Signer {
  private constructor(readonly publicKey: Uint8Array, private readonly key: CryptoKey, private readonly subtle: SubtleCrypto) {}

  /**
   * Imports a 32-byte seed as a non-extractable signing key. The public key
   * comes from WebCrypto too (an extractable import, exported as a JWK): the
   * portable derivation costs ~70 ms on a cold open, building its tables.
   */
  static async fromSeed(seed: Uint8Array, subtle: SubtleCrypto = globalThis.crypto.subtle): Promise<WebCryptoSigner> {
    if (seed.length !== 32) throw new RangeError('seed must be 32 bytes');
    const pkcs8 = new Uint8Array([...PKCS8_PREFIX, ...seed]);
    const [key, jwk] = await Promise.all([
      subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']),
      subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']).then((k) => subtle.exportKey('jwk', k)),
    ]);
    const publicKey = fromBase64Url(jwk.x ?? '');
    if (publicKey.length !== 32) throw new Error('WebCrypto gave no Ed25519 public key');
    return new WebCryptoSigner(publicKey, key, subtle);
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await this.subtle.sign('Ed25519', this.key, message as BufferSource));
  }
}

/** Bytes of an unpadded base64url string (a JWK member). */
function fromBase64Url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** The fastest signer the platform offers for this seed. */
export async function bestSigner(seed: Uint8Array): Promise<Signer> {
  try {
    return await WebCryptoSigner.fromSeed(seed);
  } catch {
    return new NobleSigner(seed);
  }
}
