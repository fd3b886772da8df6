// A map from integer keys to small integers, in two typed arrays (open
// addressing, linear probing). A snapshot's scan indexes every container and
// list element by an integer key ((op position + 1) × 1024 + action index):
// ~100,000 entries for a 100,000-op board. In a Map each insert cost ~0.5–1 µs
// in a Chromium worker (entry objects, the table regrown step by step), ~70 ms
// of a cold open's restore; here it is a hash and a store, and the table is
// sized once from the expected count.

/** The most entries per slot before the table doubles. */
const LOAD = 0.5;
const EMPTY = -1;

export class IntTable {
  private keys: Float64Array;
  private values: Int32Array;
  private bits: number;
  private count = 0;

  /** `expected`: how many entries it will likely hold (it grows past that). */
  constructor(expected = 8) {
    this.bits = 3;
    while (2 ** this.bits * LOAD < expected) this.bits++;
    this.keys = new Float64Array(2 ** this.bits).fill(EMPTY);
    this.values = new Int32Array(2 ** this.bits);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Adds `key` (an integer in [0, 2^53)) → `value` (an int32); returns false,
   * changing nothing, when the key is there already.
   */
  add(key: number, value: number): boolean {
    if (this.count + 1 > 2 ** this.bits * LOAD) this.grow();
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let i = this.slot(key); ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === key) return false;
      if (k === EMPTY) {
        keys[i] = key;
        this.values[i] = value;
        this.count++;
        return true;
      }
    }
  }

  get(key: number): number | undefined {
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let i = this.slot(key); ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === key) return this.values[i];
      if (k === EMPTY) return undefined;
    }
  }

  /** Fibonacci hashing of both 32-bit halves: the top `bits` bits of the product. */
  private slot(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) >>> 0;
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> (32 - this.bits);
  }

  private grow(): void {
    const { keys, values } = this;
    this.bits++;
    this.keys = new Float64Array(2 ** this.bits).fill(EMPTY);
    this.values = new Int32Array(2 ** this.bits);
    this.count = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) this.add(keys[i]!, values[i]!);
  }
}
