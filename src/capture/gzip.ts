import { crc32 } from "node:zlib";
import { type InflateInput, Inflater, InflateStatus } from "./inflate.js";
import { type CaptureIssue, InputError } from "./issue.js";
import type { ReadInto } from "./open.js";

export interface Gunzipped {
  /** The decompressed bytes, from offset 0. */
  read: ReadInto;
  /** What was wrong with the compressed data, located to the compressed byte ("gzip: ..."). */
  warnings: CaptureIssue[];
}

const READ = 256 * 1024;
/** A header's file name or comment longer than this is damage, not a name. */
const MAX_HEADER = 1024 * 1024;
const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;
const FRESERVED = 0xe0;

enum State {
  Header = 0,
  Body = 1,
  Trailer = 2,
  /** After damage: looking for the start of the next member. */
  Scan = 3,
  Done = 4,
}

/**
 * gunzip (RFC 1952) that keeps what it can: members one after another (a multi-member file is
 * normal: `cat a.gz b.gz`), every byte decompressed before damage delivered, and each problem a
 * warning at its compressed byte offset: a bad CRC-32 or length in a trailer (the data is kept),
 * a file cut short, bytes after the last member that are not gzip (zero padding is accepted
 * silently, as gzip does), damage inside a member (the rest of that member is lost; reading
 * resumes at the next member if there is one). Only damage before the first decompressed byte is
 * an InputError.
 */
export function gunzip(path: string, compressed: ReadInto): Gunzipped {
  const g = new GzipStream(path, compressed);
  return { read: (buf, offset, length) => g.read(buf, offset, length), warnings: g.warnings };
}

class GzipStream {
  readonly warnings: CaptureIssue[] = [];
  private readonly input: InflateInput = { buf: new Uint8Array(READ + 8), pos: 0, bit: 0, end: 0, final: false };
  /** Absolute offset of input.buf[0] in the compressed file. */
  private base = 0;
  private readonly inflater = new Inflater();
  private state = State.Header;
  private members = 0;
  private memberAt = 0;
  private crc = 0;
  private size = 0;
  /** Decompressed bytes delivered so far. */
  private delivered = 0;
  /** Where the damage that is being skipped began. */
  private damagedAt = 0;
  /** The last member's trailer did not match: where it ended is in doubt, so look for the next one. */
  private suspect = false;

  constructor(
    private readonly path: string,
    private readonly compressed: ReadInto,
  ) {}

  async read(dst: Uint8Array, at: number, length: number): Promise<number> {
    let n = 0;
    while (n < length) {
      if (this.inflater.pending > 0) {
        const got = this.inflater.take(dst, at + n, length - n);
        this.crc = crc32(dst.subarray(at + n, at + n + got), this.crc);
        this.size += got;
        this.delivered += got;
        n += got;
        continue;
      }
      // Deliver what there is rather than wait for more compressed bytes.
      if (n > 0 && this.input.end - this.input.pos < READ / 4 && !this.input.final) break;
      if (this.state === State.Done) break;
      await this.step();
    }
    return n;
  }

  /** Advance the state machine by one step (reading compressed bytes when it needs them). */
  private async step(): Promise<void> {
    switch (this.state) {
      case State.Header:
        return this.header();
      case State.Body:
        return this.body();
      case State.Trailer:
        return this.trailer();
      case State.Scan:
        return this.scan();
    }
  }

  private get offset(): number {
    return this.base + this.input.pos;
  }

  /** Make at least `n` unread bytes available; false if the input ends first. */
  private async ensure(n: number): Promise<boolean> {
    const inp = this.input;
    while (inp.end - inp.pos < n) {
      if (inp.final) return false;
      await this.fill(n);
    }
    return true;
  }

