// Wire frames of the signalling relay (docs/SPEC.md): the schemas, the
// limit constants, and a parser that turns hostile text into a validated frame
// or a reason — it never throws. Pure: no Node or DOM imports, so both the relay
// and the browser signalling client can use it.

/** Largest client frame the relay accepts, in UTF-8 bytes (RELAY4). */
export const MAX_FRAME_BYTES = 64 * 1024;
/** Most topics one connection may hold at once (RELAY6). */
export const MAX_TOPICS_PER_CONNECTION = 16;
/** Longest `data` string of a publish frame, in UTF-16 code units (RELAY4). */
export const MAX_DATA_LENGTH = MAX_FRAME_BYTES - 1024;
/** Token-bucket refill rate: sustained frames per second per connection (RELAY8). */
export const RATE_FRAMES_PER_SECOND = 50;
/** Token-bucket capacity: frames a connection may send in one burst (RELAY8). */
export const RATE_BURST = 100;
/** Bad frames a connection may send before it is closed (RELAY9). */
export const MAX_BAD_FRAMES = 8;
/** A topic is the lowercase hex SHA-256 of a room id; the relay never sees the id (RELAY2). */
export const TOPIC_PATTERN = /^[0-9a-f]{64}$/;

export type Topic = string;

export type SubscribeFrame = { type: 'subscribe'; topics: Topic[] };
export type UnsubscribeFrame = { type: 'unsubscribe'; topics: Topic[] };
export type ClientPublishFrame = { type: 'publish'; topic: Topic; data: string };
export type PingFrame = { type: 'ping' };
/** A frame a client sends to the relay. */
export type ClientFrame = SubscribeFrame | UnsubscribeFrame | ClientPublishFrame | PingFrame;

export type PongFrame = { type: 'pong' };
export type ServerPublishFrame = { type: 'publish'; topic: Topic; data: string };
export type ErrorFrame = { type: 'error'; reason: RelayErrorReason };
/** A frame the relay sends to a client. */
export type ServerFrame = PongFrame | ServerPublishFrame | ErrorFrame;

/** Stable reason codes carried by error frames and parse results. */
export type RelayErrorReason =
  | 'binary-frame'
  | 'frame-too-large'
  | 'bad-json'
  | 'not-an-object'
  | 'forbidden-key'
  | 'unknown-type'
  | 'unknown-field'
  | 'bad-topics'
  | 'bad-topic'
  | 'bad-data'
  | 'data-too-long'
  | 'too-many-topics'
  | 'rate-limit';

export type ParseResult = { ok: true; frame: ClientFrame } | { ok: false; reason: RelayErrorReason };

/** Limits the parser enforces; the relay may pass its own (tests, load runs). */
export interface FrameLimits {
  maxFrameBytes: number;
  maxDataLength: number;
  maxTopicsPerFrame: number;
}

export const DEFAULT_FRAME_LIMITS: FrameLimits = {
  maxFrameBytes: MAX_FRAME_BYTES,
  maxDataLength: MAX_DATA_LENGTH,
  maxTopicsPerFrame: MAX_TOPICS_PER_CONNECTION,
};

// Keys that could reach Object.prototype if some consumer copied the frame (RELAY3).
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const ALLOWED_KEYS: Record<ClientFrame['type'], readonly string[]> = {
  subscribe: ['type', 'topics'],
  unsubscribe: ['type', 'topics'],
  publish: ['type', 'topic', 'data'],
  ping: ['type'],
};

/** UTF-8 length of a string without TextEncoder, so this module stays pure. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** True when `value` is a well-formed topic (RELAY2). */
export function isTopic(value: unknown): value is Topic {
  return typeof value === 'string' && TOPIC_PATTERN.test(value);
}

/**
 * Parses one client frame. Hostile input never throws: any violation of size,
 * JSON, schema or forbidden keys comes back as `{ ok: false, reason }` (RELAY3, RELAY4).
 */
export function parseClientFrame(text: string, limits: FrameLimits = DEFAULT_FRAME_LIMITS): ParseResult {
  if (typeof text !== 'string') return fail('bad-json');
  // Cheap bound first: a UTF-16 unit is at most 3 UTF-8 bytes.
  if (text.length > limits.maxFrameBytes) return fail('frame-too-large');
  if (text.length * 3 > limits.maxFrameBytes && utf8ByteLength(text) > limits.maxFrameBytes) {
    return fail('frame-too-large');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('bad-json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not-an-object');
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (const key of keys) if (FORBIDDEN_KEYS.has(key)) return fail('forbidden-key');
  const type = record.type;
  if (typeof type !== 'string' || !Object.hasOwn(ALLOWED_KEYS, type)) return fail('unknown-type');
  const allowed = ALLOWED_KEYS[type as ClientFrame['type']];
  for (const key of keys) if (!allowed.includes(key)) return fail('unknown-field');

  switch (type) {
    case 'ping':
      return { ok: true, frame: { type: 'ping' } };
    case 'subscribe':
    case 'unsubscribe': {
      const topics = record.topics;
      if (!Array.isArray(topics) || topics.length === 0) return fail('bad-topics');
      if (topics.length > limits.maxTopicsPerFrame) return fail('too-many-topics');
      for (const topic of topics) if (!isTopic(topic)) return fail('bad-topic');
      // Copy into a fresh array so the frame holds only validated strings.
      return { ok: true, frame: { type, topics: topics.slice() as Topic[] } };
    }
    case 'publish': {
      if (!isTopic(record.topic)) return fail('bad-topic');
      if (typeof record.data !== 'string') return fail('bad-data');
      if (record.data.length > limits.maxDataLength) return fail('data-too-long');
      return { ok: true, frame: { type: 'publish', topic: record.topic, data: record.data } };
    }
    default:
      return fail('unknown-type');
  }
}

/** Serialises a frame the relay sends. */
export function encodeServerFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/** Serialises a frame a client sends. */
export function encodeClientFrame(frame: ClientFrame): string {
  return JSON.stringify(frame);
}

/**
 * Parses one frame from the relay, for the signalling client. A relay is not
 * trusted either, so this never throws and returns `null` for anything malformed.
 */
export function parseServerFrame(text: string, maxBytes: number = MAX_FRAME_BYTES * 2): ServerFrame | null {
  if (typeof text !== 'string' || text.length > maxBytes) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  if (record.type === 'pong') return { type: 'pong' };
  if (record.type === 'publish' && isTopic(record.topic) && typeof record.data === 'string') {
    return { type: 'publish', topic: record.topic, data: record.data };
  }
  if (record.type === 'error' && typeof record.reason === 'string') {
    return { type: 'error', reason: record.reason as RelayErrorReason };
  }
  return null;
}

function fail(reason: RelayErrorReason): ParseResult {
  return { ok: false, reason };
}
