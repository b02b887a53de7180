/**
 * The unread bytes of an input, in a buffer the reader owns. Inputs are read straight into the
 * free space after `end` (no per-chunk allocation); before each read the few unread bytes of a
 * record that straddles two reads move to the front. Frames point into `buf` and stay valid
 * until the next reserve().
 */
export class ByteWindow {
  buf: Uint8Array = new Uint8Array(0);
  /** Next unread byte, and the end of the valid bytes, in `buf`. */
  pos = 0;
  end = 0;
  /** Absolute input offset of buf[0]. */
  base = 0;
  /** No more bytes will come. */
  ended = false;

  /** Make room for at least `min` more bytes after `end`. */
  reserve(min: number): void {
    if (this.buf.length - this.end >= min) return;
    const unread = this.end - this.pos;
    if (this.buf.length - unread >= min) {
      this.buf.copyWithin(0, this.pos, this.end);
    } else {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, unread + min));
      grown.set(this.buf.subarray(this.pos, this.end));
      this.buf = grown;
    }
    this.base += this.pos;
    this.pos = 0;
    this.end = unread;
  }

  /** `n` bytes were written at `end`. */
  commit(n: number): void {
    this.end += n;
  }

  /** Append a chunk by copying it (tests, tcpdump text, decompressed streams). */
  feed(chunk: Uint8Array): void {
    this.reserve(chunk.length);
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  get available(): number {
    return this.end - this.pos;
  }

  /** Absolute input offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }
}