  /** Read more compressed bytes (room for at least `want` unread ones); sets `final` at the end. */
  private async fill(want = 0): Promise<void> {
    const inp = this.input;
    if (inp.pos > 0) {
      inp.buf.copyWithin(0, inp.pos, inp.end);
      this.base += inp.pos;
      inp.end -= inp.pos;
      inp.pos = 0;
    }
    if (inp.buf.length - 8 - inp.end < Math.max(want - inp.end, READ / 4)) {
      const grown = new Uint8Array(Math.max(inp.buf.length * 2, want + READ) + 8);
      grown.set(inp.buf.subarray(0, inp.end));
      inp.buf = grown;
    }
    const got = await this.compressed(inp.buf, inp.end, inp.buf.length - 8 - inp.end);
    if (got === 0) inp.final = true;
    inp.end += got;
  }

  private async header(): Promise<void> {
    const inp = this.input;
    const first = this.members === 0;
    if (!(await this.ensure(1))) {
      this.state = State.Done; // the end, between members
      return;
    }
    this.memberAt = this.offset;
    if (!(await this.ensure(2)) || inp.buf[inp.pos] !== 0x1f || inp.buf[inp.pos + 1] !== 0x8b) {
      if (!this.suspect) return this.trailingBytes();
      this.damagedAt = this.offset;
      this.state = State.Scan;
      return;
    }
    if (!(await this.ensure(10))) return this.headerProblem(first, "the data ends inside it");
    const b = inp.buf;
    const p = inp.pos;
    const method = b[p + 2]!;
    const flags = b[p + 3]!;
    if (method !== 8) return this.headerProblem(first, `unknown compression method ${method}`);
    if ((flags & FRESERVED) !== 0) {
      return this.headerProblem(first, `reserved flags 0x${flags.toString(16)} set`);
    }
    let len = 10;
    if (flags & FEXTRA) {
      if (!(await this.ensure(len + 2))) return this.headerProblem(first, "the data ends inside it");
      len += 2 + (inp.buf[inp.pos + len]! | (inp.buf[inp.pos + len + 1]! << 8));
    }
    for (const flag of [FNAME, FCOMMENT]) {
      if (!(flags & flag)) continue;
      // A zero-terminated string.
      for (;;) {
        if (!(await this.ensure(len + 1))) {
          return this.headerProblem(first, "the data ends inside it");
        }
        if (len > MAX_HEADER) return this.headerProblem(first, "a name or comment over 1 MiB long");
        if (inp.buf[inp.pos + len++] === 0) break;
      }
    }
    if (flags & FHCRC) len += 2;
    if (!(await this.ensure(len))) return this.headerProblem(first, "the data ends inside it");
    if (flags & FHCRC) {
      const stored = inp.buf[inp.pos + len - 2]! | (inp.buf[inp.pos + len - 1]! << 8);
      const actual = crc32(inp.buf.subarray(inp.pos, inp.pos + len - 2)) & 0xffff;
      if (stored !== actual) {
        this.warn(this.offset + len - 2, "gzip: header checksum does not match the header; reading on");
      }
    }
    inp.pos += len;
    inp.bit = 0;
    this.members++;
    this.crc = 0;
    this.size = 0;
    this.inflater.reset();
    this.state = State.Body;
  }

  /** A member header that cannot be read: an error for the first member, after that the end of the data. */
  private headerProblem(first: boolean, why: string): Promise<void> {
    if (first) throw new InputError(this.path, this.memberAt, `gzip: damaged header (${why})`);
    this.input.pos = this.memberAt - this.base;
    return this.trailingBytes(`start a damaged gzip header (${why})`);
  }

  /**
   * Bytes after the last member that do not start another: ignored, with a warning unless all
   * zero (padding, which gzip accepts too).
   */
  private async trailingBytes(what = "are not gzip data"): Promise<void> {
    const inp = this.input;
    const from = this.offset;
    let zeros = true;
    for (;;) {
      for (let i = inp.pos; i < inp.end && zeros; i++) zeros = inp.buf[i] === 0;
      inp.pos = inp.end;
      if (inp.final) break;
      await this.fill();
    }
    const count = this.offset - from;
    if (!zeros) this.warn(from, `gzip: the ${count} bytes after the end of the compressed data ${what}; ignored`);
    this.state = State.Done;
  }

