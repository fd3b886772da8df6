// Room cryptography (docs/SPEC.md RTC4–RTC6) with Node 20's WebCrypto.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { Prng } from '../../tests/support/prng';
import { createRoomCipher, roomTopic, WRONG_ROOM_SECRET } from './room-crypto';
import { createRoom, fromBase64Url, toBase64Url, type RandomBytes } from './room-link';

function seeded(seed: number): RandomBytes {
  const prng = new Prng(seed);
  return (n) => prng.bytes(n);
}

describe('room crypto', () => {
  test('[RTC4] the topic is hex SHA-256 of "huskies-topic:" + room id, a valid relay topic', async () => {
    const room = createRoom(seeded(1));
    const expected = createHash('sha256').update('huskies-topic:' + room.roomId).digest('hex');
    expect(await roomTopic(room.roomId)).toBe(expected);
    expect((await createRoomCipher(room)).topic).toMatch(/^[0-9a-f]{64}$/);
  });

  test('[RTC5] seal/open round-trips and the sealed text reveals nothing', async () => {
    const room = createRoom(seeded(2));
    const a = await createRoomCipher(room, seeded(10));
    const b = await createRoomCipher(room);
    const message = { type: 'signal', from: 'replica-a', to: 'replica-b', data: { sdp: 'v=0 …', n: [1, 2] } };
    const sealed = await a.seal(message);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('replica');
    expect(await b.open(sealed)).toEqual({ ok: true, value: message });
    // Fresh IV per seal: sealing twice differs.
    expect(await a.seal(message)).not.toBe(sealed);
  });

  test('[RTC6] another secret or another room cannot open it: "wrong room secret", no throw', async () => {
    const room = createRoom(seeded(3));
    const other = createRoom(seeded(4));
    const sealed = await (await createRoomCipher(room)).seal({ hello: 1 });
    const wrongKey = await createRoomCipher({ roomId: room.roomId, secret: other.secret });
    expect(await wrongKey.open(sealed)).toEqual({ ok: false, error: WRONG_ROOM_SECRET });
    // Same secret, other room: the topic is bound as associated data.
    const wrongRoom = await createRoomCipher({ roomId: other.roomId, secret: room.secret });
    expect(await wrongRoom.open(sealed)).toEqual({ ok: false, error: WRONG_ROOM_SECRET });
  });

  test('[RTC6] tampered and malformed input gives a reason, never a throw', async () => {
    const cipher = await createRoomCipher(createRoom(seeded(5)));
    const sealed = await cipher.seal({ x: 'y' });
    const bytes = fromBase64Url(sealed)!;
    bytes[bytes.length - 1]! ^= 1;
    expect(await cipher.open(toBase64Url(bytes))).toEqual({ ok: false, error: WRONG_ROOM_SECRET });
    for (const bad of [undefined, 7, {}, '', 'AAAA', '!!!', 'A'.repeat(70_000)]) {
      const result = await cipher.open(bad);
      expect(result.ok).toBe(false);
    }
    expect(await cipher.open('A'.repeat(70_000))).toEqual({ ok: false, error: 'too-long' });
  });
});
