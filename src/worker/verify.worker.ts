// The verifier worker's entry (see wire-verifier.ts): hashes and verifies
// batches of received ops off the replica's thread, with WebCrypto Ed25519
// (noble ZIP215 re-judges refusals, CORE8). One request in, one reply out,
// both as transferred buffers.
import { CryptoKeyCache, checkPacked, type VerifyReply, type VerifyRequest } from './wire-verifier.js';

interface Scope {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
}

const scope = globalThis as unknown as Scope;
const subtle = globalThis.crypto?.subtle;
const keys = subtle ? new CryptoKeyCache(subtle) : undefined;

function isRequest(d: unknown): d is VerifyRequest {
  if (typeof d !== 'object' || d === null) return false;
  const m = d as Record<string, unknown>;
  return typeof m.id === 'number' && m.bytes instanceof Uint8Array && m.ends instanceof Uint32Array
    && (m.known === undefined || (m.known instanceof Uint8Array && m.known.length === 32 * m.ends.length));
}

scope.onmessage = (event) => {
  if (!isRequest(event.data)) return;
  const { id, bytes, ends, known } = event.data;
  void checkPacked({ bytes, ends }, subtle, keys, known).then((v) => {
    const reply: VerifyReply = { id, ids: v.ids, flags: v.flags };
    scope.postMessage(reply, [v.ids.buffer, v.flags.buffer]);
  }, () => {
    // checkPacked never rejects; if it ever did, say so rather than leave the batch waiting.
    scope.postMessage({ id, failed: true }, []);
  });
};
