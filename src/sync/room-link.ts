// Room links (docs/SPEC.md RTC1–RTC3): a room is a random id and a
// random secret, both base64url, carried in the URL *fragment* so that no HTTP
// request ever sends them to a server (browsers strip the fragment). Parsing
// hostile links never throws: it returns a reason.

/** A room as its members know it: the id names it, the secret admits to it. */
export interface RoomCredentials {
  /** 16 random bytes, base64url (22 chars). Hashed into the relay topic (RTC4). */
  readonly roomId: string;
  /** 32 random bytes, base64url (43 chars). Never leaves the fragment and this device (RTC2). */
  readonly secret: string;
}

/** Fills a fresh array of `length` random bytes; in the app `crypto.getRandomValues`. */
export type RandomBytes = (length: number) => Uint8Array;

export const ROOM_ID_BYTES = 16;
export const ROOM_SECRET_BYTES = 32;

export type RoomLinkError = 'not-a-string' | 'too-long' | 'no-fragment' | 'missing-room' | 'missing-key' | 'bad-room' | 'bad-key';
export type ParsedRoomLink = { ok: true; room: RoomCredentials } | { ok: false; reason: RoomLinkError };

/** Longest link we look at; a real one is ~120 characters. */
const MAX_LINK_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** The default random source: WebCrypto, present in browsers, workers and Node 20. */
export const cryptoRandomBytes: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));

/** Creates a new room from `random` (RTC1). */
export function createRoom(random: RandomBytes = cryptoRandomBytes): RoomCredentials {
  return { roomId: toBase64Url(random(ROOM_ID_BYTES)), secret: toBase64Url(random(ROOM_SECRET_BYTES)) };
}

/**
 * The shareable link: `base` without its own fragment, then `#room=<id>&key=<secret>` (RTC2).
 * `base` is the app's address, e.g. `https://host/` or `location.href`.
 */
export function formatRoomLink(base: string, room: RoomCredentials): string {
  const hashAt = base.indexOf('#');
  const page = hashAt === -1 ? base : base.slice(0, hashAt);
  return `${page}#${formatRoomFragment(room)}`;
}

/** Only the fragment part, without '#': `room=<id>&key=<secret>`. */
export function formatRoomFragment(room: RoomCredentials): string {
  return `room=${room.roomId}&key=${room.secret}`;
}

/**
 * Reads a room from a full link, a `#…` hash or a bare `room=…&key=…` fragment (RTC3).
 * Never throws; unknown fragment parameters are ignored so later versions can add some.
 */
export function parseRoomLink(input: unknown): ParsedRoomLink {
  if (typeof input !== 'string') return fail('not-a-string');
  if (input.length > MAX_LINK_LENGTH) return fail('too-long');
  const hashAt = input.indexOf('#');
  let fragment: string;
  if (hashAt !== -1) fragment = input.slice(hashAt + 1);
  else if (/^[a-z][a-z0-9+.-]*:/i.test(input)) return fail('no-fragment'); // a URL without '#'
  else fragment = input;
  let roomId: string | undefined;
  let secret: string | undefined;
  for (const part of fragment.split('&')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    // First occurrence wins, so an appended `&key=` cannot swap the secret silently.
    if (key === 'room' && roomId === undefined) roomId = value;
    else if (key === 'key' && secret === undefined) secret = value;
  }
  if (roomId === undefined) return fail('missing-room');
  if (secret === undefined) return fail('missing-key');
  if (!isRoomId(roomId)) return fail('bad-room');
  if (!isEncodedBytes(secret, ROOM_SECRET_BYTES)) return fail('bad-key');
  return { ok: true, room: { roomId, secret } };
}

/** base64url without padding (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes unpadded base64url; `null` for anything else (never throws). */
export function fromBase64Url(text: string): Uint8Array | null {
  if (typeof text !== 'string' || !BASE64URL.test(text) || text.length % 4 === 1) return null;
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  let binary: string;
  try {
    binary = atob(padded);
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  // Reject non-canonical encodings (stray low bits in the last char), so one room has one spelling.
  return toBase64Url(bytes) === text ? bytes : null;
}

/** Whether a text is a room id as rooms are made: ROOM_ID_BYTES, base64url. */
export function isRoomId(text: string): boolean {
  return isEncodedBytes(text, ROOM_ID_BYTES);
}

function isEncodedBytes(text: string, length: number): boolean {
  const bytes = fromBase64Url(text);
  return bytes !== null && bytes.length === length;
}

function fail(reason: RoomLinkError): ParsedRoomLink {
  return { ok: false, reason };
}
