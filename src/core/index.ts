// The core's public surface: everything outside src/core imports from here.
export * from './op.js';
export { decodeOp, encodeBody, joinSigned, EncodeError, type DecodeResult } from './codec.js';
export { toHex, fromHex, isHex, sameBytes, utf8Encode, utf8Decode } from './bytes.js';
export { ByteWriter } from './byte-writer.js';
export { sha256 } from './hash.js';
export {
  keyPairFromSeed, signBytes, verifyBytes, nobleVerifyBatch,
  type KeyPair, type VerifyItem, type VerifyBatch,
} from './sign.js';
export { compareStamps, type Stamp } from './stamp.js';
export { BatchAuthenticator } from './authenticate.js';
export { DEFAULT_BUFFER_LIMITS, type BufferLimits } from './buffer.js';
export { DocState, FORBIDDEN_KEYS, type Container, type MapContainer, type ListContainer, type Json } from './state.js';
export {
  Document, IngestSession, MAX_LAMPORT_JUMP,
  decodeLogged, type AppliedOpMeta, type LoggedOp, type AuthorTip,
  type Outcome, type OutcomeStatus, type IngestResult, type PreparedOp, type CoreDump, type DocumentOptions, type OpValidator,
} from './document.js';
export { InvariantError, assert } from './assert.js';
export { encodeSnapshot, restoreSnapshot, SNAPSHOT_VERSION, type SnapshotRestore } from './snapshot.js';
export {
  SEAL_TAG, MAX_SEAL_IDS, SealBook, decodeSeal, isSealFrame, joinSeal, sealBody, sealWith, verifySeal,
  type Seal, type SealDecodeResult,
} from './seal.js';