  private async body(): Promise<void> {
    const inp = this.input;
    const status = this.inflater.run(inp);
    switch (status) {
      case InflateStatus.NeedInput:
        return this.fill();
      case InflateStatus.OutputFull:
        return;
      case InflateStatus.End:
        this.state = State.Trailer;
        return;
      case InflateStatus.Damaged: {
        const damage = this.inflater.damage!;
        const at = this.base + damage.at;
        const kept = this.delivered + this.inflater.pending;
        if (kept === 0) throw new InputError(this.path, at, `gzip: ${damage.message}`);
        if (damage.cut) {
          this.warn(
            this.base + inp.end,
            `gzip: the compressed data ends inside a member (the file is cut short); kept the ${kept} bytes decompressed`,
          );
          inp.pos = inp.end;
          this.state = State.Done;
          return;
        }
        this.warn(
          at,
          `gzip: ${damage.message}; kept the ${kept} bytes decompressed before it, the rest of this member is lost`,
        );
        this.damagedAt = at;
        inp.pos = damage.at + 1;
        this.state = State.Scan;
        return;
      }
    }
  }

  private async trailer(): Promise<void> {
    const inp = this.input;
    const at = this.offset;
    if (!(await this.ensure(8))) {
      this.warn(
        at,
        `gzip: the compressed data ends inside a member's trailer (${inp.end - inp.pos} of 8 bytes); its data is complete but unchecked`,
      );
      inp.pos = inp.end;
      this.state = State.Done;
      return;
    }
    const b = inp.buf;
    const p = inp.pos;
    const crc = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
    const size = (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) >>> 0;
    // The data has all been taken: decoding stops at the end of the stream, which is after the last byte.
    this.suspect = crc !== this.crc >>> 0 || size !== this.size % 2 ** 32;
    if (crc !== this.crc >>> 0) {
      this.warn(
        at,
        `gzip: the member's CRC-32 ${hex(crc)} does not match its data (${hex(this.crc >>> 0)}); the data is kept`,
      );
    } else if (size !== this.size % 2 ** 32) {
      this.warn(
        at + 4,
        `gzip: the member's length field ${size} does not match its data (${this.size % 2 ** 32} bytes mod 2^32); the data is kept`,
      );
    }
    inp.pos += 8;
    this.state = State.Header;
  }

  /** After damage: the next plausible member header (magic, deflate, no reserved flags, a known XFL and OS). */
  private async scan(): Promise<void> {
    const inp = this.input;
    for (;;) {
      const b = inp.buf;
      for (let p = inp.pos; p + 10 <= inp.end; p++) {
        if (b[p] !== 0x1f || b[p + 1] !== 0x8b || b[p + 2] !== 8 || (b[p + 3]! & FRESERVED) !== 0) continue;
        const xfl = b[p + 8]!;
        const os = b[p + 9]!;
        if ((xfl !== 0 && xfl !== 2 && xfl !== 4) || (os > 13 && os !== 255)) continue;
        inp.pos = p;
        this.warn(
          this.offset,
          `gzip: a new member starts here; reading resumes (${this.offset - this.damagedAt} compressed bytes skipped)`,
        );
        this.state = State.Header;
        return;
      }
      inp.pos = Math.max(inp.pos, inp.end - 9);
      if (inp.final) {
        const unread = this.base + inp.end - this.damagedAt;
        this.warn(this.damagedAt, `gzip: no gzip member after the damage; ${unread} compressed bytes unread`);
        inp.pos = inp.end;
        this.state = State.Done;
        return;
      }
      await this.fill();
    }
  }

  private warn(offset: number, message: string): void {
    this.warnings.push({ offset, message });
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
