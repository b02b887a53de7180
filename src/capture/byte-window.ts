/** Room before each read's bytes for the unread tail of the previous read (a record that straddles). */
export const READ_PREFIX = 512 * 1024;

/**
 * The unread bytes of an input, in buffers the reader owns, filled in one of two ways:
 * - double-buffered reads (files, pipes): the next read goes into a spare buffer at READ_PREFIX
 *   while the current one is parsed; swapIn() then moves the few unread bytes of a straddling
 *   record in front of it and makes it current. No per-read allocation and no copy of the data.
 * - feed(chunk): copied in after `end` (tests, tcpdump text).
 * Frames point into `buf` and stay valid until the next swapIn(), reserve() or feed().
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

  private spare: Uint8Array | null = null;

  /** The buffer the next read should fill, from READ_PREFIX on, with up to `size` bytes. */
  readTarget(size: number): Uint8Array {
    if (this.spare === null || this.spare.length < READ_PREFIX + size) this.spare = new Uint8Array(READ_PREFIX + size);
    return this.spare;
  }

  /** The read into readTarget() delivered `n` bytes: they become the bytes to parse next. */
  swapIn(n: number): void {
    const target = this.spare!;
    const unread = this.end - this.pos;
    if (unread > READ_PREFIX) {
      // A block larger than the prefix is still incomplete (rare): join both into a new buffer.
      const joined = new Uint8Array(unread + n);
      joined.set(this.buf.subarray(this.pos, this.end));
      joined.set(target.subarray(READ_PREFIX, READ_PREFIX + n), unread);
      this.base += this.pos;
      this.buf = joined;
      this.pos = 0;
      this.end = joined.length;
      return;
    }
    target.set(this.buf.subarray(this.pos, this.end), READ_PREFIX - unread);
    this.base += this.end - READ_PREFIX;
    this.spare = this.buf.length >= READ_PREFIX ? this.buf : null;
    this.buf = target;
    this.pos = READ_PREFIX - unread;
    this.end = READ_PREFIX + n;
  }

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
