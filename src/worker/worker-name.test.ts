// The replica worker's name carries the room to preload (APP13); a name
// that is not one of ours, or names a malformed room id, preloads nothing.
import { expect, test } from 'vitest';
import { preloadRoomOf, replicaWorkerName } from './worker-name.js';

test('[APP13] the worker name round-trips a room id', () => {
  expect(replicaWorkerName('su3IXLBuMkRmLmElrimlqg')).toBe('huskies-replica su3IXLBuMkRmLmElrimlqg');
  expect(preloadRoomOf(replicaWorkerName('su3IXLBuMkRmLmElrimlqg'))).toBe('su3IXLBuMkRmLmElrimlqg');
  expect(replicaWorkerName()).toBe('huskies-replica');
  expect(preloadRoomOf(replicaWorkerName())).toBeUndefined();
});

test('[APP13] malformed names and room ids preload nothing', () => {
  for (const name of ['', 'huskies-replica', 'huskies-replica ', 'huskies-replicax abc', 'other abc', 'huskies-replica a/b', `huskies-replica ${'a'.repeat(65)}`, 'huskies-replica a b', 'huskies-replica abc']) {
    expect(preloadRoomOf(name)).toBeUndefined();
  }
  expect(replicaWorkerName('a/b')).toBe('huskies-replica');
});
