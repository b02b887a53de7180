/**
 * tcpdump text cut into lines as it arrives: chunks of any size in, one line at a time out, with
 * its number and byte offset. A line longer than MAX_LINE is not tcpdump output: it is reported
 * once and skipped without being buffered.
 */
import { Buffer } from "node:buffer";

/** A "line" longer than this is not tcpdump output. */
export const MAX_LINE = 1 << 20;

/** What next() found. */
export enum LineEvent {
  /** Nothing complete yet: feed more. */
  None = 0,
  /** `line` holds the next non-empty line (without its end of line). */
  Line = 1,
  /** A line longer than MAX_LINE starts at `offset`: it is skipped up to its end. */
  Overlong = 2,
  /** finish() was called and every line has been taken. */
  End = 3,
}

/** One latin1 character per byte: offsets in the text are byte offsets in the input. */
export function latin1(chunk: Uint8Array): string {
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
}

export class TextLines {
  /** The line found by the last next() that returned Line. */
  line = "";
  /** Its number (1-based, empty lines counted) and the byte offset where it starts. */
  lineNo = 0;
  offset = 0;

  private text = "";
  private pos = 0;
  /** Chunks without an end of line, after `text`. */
  private readonly tail: string[] = [];
  private tailLength = 0;
  /** Byte offset of text[0] in the input. */
  private base = 0;
  private ended = false;
  /** Inside an over-long line: drop everything up to the next newline. */
  private discarding = false;

  feed(chunk: Uint8Array): void {
    if (this.ended || chunk.length === 0) return;
    const s = latin1(chunk);
    if (s.indexOf("\n") < 0) {
      // No end of line: park it, so a line trickling in byte by byte is joined once, not per byte.
      if (this.discarding && this.pos >= this.text.length && this.tail.length === 0) this.base += s.length;
      else {
        this.tail.push(s);
        this.tailLength += s.length;
      }
      return;
    }
    const rest = this.pos < this.text.length ? this.text.slice(this.pos) : "";
    this.base += this.pos;
    this.text = this.tail.length === 0 ? rest + s : rest + this.tail.join("") + s;
    this.pos = 0;
    this.tail.length = 0;
    this.tailLength = 0;
  }

  finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.tail.length > 0) {
      this.base += this.pos;
      this.text = this.text.slice(this.pos) + this.tail.join("");
      this.pos = 0;
      this.tail.length = 0;
      this.tailLength = 0;
    }
  }

  next(): LineEvent {
    for (;;) {
      const text = this.text;
      const start = this.pos;
      let nl = text.indexOf("\n", start);
      if (nl < 0) {
        if (text.length - start + this.tailLength > MAX_LINE) {
          if (this.overlong(start)) return LineEvent.Overlong;
          continue;
        }
        if (!this.ended || start >= text.length) return this.ended ? LineEvent.End : LineEvent.None;
        nl = text.length;
      }
      this.pos = nl + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      let end = nl;
      if (end > start && text.charCodeAt(end - 1) === 13) end--;
      this.lineNo++;
      this.offset = this.base + start;
      if (end === start) continue;
      this.line = end - start === text.length ? text : text.slice(start, end);
      return LineEvent.Line;
    }
  }

  /** Drop the buffered part of an over-long line; true the first time for that line. */
  private overlong(start: number): boolean {
    const first = !this.discarding;
    if (first) {
      this.lineNo++;
      this.offset = this.base + start;
      this.discarding = true;
    }
    this.base += this.text.length + this.tailLength;
    this.text = "";
    this.pos = 0;
    this.tail.length = 0;
    this.tailLength = 0;
    return first;
  }
}
