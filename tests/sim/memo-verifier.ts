// A memoising signature verifier for the simulation. Noble verifies ~300/s in
// Node, and every op reaches every replica several times, so the world shares
// one answer per (key, message, signature) triple across its replicas. It
// also trusts the signatures the world's honest replicas produced themselves
// (signBytes output verifies by construction; RFC 8032 vectors cover that
// elsewhere). Anything the Byzantine replica sends is verified for real.
import { nobleVerifyBatch, toHex, type VerifyBatch, type VerifyItem } from '../../src/core/index.js';

export class MemoVerifier {
  private readonly known = new Map<string, boolean>();
  /** Real noble verifications performed (for the figures in the report). */
  realChecks = 0;

  private static key(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): string {
    return toHex(publicKey) + toHex(message) + toHex(signature);
  }

  /** Records a signature this world produced with an honest key. */
  trust(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): void {
    this.known.set(MemoVerifier.key(publicKey, message, signature), true);
  }

  /** The VerifyBatch port, memoised. */
  readonly verify: VerifyBatch = (items: readonly VerifyItem[]) => items.map((it) => {
    const k = MemoVerifier.key(it.publicKey, it.message, it.signature);
    let v = this.known.get(k);
    if (v === undefined) {
      this.realChecks++;
      v = nobleVerifyBatch([it])[0]!;
      this.known.set(k, v);
    }
    return v;
  });
}
