const EMPTY = new Uint8Array(0);

/**
 * The unread bytes of a chunked input. Chunks are used in place; only the tail of a record that
 * straddles two chunks is copied, so a reader never holds more than one chunk plus one record.
 */
export class ByteWindow {
  buf: Uint8Array = EMPTY;
  /** Next unread byte in `buf`. */
  pos = 0;
  /** Absolute input offset of buf[0]. */
  base = 0;
  ended = false;

  feed(chunk: Uint8Array): void {
    const rest = this.buf.length - this.pos;
    if (rest === 0) {
      this.base += this.buf.length;
      this.buf = chunk;
    } else {
      const joined = new Uint8Array(rest + chunk.length);
      joined.set(this.buf.subarray(this.pos));
      joined.set(chunk, rest);
      this.base += this.pos;
      this.buf = joined;
    }
    this.pos = 0;
  }

  get available(): number {
    return this.buf.length - this.pos;
  }

  /** Absolute input offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }
}
