/**
 * Raw DEFLATE (RFC 1951) that stops at damage and says where. node:zlib discards the output of the
 * call that meets damage and cannot say which compressed byte was wrong; this decoder keeps every
 * byte decoded before the first invalid code and names the byte that code starts in, which is
 * what a damaged .pcap.gz needs (every packet before the damage, and where it is). Its checks and
 * messages are zlib's (inflate.c, inftrees.c), so it accepts and refuses the same streams.
 *
 * Pull-based: the caller keeps `input` filled (whole symbols are decoded only when enough bytes
 * are there, unless the input is final), calls run(), and takes the output with take().
 */

/** Compressed bytes: buf[pos, end) are unread; `bit` (0-7) is the next unread bit of buf[pos]. */
export interface InflateInput {
  buf: Uint8Array;
  pos: number;
  bit: number;
  end: number;
  /** No more bytes will come after `end`. */
  final: boolean;
}

export enum InflateStatus {
  /** More input is needed to decode further (never returned when the input is final). */
  NeedInput = 0,
  /** The output buffer is full: take() it, then run() again. */
  OutputFull = 1,
  /** The last block ended; `input.pos` is the first byte after the stream. */
  End = 2,
  /** `damage` says what and where; everything decoded before it is in the output. */
  Damaged = 3,
}

export interface InflateDamage {
  /** Index in input.buf of the byte holding the first bit of what could not be decoded. */
  at: number;
  message: string;
  /** The input ended inside a block: cut short rather than damaged. */
  cut: boolean;
}

/** The history a match may reach back into. */
const WINDOW = 32 * 1024;
const OUT_CHUNK = 256 * 1024;
const MAX_MATCH = 258;
/** Bits a length symbol, its extra bits, a distance code and its extra bits take at most, and a byte the bit buffer reads ahead. */
const SYMBOL_BITS = 15 + 5 + 15 + 13 + 8;
/** Bytes a dynamic block header takes at most (3 + 14 + 19 * 3 + 316 * 7 bits, rounded up). */
const HEADER_BYTES = 320;

const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order in which code-length code lengths are sent. */
const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

const REVERSE8 = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let r = 0;
  for (let b = 0; b < 8; b++) r |= ((i >> b) & 1) << (7 - b);
  REVERSE8[i] = r;
}

/**
 * A decoding table indexed by the next `bits` input bits (LSB first): entries are
 * (symbol << 4) | code length, 0 where no code exists.
 */
interface Table {
  entries: Uint16Array;
  bits: number;
}

enum Kind {
  CodeLengths = 0,
  Lengths = 1,
  Distances = 2,
}

/**
 * Build `t` from code lengths (canonical Huffman, RFC 1951 section 3.2.2); false if they make no
 * valid code: over-subscribed, or incomplete where zlib refuses that (all but a single code).
 */
function buildTable(lengths: Uint8Array, n: number, t: Table, kind: Kind): boolean {
  const count = new Uint16Array(16);
  for (let s = 0; s < n; s++) count[lengths[s]!]!++;
  count[0] = 0;
  let max = 15;
  while (max > 0 && count[max] === 0) max--;
  t.bits = Math.max(max, 1);
  t.entries.fill(0, 0, 1 << t.bits);
  if (max === 0) return true; // no codes at all: any use is an invalid code
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = (left << 1) - count[len]!;
    if (left < 0) return false; // over-subscribed
  }
  if (left > 0 && (kind === Kind.CodeLengths || max !== 1)) return false; // incomplete
  const next = new Uint16Array(16);
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + count[len - 1]!) << 1;
    next[len] = code;
  }
  const size = 1 << t.bits;
  for (let s = 0; s < n; s++) {
    const len = lengths[s]!;
    if (len === 0) continue;
    const code = next[len]!++;
    const reversed = ((REVERSE8[code & 0xff]! << 8) | REVERSE8[code >> 8]!) >> (16 - len);
    const entry = (s << 4) | len;
    for (let i = reversed; i < size; i += 1 << len) t.entries[i] = entry;
  }
  return true;
}

function newTable(): Table {
  return { entries: new Uint16Array(1 << 15), bits: 1 };
}

