/** A report is handed out in pieces of about this many bytes. */
export const PIECE = 1 << 20;

/**
 * Appends text as UTF-8 to a buffer of about PIECE bytes and hands out full pieces: a large
 * report never exists as one string (at 60,000 connections that alone took more memory than the
 * analysis), and each line is encoded once, straight into the piece that is written.
 */
export class PieceWriter {
  private buf = Buffer.allocUnsafe(PIECE);
  private used = 0;
  private done: Uint8Array[] = [];

  text(s: string): void {
    const room = s.length * 3; // the most UTF-8 bytes one UTF-16 unit can need
    if (this.used + room > this.buf.length) {
      if (this.used > 0) this.cut();
      if (room > this.buf.length) this.buf = Buffer.allocUnsafe(room);
    }
    this.used += this.buf.write(s, this.used, "utf8");
    if (this.used >= PIECE / 2) this.cut();
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

  /** Only the full pieces: a small tail waits for more text. */
  takeFull(): Uint8Array[] {
    const out = this.done;
    this.done = [];
    return out;
  }

  private cut(): void {
    this.done.push(this.buf.subarray(0, this.used));
    this.buf = Buffer.allocUnsafe(PIECE);
    this.used = 0;
  }
}
