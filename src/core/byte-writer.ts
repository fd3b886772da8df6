// A growable byte buffer, the one writer under the op codec, the snapshot
// and the sync messages: appends grow it by doubling; each format adds its
// own fields (and range checks) on top.
export class ByteWriter {
  length = 0;

  constructor(protected buf: Uint8Array) {}

  /** Makes room for `n` more bytes. */
  protected reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.grew(next);
  }

  /** Called with the new buffer after the writer grew. */
  protected grew(_next: Uint8Array): void {}

  byte(b: number): void { this.reserve(1); this.buf[this.length++] = b; }

  bytes(b: Uint8Array): void { this.reserve(b.length); this.buf.set(b, this.length); this.length += b.length; }

  /** LEB128 of a non-negative safe integer (at most 8 bytes); formats check their own ranges first. */
  uvarint(n: number): void {
    this.reserve(8);
    while (n >= 0x80) { this.buf[this.length++] = (n % 0x80) | 0x80; n = Math.floor(n / 0x80); }
    this.buf[this.length++] = n;
  }

  /** What was written, as a view (valid until the next write). */
  written(): Uint8Array { return this.buf.subarray(0, this.length); }

  /** A copy of what was written, with `room` zero bytes after it. */
  copy(room = 0): Uint8Array {
    const out = new Uint8Array(this.length + room);
    out.set(this.buf.subarray(0, this.length));
    return out;
  }
}
