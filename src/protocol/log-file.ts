// The backup file format (REPL7): an op log exported in insertion order, each
// op after the seal that lists it the first time (SYNC18).
//   magic  "HUSKLOG1" (8 ASCII bytes)
//   then per op or seal: uvarint byte length, then its signed bytes (body ‖ sig)
// Importing never trusts the file: every op is decoded and verified again (on
// its own signature, or on its author's seal, which is verified: CORE18).
import { LIMITS } from '../core/index.js';

const MAGIC = [0x48, 0x55, 0x53, 0x4b, 0x4c, 0x4f, 0x47, 0x31]; // HUSKLOG1

/** Encodes ops (in insertion order) as a backup file. */
export function encodeLogFile(ops: readonly Uint8Array[]): Uint8Array {
  let size = MAGIC.length;
  for (const op of ops) size += varintLength(op.length) + op.length;
  const out = new Uint8Array(size);
  out.set(MAGIC, 0);
  let o = MAGIC.length;
  for (const op of ops) {
    let n = op.length;
    while (n >= 0x80) { out[o++] = (n & 0x7f) | 0x80; n >>>= 7; }
    out[o++] = n;
    out.set(op, o);
    o += op.length;
  }
  return out;
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) { n >>>= 7; len++; }
  return len;
}

export type LogFileResult =
  | { readonly ok: true; readonly ops: Uint8Array[] }
  | { readonly ok: false; readonly reason: string; readonly ops: Uint8Array[] };

/**
 * Splits a backup file into op byte strings. Never throws; on a damaged file
 * it returns the ops before the damage with the reason (nothing after it is
 * guessed at).
 */
export function decodeLogFile(file: unknown, maxOps = 10_000_000): LogFileResult {
  if (!(file instanceof Uint8Array)) return { ok: false, reason: 'not a file of bytes', ops: [] };
  for (let i = 0; i < MAGIC.length; i++) {
    if (file[i] !== MAGIC[i]) return { ok: false, reason: 'not a huskies backup (bad header)', ops: [] };
  }
  const ops: Uint8Array[] = [];
  let p = MAGIC.length;
  while (p < file.length) {
    if (ops.length >= maxOps) return { ok: false, reason: `more than ${maxOps} ops`, ops };
    let len = 0;
    let shift = 0;
    for (;;) {
      if (p >= file.length) return { ok: false, reason: `truncated after op ${ops.length}`, ops };
      const b = file[p++]!;
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
      if (shift > 21) return { ok: false, reason: `bad length at op ${ops.length}`, ops };
    }
    if (len > LIMITS.maxOpBytes) return { ok: false, reason: `op ${ops.length} exceeds ${LIMITS.maxOpBytes} bytes`, ops };
    if (p + len > file.length) return { ok: false, reason: `truncated in op ${ops.length}`, ops };
    ops.push(file.slice(p, p + len));
    p += len;
  }
  return { ok: true, ops };
}
