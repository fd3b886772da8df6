// The replica's identity: an Ed25519 seed kept in the room's database (REPL8).
// Every open tab is its own replica with its own author, so each tab claims a
// numbered identity slot held with a Web Lock; a reload finds its slot free
// again and reuses the same key instead of minting a new author every time.
import type { MetaStore } from '../storage/op-store.js';

/** The part of the Web Locks API used here (navigator.locks). */
export interface LockPort {
  request(name: string, options: { ifAvailable: true }, callback: (lock: unknown) => Promise<unknown>): Promise<unknown>;
}

export interface Identity {
  readonly slot: number;
  readonly seed: Uint8Array;
  /** Releases the slot's lock (on close). */
  readonly release: () => void;
}

export const MAX_IDENTITY_SLOTS = 64;

/** Claims the first free identity slot of a room, creating its seed if new. */
export async function claimIdentity(
  meta: MetaStore,
  roomId: string,
  randomSeed: () => Uint8Array,
  locks: LockPort | undefined,
): Promise<Identity> {
  for (let slot = 0; slot < MAX_IDENTITY_SLOTS; slot++) {
    const release = locks ? await tryLock(locks, `huskies:${roomId}:identity:${slot}`) : () => {};
    if (!release) continue;
    const key = `identity/${slot}`;
    let seed = await meta.get(key);
    if (!(seed instanceof Uint8Array) || seed.length !== 32) {
      seed = randomSeed();
      await meta.set(key, seed);
    }
    return { slot, seed: seed as Uint8Array, release };
  }
  throw new Error(`all ${MAX_IDENTITY_SLOTS} identity slots of this room are in use`);
}

function tryLock(locks: LockPort, name: string): Promise<(() => void) | undefined> {
  return new Promise((resolve) => {
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    void locks.request(name, { ifAvailable: true }, async (lock) => {
      if (lock === null) { resolve(undefined); return; }
      resolve(release);
      await held; // keep the lock until released or the worker ends
    });
  });
}
