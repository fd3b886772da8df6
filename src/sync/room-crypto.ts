// Room cryptography for signalling (docs/SPEC.md RTC4–RTC6), WebCrypto
// only: the relay topic is a hash of the room id, and every signalling payload
// is sealed with AES-GCM-256 under a key derived (HKDF-SHA-256, RFC 5869) from
// the room secret. The relay therefore sees neither the room id, nor SDP, nor
// names, and cannot join a room. Opening hostile input never throws.
import { cryptoRandomBytes, fromBase64Url, toBase64Url, type RandomBytes, type RoomCredentials } from './room-link';

/** The reason `open` gives when authentication fails: a key that differs from the sealer's (RTC6). */
export const WRONG_ROOM_SECRET = 'wrong room secret';

export type OpenError = typeof WRONG_ROOM_SECRET | 'malformed' | 'too-long' | 'not-json';
export type OpenResult = { ok: true; value: unknown } | { ok: false; error: OpenError };

/** Longest sealed string `open` looks at; the relay caps publish data below this anyway. */
export const MAX_SEALED_LENGTH = 64 * 1024;
const IV_BYTES = 12; // NIST SP 800-38D §8.2: 96-bit random IVs
const TAG_BYTES = 16;
// Fixed, versioned labels: a new derivation gets a new label, never a silent change.
const TOPIC_PREFIX = 'huskies-topic:';
const HKDF_SALT = 'huskies-room-v1';
const HKDF_INFO = 'huskies-signalling-aes-gcm';

/** Seals and opens signalling payloads of one room. */
export interface RoomCipher {
  /** The relay topic: lowercase hex SHA-256 of `'huskies-topic:' + roomId` (RTC4, RELAY2). */
  readonly topic: string;
  /** JSON-encodes `value` and seals it: base64url of iv ‖ AES-GCM ciphertext+tag (RTC5). */
  seal(value: unknown): Promise<string>;
  /** Opens a sealed string; a wrong key or tampering gives `{ ok: false, error: 'wrong room secret' }` (RTC6). */
  open(sealed: unknown): Promise<OpenResult>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The relay topic of a room (RTC4). */
export async function roomTopic(roomId: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(TOPIC_PREFIX + roomId)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Derives the room's AES-GCM-256 key from its secret with HKDF-SHA-256 (RTC5). */
export async function deriveRoomKey(secret: string): Promise<CryptoKey> {
  // The secret's base64url bytes are the input keying material; a malformed secret
  // still derives *a* key (its UTF-8), so a typo surfaces as 'wrong room secret'.
  const ikm = fromBase64Url(secret) ?? encoder.encode(secret);
  const base = await crypto.subtle.importKey('raw', ikm as BufferSource, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode(HKDF_SALT), info: encoder.encode(HKDF_INFO) },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** The cipher of a room. `random` supplies IVs; inject a seeded one only in tests. */
export async function createRoomCipher(room: RoomCredentials, random: RandomBytes = cryptoRandomBytes): Promise<RoomCipher> {
  const [topic, key] = await Promise.all([roomTopic(room.roomId), deriveRoomKey(room.secret)]);
  // The topic is bound as associated data, so a frame sealed for one room cannot be replayed into another.
  const additionalData = encoder.encode(topic);
  return {
    topic,
    async seal(value) {
      const iv = random(IV_BYTES);
      const plain = encoder.encode(JSON.stringify(value));
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt({ name: 'AES-GCM', iv: iv as BufferSource, additionalData }, key, plain),
      );
      const out = new Uint8Array(IV_BYTES + sealed.length);
      out.set(iv, 0);
      out.set(sealed, IV_BYTES);
      return toBase64Url(out);
    },
    async open(sealed) {
      if (typeof sealed !== 'string') return { ok: false, error: 'malformed' };
      if (sealed.length > MAX_SEALED_LENGTH) return { ok: false, error: 'too-long' };
      const bytes = fromBase64Url(sealed);
      if (!bytes || bytes.length < IV_BYTES + TAG_BYTES) return { ok: false, error: 'malformed' };
      let plain: ArrayBuffer;
      try {
        plain = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES) as BufferSource, additionalData },
          key,
          bytes.subarray(IV_BYTES) as BufferSource,
        );
      } catch {
        // GCM cannot tell a wrong key from tampering; a wrong key is by far the likelier cause.
        return { ok: false, error: WRONG_ROOM_SECRET };
      }
      try {
        return { ok: true, value: JSON.parse(decoder.decode(plain)) as unknown };
      } catch {
        return { ok: false, error: 'not-json' };
      }
    },
  };
}
