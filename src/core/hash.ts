// SHA-256, the op id function (CORE2). @noble/hashes is pure JS, so the core
// stays free of platform crypto; the same bytes hash the same everywhere.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** SHA-256 digest of bytes. */
export function sha256(bytes: Uint8Array): Uint8Array {
  return nobleSha256(bytes);
}
