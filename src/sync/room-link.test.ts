// Room links (docs/SPEC.md RTC1–RTC3): creation from an injected random
// source, formatting into the fragment, and parsing of hostile input.
import { describe, expect, test } from 'vitest';
import { Prng } from '../../tests/support/prng';
import { createRoom, formatRoomLink, fromBase64Url, parseRoomLink, toBase64Url, type RandomBytes } from './room-link';

function seeded(seed: number): RandomBytes {
  const prng = new Prng(seed);
  return (n) => prng.bytes(n);
}

describe('room links', () => {
  test('[RTC1] a room is 16 + 32 random bytes, base64url, from the injected source', () => {
    const room = createRoom(seeded(1));
    expect(room.roomId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(room.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createRoom(seeded(1))).toEqual(room); // deterministic given the source
    expect(createRoom(seeded(2))).not.toEqual(room);
    expect(fromBase64Url(room.secret)!.length).toBe(32);
  });

  test('[RTC2] the link carries the room only in the fragment, replacing any old fragment', () => {
    const room = createRoom(seeded(3));
    const link = formatRoomLink('https://host.example/app/?x=1#room=old&key=old', room);
    expect(link).toBe(`https://host.example/app/?x=1#room=${room.roomId}&key=${room.secret}`);
    const url = new URL(link);
    expect(url.pathname + url.search).not.toContain(room.secret); // what an HTTP request would carry
    expect(url.hash).toContain(room.secret);
  });

  test('[RTC3] a link, a #hash and a bare fragment all parse back to the room', () => {
    const room = createRoom(seeded(4));
    const link = formatRoomLink('https://host/', room);
    expect(parseRoomLink(link)).toEqual({ ok: true, room });
    expect(parseRoomLink(new URL(link).hash)).toEqual({ ok: true, room });
    expect(parseRoomLink(`key=${room.secret}&x=y&room=${room.roomId}`)).toEqual({ ok: true, room });
  });

  test('[RTC3] bad input gives a reason and never throws', () => {
    const room = createRoom(seeded(5));
    const cases: Array<[unknown, string]> = [
      [42, 'not-a-string'],
      [null, 'not-a-string'],
      ['x'.repeat(5000), 'too-long'],
      ['https://host/', 'no-fragment'],
      ['#key=' + room.secret, 'missing-room'],
      ['#room=' + room.roomId, 'missing-key'],
      [`#room=short&key=${room.secret}`, 'bad-room'],
      [`#room=${room.roomId}&key=${room.secret}A`, 'bad-key'],
      [`#room=${room.roomId}&key=${room.secret.slice(0, -1)}+`, 'bad-key'],
      [`#room=${room.roomId}&key=%00%ff`, 'bad-key'],
      ['#room=&key=', 'bad-room'],
    ];
    for (const [input, reason] of cases) expect(parseRoomLink(input), String(input).slice(0, 40)).toEqual({ ok: false, reason });
  });

  test('[RTC3] the first room and key win, so an appended key cannot swap the secret', () => {
    const a = createRoom(seeded(6));
    const b = createRoom(seeded(7));
    expect(parseRoomLink(`#room=${a.roomId}&key=${a.secret}&key=${b.secret}`)).toEqual({ ok: true, room: a });
  });

  test('[RTC1] base64url round-trips and rejects non-canonical text', () => {
    const prng = new Prng(8);
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, () => prng.next() & 0xff);
      expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
    }
    expect(fromBase64Url('AB')).toBeNull(); // stray low bits: 'AA' is the canonical spelling
    expect(fromBase64Url('A')).toBeNull();
    expect(fromBase64Url('AA==')).toBeNull();
    expect(fromBase64Url('a/b+')).toBeNull();
  });
});
