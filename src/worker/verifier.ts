// The Verifier port and its adapters (DESIGN §2, CORE8). Signature checks sit
// outside the pure core, batched and async, so the fastest engine present can
// do them: WebCrypto Ed25519 (10–20× noble) where the platform has it, noble
// as the portable fallback.
//
// Every peer must accept exactly the same signatures, and the pinned rule is
// ZIP215 (noble's). WebCrypto follows RFC 8032, which accepts a subset of what
// ZIP215 accepts, so a WebCrypto "valid" is final, while a WebCrypto "invalid"
// is re-checked with noble before it counts. Honest signatures take the fast
// path; only forged ones pay for noble.
import { nobleVerifyBatch, verifyBytes, type VerifyItem } from '../core/index.js';

/** Checks signatures in batches. */
export interface Verifier {
  /** Human-readable engine name, for the dump and the bench. */
  readonly name: string;
  /** The answer for item i is at index i; never rejects on hostile input. */
  verify(items: readonly VerifyItem[]): Promise<boolean[]>;
}

/** noble/ed25519, synchronous, ZIP215. */
export class NobleVerifier implements Verifier {
  readonly name = 'noble';
  async verify(items: readonly VerifyItem[]): Promise<boolean[]> {
    return nobleVerifyBatch(items);
  }
}

const KEY_CACHE_LIMIT = 4096;

/** WebCrypto Ed25519 with noble ZIP215 as the judge of anything WebCrypto refuses. */
export class WebCryptoVerifier implements Verifier {
  readonly name = 'webcrypto';
  private readonly keys = new Map<string, Promise<CryptoKey | null>>();

  constructor(private readonly subtle: SubtleCrypto) {}

  private key(publicKey: Uint8Array): Promise<CryptoKey | null> {
    let id = '';
    for (let i = 0; i < publicKey.length; i++) id += String.fromCharCode(publicKey[i]!);
    let k = this.keys.get(id);
    if (!k) {
      if (this.keys.size >= KEY_CACHE_LIMIT) this.keys.clear();
      k = this.subtle.importKey('raw', publicKey as BufferSource, { name: 'Ed25519' }, false, ['verify']).catch(() => null);
      this.keys.set(id, k);
    }
    return k;
  }

  async verify(items: readonly VerifyItem[]): Promise<boolean[]> {
    return Promise.all(items.map(async (it) => {
      const key = await this.key(it.publicKey);
      let ok = false;
      if (key !== null && it.signature.length === 64) {
        try {
          ok = await this.subtle.verify('Ed25519', key, it.signature as BufferSource, it.message as BufferSource);
        } catch {
          ok = false;
        }
      }
      return ok || verifyBytes(it.signature, it.message, it.publicKey);
    }));
  }
}

/** Whether this platform's WebCrypto does Ed25519 (Chromium ≥ 137, Node ≥ 20). */
export async function hasWebCryptoEd25519(subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle): Promise<boolean> {
  if (!subtle) return false;
  try {
    await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    return true;
  } catch {
    return false;
  }
}

/** The fastest verifier the platform offers. */
export async function bestVerifier(): Promise<Verifier> {
  return (await hasWebCryptoEd25519()) ? new WebCryptoVerifier(globalThis.crypto.subtle) : new NobleVerifier();
}
