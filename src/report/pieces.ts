/** A report is handed out in pieces of about this many bytes. */
export const PIECE = 1 << 20;
/** Written pieces kept for reuse, at most. */
const SPARE = 8;

/**
 * Appends text as UTF-8 to a buffer of about PIECE bytes and hands out full pieces: a large
 * report never exists as one string (at 60,000 connections that alone took more memory than the
 * analysis), and each line is encoded once, straight into the piece that is written. Pieces given
 * back with release() once written are reused: a freed Buffer's memory returns only when the
 * garbage collector finds it, and 100 MB of NDJSON would otherwise be that much of it.
 */
export class PieceWriter {
  private buf: Buffer = Buffer.allocUnsafe(PIECE);
  private used = 0;
  private done: Uint8Array[] = [];
  private spare: Buffer[] = [];

  text(s: string): void {
    const room = s.length * 3; // the most UTF-8 bytes one UTF-16 unit can need
    if (this.used + room > this.buf.length) {
      if (this.used > 0) this.cut();
      if (room > this.buf.length) this.buf = Buffer.allocUnsafe(room);
    }
    this.used += this.buf.write(s, this.used, "utf8");
  }

  /** Bytes written and not yet taken. */
  get pending(): number {
    let n = this.used;
    for (const p of this.done) n += p.length;
    return n;
  }

  /** Everything written since the last take(), in order (the current piece too, however small). */
  take(): Uint8Array[] {
    if (this.used > 0) this.cut();
    const out = this.done;
    this.done = [];
    return out;
  }

  /** Only the full pieces (about PIECE bytes each): a small tail waits for more text. */
  takeFull(): Uint8Array[] {
    const out = this.done;
    this.done = [];
    return out;
  }

  /** A piece handed out by take() is written and no longer referenced: its memory can serve again. */
  release(piece: Uint8Array): void {
    if (piece.buffer.byteLength === PIECE && this.spare.length < SPARE) this.spare.push(Buffer.from(piece.buffer));
  }

  /** A buffer of PIECE bytes: a released one when there is one. */
  allocate(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafe(PIECE);
  }

  private cut(): void {
    this.done.push(this.buf.subarray(0, this.used));
    this.buf = this.allocate();
    this.used = 0;
  }
}
