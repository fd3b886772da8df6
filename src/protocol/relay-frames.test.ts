// Relay frame parsing: every hostile input yields a reason, never a throw
// (docs/SPEC.md RELAY2–RELAY4, RELAY6).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  MAX_DATA_LENGTH,
  MAX_FRAME_BYTES,
  MAX_TOPICS_PER_CONNECTION,
  encodeClientFrame,
  parseClientFrame,
  parseServerFrame,
  utf8ByteLength,
  type ClientFrame,
} from './relay-frames';

const T = 'a'.repeat(64);
const reasonOf = (text: string) => {
  const r = parseClientFrame(text);
  return r.ok ? 'ok' : r.reason;
};

describe('valid frames', () => {
  test('[RELAY3] each client frame type round-trips', () => {
    const frames: ClientFrame[] = [
      { type: 'subscribe', topics: [T, 'b'.repeat(64)] },
      { type: 'unsubscribe', topics: [T] },
      { type: 'publish', topic: T, data: 'opaque ciphertext' },
      { type: 'ping' },
    ];
    for (const f of frames) expect(parseClientFrame(encodeClientFrame(f))).toEqual({ ok: true, frame: f });
  });

  test('[RELAY4] data at exactly the limit is accepted', () => {
    const text = JSON.stringify({ type: 'publish', topic: T, data: 'x'.repeat(MAX_DATA_LENGTH) });
    expect(reasonOf(text)).toBe('ok');
  });
});

describe('hostile frames', () => {
  test('[RELAY3] invalid JSON and non-objects', () => {
    expect(reasonOf('')).toBe('bad-json');
    expect(reasonOf('{"type":"ping"')).toBe('bad-json');
    expect(reasonOf('[{"type":"ping"}]')).toBe('not-an-object');
    expect(reasonOf('"ping"')).toBe('not-an-object');
    expect(reasonOf('null')).toBe('not-an-object');
    expect(reasonOf('42')).toBe('not-an-object');
  });

  test('[RELAY3] __proto__, constructor and prototype keys are rejected', () => {
    expect(reasonOf('{"type":"ping","__proto__":{"x":1}}')).toBe('forbidden-key');
    expect(reasonOf('{"type":"ping","constructor":{"prototype":{}}}')).toBe('forbidden-key');
    expect(reasonOf('{"prototype":1,"type":"ping"}')).toBe('forbidden-key');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  test('[RELAY3] unknown types, unknown fields and wrong field types', () => {
    expect(reasonOf('{}')).toBe('unknown-type');
    expect(reasonOf('{"type":"pong"}')).toBe('unknown-type'); // a server frame, not a client one
    expect(reasonOf('{"type":"toString"}')).toBe('unknown-type');
    expect(reasonOf('{"type":["ping"]}')).toBe('unknown-type');
    expect(reasonOf(`{"type":"publish","topic":"${T}","data":"d","from":"me"}`)).toBe('unknown-field');
    expect(reasonOf('{"type":"subscribe","topics":[]}')).toBe('bad-topics');
    expect(reasonOf('{"type":"subscribe"}')).toBe('bad-topics');
    expect(reasonOf(`{"type":"unsubscribe","topics":{"0":"${T}"}}`)).toBe('bad-topics');
    expect(reasonOf(`{"type":"subscribe","topics":["${T}",7]}`)).toBe('bad-topic');
    expect(reasonOf(`{"type":"publish","topic":"${T}","data":{"sdp":"x"}}`)).toBe('bad-data');
    expect(reasonOf(`{"type":"publish","topic":"${T}"}`)).toBe('bad-data');
  });

  test('[RELAY2] topics must be 64 lowercase hex characters', () => {
    for (const bad of ['A'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), 'g'.repeat(64), 'my-room', `${'a'.repeat(63)}\n`]) {
      expect(reasonOf(JSON.stringify({ type: 'publish', topic: bad, data: '' }))).toBe('bad-topic');
    }
  });

  test('[RELAY4] oversized frames and too-long data', () => {
    const big = JSON.stringify({ type: 'publish', topic: T, data: 'x'.repeat(MAX_FRAME_BYTES) });
    expect(reasonOf(big)).toBe('frame-too-large');
    // Under the frame cap in UTF-16 units but over it in UTF-8 bytes.
    const wide = JSON.stringify({ type: 'publish', topic: T, data: '€'.repeat(30_000) });
    expect(wide.length).toBeLessThan(MAX_FRAME_BYTES);
    expect(reasonOf(wide)).toBe('frame-too-large');
    const long = JSON.stringify({ type: 'publish', topic: T, data: 'x'.repeat(MAX_DATA_LENGTH + 1) });
    expect(reasonOf(long)).toBe('data-too-long');
  });

  test('[RELAY6] a frame naming more topics than a connection may hold is rejected', () => {
    const topics = Array.from({ length: MAX_TOPICS_PER_CONNECTION + 1 }, (_, i) => i.toString(16).padStart(64, '0'));
    expect(reasonOf(JSON.stringify({ type: 'subscribe', topics }))).toBe('too-many-topics');
    expect(reasonOf(JSON.stringify({ type: 'subscribe', topics: topics.slice(1) }))).toBe('ok');
  });

  test('[RELAY3] arbitrary strings and JSON values never throw (seeded)', () => {
    const property = (text: string) => {
      const r = parseClientFrame(text);
      expect(typeof r.ok).toBe('boolean');
    };
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), property), { seed: 0x5eed, numRuns: 500 });
    fc.assert(fc.property(fc.json({ maxDepth: 4 }), property), { seed: 0x5eed, numRuns: 500 });
    const frameish = fc.record(
      { type: fc.constantFrom('subscribe', 'unsubscribe', 'publish', 'ping', 'x'), topic: fc.jsonValue(), topics: fc.jsonValue(), data: fc.jsonValue() },
      { requiredKeys: ['type'] },
    );
    fc.assert(fc.property(frameish, (v) => property(JSON.stringify(v))), { seed: 0x5eed, numRuns: 500 });
  });
});

describe('helpers', () => {
  test('utf8ByteLength matches Buffer for mixed text', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a😀b€é', '\ud800', '\udc00x']) {
      expect(utf8ByteLength(s)).toBe(Buffer.byteLength(s, 'utf8'));
    }
  });

  test('[RELAY3] parseServerFrame accepts relay frames and returns null for junk', () => {
    expect(parseServerFrame('{"type":"pong"}')).toEqual({ type: 'pong' });
    expect(parseServerFrame(`{"type":"publish","topic":"${T}","data":"d"}`)).toEqual({ type: 'publish', topic: T, data: 'd' });
    expect(parseServerFrame('{"type":"error","reason":"bad-json"}')).toEqual({ type: 'error', reason: 'bad-json' });
    for (const junk of ['', 'null', '[]', '{"type":"publish","topic":"x","data":"d"}', '{"type":"error"}']) {
      expect(parseServerFrame(junk)).toBeNull();
    }
  });
});