const FIXED_LIT = newTable();
buildTable(
  new Uint8Array(288).fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288),
  288,
  FIXED_LIT,
  Kind.Lengths,
);
/** The fixed code has 32 five-bit distance codes; 30 and 31 never occur in valid data. */
const FIXED_DIST: Table = { entries: new Uint16Array(32), bits: 5 };
for (let s = 0; s < 30; s++) FIXED_DIST.entries[REVERSE8[s << 3]!] = (s << 4) | 5;

enum Mode {
  BlockHeader = 0,
  Stored = 1,
  Codes = 2,
  Done = 3,
}

/** Up to 25 bits from bit `bit` of b[i] on (bytes past the array read as 0). */
function bitsAt(b: Uint8Array, i: number, bit: number): number {
  return ((b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> bit) & 0x1ffffff;
}

export class Inflater {
  /** Decoded bytes: the last WINDOW bytes before `taken` are history, out[taken, outPos) not yet taken. */
  private readonly out = new Uint8Array(WINDOW + OUT_CHUNK + MAX_MATCH);
  private outPos = 0;
  private taken = 0;
  /** Bytes decoded since reset(): a match may not reach back further. */
  private produced = 0;
  private mode = Mode.BlockHeader;
  private last = false;
  private storedLeft = 0;
  private lit: Table = newTable();
  private dist: Table = newTable();
  private readonly dynLit = newTable();
  private readonly dynDist = newTable();
  private readonly lengths = new Uint8Array(286 + 32);
  damage: InflateDamage | null = null;

  /** Start a new stream (a gzip member): no history, no damage. */
  reset(): void {
    this.produced = 0;
    this.mode = Mode.BlockHeader;
    this.last = false;
    this.damage = null;
  }

  /** Decoded bytes not yet taken. */
  get pending(): number {
    return this.outPos - this.taken;
  }

  /** Copy up to `length` decoded bytes into dst at `at`; returns how many. */
  take(dst: Uint8Array, at: number, length: number): number {
    const n = Math.min(length, this.outPos - this.taken);
    dst.set(this.out.subarray(this.taken, this.taken + n), at);
    this.taken += n;
    return n;
  }

  run(input: InflateInput): InflateStatus {
    if (this.damage) return InflateStatus.Damaged;
    if (this.taken === this.outPos && this.outPos > WINDOW + OUT_CHUNK / 2) {
      // Everything was taken: keep the window as history and start over behind it.
      this.out.copyWithin(0, this.outPos - WINDOW, this.outPos);
      this.outPos = this.taken = WINDOW;
    }
    for (;;) {
      switch (this.mode) {
        case Mode.Done:
          return InflateStatus.End;
        case Mode.BlockHeader: {
          const status = this.blockHeader(input);
          if (status !== null) return status;
          break;
        }
        case Mode.Stored: {
          const status = this.stored(input);
          if (status !== null) return status;
          break;
        }
        case Mode.Codes: {
          const status = this.codes(input);
          if (status !== null) return status;
          break;
        }
      }
    }
  }

  private fail(input: InflateInput, at: number, message: string, cut = false): InflateStatus {
    this.damage = { at, message, cut };
    input.pos = at;
    input.bit = 0;
    return InflateStatus.Damaged;
  }

  /** Read a block header; null when a block starts (mode changed), else a status to return. */
  private blockHeader(input: InflateInput): InflateStatus | null {
    if (this.last) {
      // The stream ends at the next byte boundary.
      if (input.bit > 0) input.pos++;
      input.bit = 0;
      this.mode = Mode.Done;
      return InflateStatus.End;
    }
    const b = input.buf;
    const start = input.pos;
    const startBit = input.bit;
    if (!input.final && input.end - start < HEADER_BYTES) return InflateStatus.NeedInput;
    let pos = start * 8 + startBit;
    const limit = input.end * 8;
    const read = (n: number): number => {
      const v = bitsAt(b, pos >>> 3, pos & 7) & ((1 << n) - 1);
      pos += n;
      return v;
    };
    // Past the end of a final input the bits read are not data: that is a cut, not damage.
    const bad = (message: string): InflateStatus =>
      pos > limit ? this.truncated(input, start) : this.fail(input, start, message);
    const head = read(3);
    if (pos > limit) return this.truncated(input, start);
    this.last = (head & 1) === 1;
    const type = head >> 1;
    if (type === 0) {
      // Stored: LEN and its complement, byte-aligned.
      let p = (pos + 7) >>> 3;
      if (p + 4 > input.end) return input.final ? this.truncated(input, start) : InflateStatus.NeedInput;
      const len = b[p]! | (b[p + 1]! << 8);
      const nlen = b[p + 2]! | (b[p + 3]! << 8);
      if (len !== (~nlen & 0xffff)) return this.fail(input, start, "invalid stored block lengths");
      p += 4;
      input.pos = p;
      input.bit = 0;
      this.storedLeft = len;
      this.mode = Mode.Stored;
      return null;
    }
    if (type === 1) {
      this.lit = FIXED_LIT;
      this.dist = FIXED_DIST;
    } else if (type === 2) {
      const nlen = read(5) + 257;
      const ndist = read(5) + 1;
      const ncode = read(4) + 4;
      if (pos > limit) return this.truncated(input, start);
      if (nlen > 286 || ndist > 30) return bad("too many length or distance symbols");
      const lengths = this.lengths;
      lengths.fill(0, 0, 19);
      for (let i = 0; i < ncode; i++) lengths[CLEN_ORDER[i]!] = read(3);
      if (pos > limit) return this.truncated(input, start);
      const clen = this.dynLit; // borrowed for the code-length code
      if (!buildTable(lengths, 19, clen, Kind.CodeLengths)) return bad("invalid code lengths set");
      const mask = (1 << clen.bits) - 1;
      let i = 0;
      while (i < nlen + ndist) {
        const e = clen.entries[bitsAt(b, pos >>> 3, pos & 7) & mask]!;
        if (e === 0) {
          pos += clen.bits;
          return bad("invalid code lengths set");
        }
        pos += e & 15;
        const sym = e >> 4;
        if (sym < 16) {
          lengths[i++] = sym;
          continue;
        }
        let repeat: number;
        let value = 0;
        if (sym === 16) {
          if (i === 0) return bad("invalid bit length repeat");
          value = lengths[i - 1]!;
          repeat = 3 + read(2);
        } else if (sym === 17) repeat = 3 + read(3);
        else repeat = 11 + read(7);
        if (i + repeat > nlen + ndist) return bad("invalid bit length repeat");
        lengths.fill(value, i, i + repeat);
        i += repeat;
      }
      if (pos > limit) return this.truncated(input, start);
      if (lengths[256] === 0) return bad("invalid code -- missing end-of-block");
      if (!buildTable(lengths, nlen, this.dynLit, Kind.Lengths)) {
        return bad("invalid literal/lengths set");
      }
      if (!buildTable(lengths.subarray(nlen), ndist, this.dynDist, Kind.Distances)) {
        return bad("invalid distances set");
      }
      this.lit = this.dynLit;
      this.dist = this.dynDist;
    } else {
      return bad("invalid block type");
    }
    input.pos = pos >>> 3;
    input.bit = pos & 7;
    this.mode = Mode.Codes;
    return null;
  }

  /** A symbol from bit `start` that cannot be decoded, having read up to bit `reached`: a cut if that is past the end. */
  private bad(input: InflateInput, start: number, reached: number, limit: number, message: string): InflateStatus {
    return reached > limit ? this.truncated(input, start >>> 3) : this.fail(input, start >>> 3, message);
  }

  private truncated(input: InflateInput, at: number): InflateStatus {
    return this.fail(input, at, "compressed data ends inside a block", true);
  }

  private stored(input: InflateInput): InflateStatus | null {
    while (this.storedLeft > 0) {
      const room = this.out.length - MAX_MATCH - this.outPos;
      if (room <= 0) return InflateStatus.OutputFull;
      const have = input.end - input.pos;
      if (have === 0) return input.final ? this.truncated(input, input.pos) : InflateStatus.NeedInput;
      const n = Math.min(this.storedLeft, have, room);
      this.out.set(input.buf.subarray(input.pos, input.pos + n), this.outPos);
      this.outPos += n;
      this.produced += n;
      input.pos += n;
      this.storedLeft -= n;
    }
    this.mode = Mode.BlockHeader;
    return null;
  }

  /** Decode literals and matches until the end of the block, the end of the input or a full output. */
  private codes(input: InflateInput): InflateStatus | null {
    const b = input.buf;
    const out = this.out;
    const outLimit = out.length - MAX_MATCH;
    const lit = this.lit.entries;
    const litBits = this.lit.bits;
    const litMask = (1 << litBits) - 1;
    const dist = this.dist.entries;
    const distBits = this.dist.bits;
    const distMask = (1 << distBits) - 1;
    const end = input.end;
    const final = input.final;
    const limit = end * 8;
    // A bit buffer: `hold` has `bits` valid bits (LSB first), loaded from the bytes before `ip`.
    // Past the end of the array bytes read as 0; past `end` they are not data (checked below).
    let ip = input.pos;
    let hold = 0;
    let bits = 0;
    if (input.bit > 0) {
      hold = b[ip++]! >>> input.bit;
      bits = 8 - input.bit;
    }
    let op = this.outPos;
    let produced = this.produced;
    let status: InflateStatus | null = null;
    for (;;) {
      // Whole symbols only: stop where the next one might run past the bytes we have.
      if (!final && (end - ip) * 8 + bits < SYMBOL_BITS) {
        status = InflateStatus.NeedInput;
        break;
      }
      if (op >= outLimit) {
        status = InflateStatus.OutputFull;
        break;
      }
      const start = ip * 8 - bits;
      while (bits < 15) {
        hold |= (b[ip++]! | 0) << bits;
        bits += 8;
      }
      const e = lit[hold & litMask]!;
      const len = e & 15;
      const sym = e >> 4;
      if (e === 0 || sym > 285) {
        status = this.bad(input, start, start + (e === 0 ? litBits : len), limit, "invalid literal/length code");
        break;
      }
      hold >>>= len;
      bits -= len;
      if (sym < 256) {
        if (ip * 8 - bits > limit) {
          status = this.truncated(input, start >>> 3);
          break;
        }
        out[op++] = sym;
        produced++;
        continue;
      }
      if (sym === 256) {
        if (ip * 8 - bits > limit) {
          status = this.truncated(input, start >>> 3);
          break;
        }
        this.mode = Mode.BlockHeader;
        break;
      }
      const li = sym - 257;
      let length = LENGTH_BASE[li]!;
      const lx = LENGTH_EXTRA[li]!;
      if (lx > 0) {
        while (bits < lx) {
          hold |= (b[ip++]! | 0) << bits;
          bits += 8;
        }
        length += hold & ((1 << lx) - 1);
        hold >>>= lx;
        bits -= lx;
      }
      while (bits < 15) {
        hold |= (b[ip++]! | 0) << bits;
        bits += 8;
      }
      const d = dist[hold & distMask]!;
      if (d === 0) {
        status = this.bad(input, start, ip * 8 - bits + distBits, limit, "invalid distance code");
        break;
      }
      hold >>>= d & 15;
      bits -= d & 15;
      const di = d >> 4;
      let distance = DIST_BASE[di]!;
      const dx = DIST_EXTRA[di]!;
      if (dx > 0) {
        while (bits < dx) {
          hold |= (b[ip++]! | 0) << bits;
          bits += 8;
        }
        distance += hold & ((1 << dx) - 1);
        hold >>>= dx;
        bits -= dx;
      }
      if (ip * 8 - bits > limit) {
        status = this.truncated(input, start >>> 3);
        break;
      }
      if (distance > produced) {
        status = this.fail(input, start >>> 3, "invalid distance too far back");
        break;
      }
      let from = op - distance;
      const to = op + length;
      if (length > 32 && distance >= length) {
        out.copyWithin(op, from, from + length);
        op = to;
      } else {
        // Short or overlapping (a run): byte by byte beats a call into copyWithin.
        while (op < to) out[op++] = out[from++]!;
      }
      produced += length;
    }
    this.outPos = op;
    this.produced = produced;
    if (status !== InflateStatus.Damaged) {
      const pos = ip * 8 - bits;
      input.pos = pos >>> 3;
      input.bit = pos & 7;
    }
    return status;
  }
}
