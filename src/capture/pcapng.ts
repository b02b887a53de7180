import { BaseFrameReader } from "./base-reader.js";
import { hex32, u16be, u16le, u32be, u32le } from "./bytes.js";
import type { Frame } from "./frame.js";
import type { CaptureIssue } from "./issue.js";
import { MAX_CAPLEN } from "./reader.js";

const SHB = 0x0a0d0d0a;
const IDB = 1;
const OPB = 2; // obsolete Packet Block, still written by old tools
const SPB = 3;
const EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Blocks beyond this are treated as damage: a packet block holds at most MAX_CAPLEN plus options. */
const MAX_BLOCK = 16 * 1024 * 1024;
const KNOWN_BLOCKS = new Set([SHB, IDB, OPB, SPB, 4, 5, EPB, 7, 9, 10, 0x0bad, 0x40000bad]);

/** A section header's block type, or (that type damaged) its byte-order magic where it belongs. */
export function isPcapngMagic(b: Uint8Array): boolean {
  return (b.length >= 4 && u32be(b, 0) === SHB) || (b.length >= 12 && byteOrderAt(b, 8) !== null);
}

/** The byte order a byte-order magic at `o` announces (true: little-endian), or null if there is none. */
function byteOrderAt(b: Uint8Array, o: number): boolean | null {
  if (u32le(b, o) === BYTE_ORDER_MAGIC) return true;
  if (u32be(b, o) === BYTE_ORDER_MAGIC) return false;
  return null;
}

interface Interface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second (if_tsresol) and the seconds to add (if_tsoffset). */
  unitsPerSec: number;
  tsOffset: number;
}

/**
 * pcapng: any number of sections, each with its own byte order and interfaces; EPB, SPB and OPB
 * carry packets, every other block is skipped by its length. A block whose length is impossible
 * (or whose trailing length disagrees) is reported and reading resumes at the next offset where a
 * well-formed block starts; so does a damaged first section header (its byte order is then taken
 * from the block found), and only a file with no valid block at all is an error.
 */
export class PcapngReader extends BaseFrameReader {
  override readonly format = "pcapng" as const;
  private le = true;
  /** False while the byte order is unknown: the first section header was damaged before it said. */
  private orderKnown = true;
  private sectionSeen = false;
  /** The first section header was damaged, where and why: an error if no valid block follows it. */
  private firstDamage: CaptureIssue | null = null;
  private blocksRead = 0;
  private interfaces: Interface[] = [];
  /** Interface ids packet blocks named in this section without a description (each said once). */
  private missingInterfaces: Set<number> | null = null;
  private resyncFrom = -1;
  /** A block that ran past the end of the input, until we know whether anything follows it. */
  private cutAt: { offset: number; length: number; present: number } | null = null;

  override finish(): void {
    this.win.ended = true;
    if (!this.sectionSeen && !this.error && this.win.available < 28) {
      this.error = { offset: this.win.offset, message: "pcapng section header truncated" };
    }
  }

  override next(frame: Frame): boolean {
    const w = this.win;
    for (;;) {
      if (this.error) return false;
      if (this.resyncFrom >= 0 && !this.resync()) return false;
      const b = w.buf;
      const p = w.pos;
      const avail = w.end - p;
      if (avail < 12) {
        if (w.ended && avail > 0) this.truncatedAtEnd();
        return false;
      }
      let type = this.le ? u32le(b, p) : u32be(b, p);
      if (type === SHB) {
        const order = byteOrderAt(b, p + 8);
        if (order !== null) this.le = order;
        else if (!this.sectionSeen) {
          this.orderKnown = false;
          this.damaged(p, `pcapng byte-order magic ${hex32(u32be(b, p + 8))} is invalid`, p + 8);
          continue;
        } else {
          this.damaged(p, "section header with an invalid byte-order magic");
          continue;
        }
        type = SHB;
      } else if (!this.sectionSeen) {
        // Still a pcapng file if the byte-order magic is where a section header keeps it.
        const order = byteOrderAt(b, p + 8);
        if (order === null) {
          this.error = { offset: w.base + p, message: `not a pcapng file (first block type ${hex32(type)})` };
          return false;
        }
        this.le = order;
        this.damaged(p, `first block type ${hex32(order ? u32le(b, p) : u32be(b, p))} is not a section header`);
        continue;
      }
      const len = this.le ? u32le(b, p + 4) : u32be(b, p + 4);
      if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK) {
        this.damaged(p, `block length ${len} is impossible`);
        continue;
      }
      if (avail < len) {
        if (!w.ended) return false;
        // Either the file was cut inside this block or its length is damaged: look for later blocks,
        // and if there are none, it was a cut.
        this.cutAt = { offset: w.base + p, length: len, present: avail };
        this.assumeSection(w.base + p, `block length ${len} runs past the end of the capture`);
        this.resyncFrom = w.base + p;
        w.pos = p + 4;
        continue;
      }
      const trailer = this.le ? u32le(b, p + len - 4) : u32be(b, p + len - 4);
      if (trailer !== len) {
        this.damaged(p, `block length ${len} does not match its trailing copy ${trailer}`);
        continue;
      }
      w.pos = p + len;
      this.blocksRead++;
      switch (type) {
        case SHB:
          this.sectionSeen = true;
          this.interfaces = [];
          this.missingInterfaces = null;
          break;
        case IDB:
          this.readInterface(b, p, len);
          break;
        case EPB:
        case OPB:
        case SPB:
          if (this.readPacket(frame, type, b, p, len)) return true;
          break;
        default:
          break; // statistics, name resolution, custom and unknown blocks carry no packets
      }
    }
  }

  private readInterface(b: Uint8Array, p: number, len: number): void {
    const le = this.le;
    if (len < 20) {
      // Keep the interface numbering right, but with nothing read from beyond the block.
      this.warnings.push({
        offset: this.win.base + p,
        message: `interface description block of ${len} bytes is too short`,
      });
      this.interfaces.push({ linkType: -1, snaplen: 0, unitsPerSec: 1e6, tsOffset: 0 });
      return;
    }
    const linkType = le ? u16le(b, p + 8) : u16be(b, p + 8);
    const iface: Interface = {
      linkType,
      snaplen: le ? u32le(b, p + 12) : u32be(b, p + 12),
      unitsPerSec: 1e6,
      tsOffset: 0,
    };
    // Options: code(2) length(2) value padded to 4.
    let o = p + 16;
    const end = p + len - 4;
    while (o + 4 <= end) {
      const code = le ? u16le(b, o) : u16be(b, o);
      const olen = le ? u16le(b, o + 2) : u16be(b, o + 2);
      if (code === 0 || o + 4 + olen > end) break;
      if (code === 9 && olen >= 1) {
        const r = b[o + 4]!;
        const exp = r & 0x7f;
        iface.unitsPerSec = r & 0x80 ? 2 ** exp : 10 ** exp;
      } else if (code === 14 && olen >= 8) {
        const hi = le ? u32le(b, o + 8) : u32be(b, o + 4);
        const lo = le ? u32le(b, o + 4) : u32be(b, o + 8);
        iface.tsOffset = (hi | 0) * 4294967296 + lo; // signed 64-bit seconds
      }
      o += 4 + ((olen + 3) & ~3);
    }
    this.interfaces.push(iface);
    if (!this.linkTypes.includes(linkType)) this.linkTypes.push(linkType);
  }

  private readPacket(frame: Frame, type: number, b: Uint8Array, p: number, len: number): boolean {
    const le = this.le;
    let ifaceId = 0;
    let tsHigh = 0;
    let tsLow = 0;
    let caplen: number;
    let orig: number;
    let data: number;
    if (type === SPB) {
      if (len < 16) {
        this.warnings.push({
          offset: this.win.base + p,
          message: `simple packet block of ${len} bytes is too short; skipped`,
        });
        return false;
      }
      orig = le ? u32le(b, p + 8) : u32be(b, p + 8);
      data = p + 12;
      caplen = Math.min(orig, len - 16, MAX_CAPLEN);
    } else {
      if (len < 32) {
        this.warnings.push({
          offset: this.win.base + p,
          message: `packet block of ${len} bytes is too short; skipped`,
        });
        return false;
      }
      if (type === EPB) ifaceId = le ? u32le(b, p + 8) : u32be(b, p + 8);
      else ifaceId = le ? u16le(b, p + 8) : u16be(b, p + 8);
      tsHigh = le ? u32le(b, p + 12) : u32be(b, p + 12);
      tsLow = le ? u32le(b, p + 16) : u32be(b, p + 16);
      caplen = le ? u32le(b, p + 20) : u32be(b, p + 20);
      orig = le ? u32le(b, p + 24) : u32be(b, p + 24);
      data = p + 28;
      if (caplen > len - 32 || caplen > MAX_CAPLEN) {
        this.warnings.push({
          offset: this.win.base + p,
          message: `packet block: captured length ${caplen} exceeds its block (${len} bytes); skipped`,
        });
        return false;
      }
    }
    const iface = this.interfaces[ifaceId];
    if (!iface) {
      // Said once per interface and section: a lost description block would otherwise warn per packet.
      this.missingInterfaces ??= new Set();
      if (!this.missingInterfaces.has(ifaceId)) {
        this.missingInterfaces.add(ifaceId);
        this.warnings.push({
          offset: this.win.base + p,
          message: `packet block names interface ${ifaceId}, but the section describes ${this.interfaces.length}; skipped`,
        });
      }
      return false;
    }
    if (type === SPB && iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
    setTimestamp(frame, tsHigh, tsLow, iface);
    frame.number = ++this.frames;
    frame.linkType = iface.linkType;
    frame.interfaceId = ifaceId;
    frame.data = b;
    frame.offset = data;
    frame.caplen = caplen;
    frame.origLen = orig;
    frame.fileOffset = this.win.base + p;
    return true;
  }

  /** The block at `p` is damaged (`at`: the field that says so): warn and look for the next valid block. */
  private damaged(p: number, why: string, at = p): void {
    this.assumeSection(this.win.base + at, why);
    this.warnings.push({ offset: this.win.base + at, message: `${why}; looking for the next valid block` });
    this.resyncFrom = this.win.base + p;
    this.win.pos = p + 4;
  }

  private truncatedAtEnd(): void {
    const w = this.win;
    this.warnings.push({
      offset: w.offset,
      message: `capture ends inside a block (${w.available} bytes of it present); kept the ${this.frames} packets before it`,
    });
    w.pos = w.end;
  }

  /**
   * Look at 4-aligned offsets for a known block type whose leading and trailing lengths agree, in
   * the section's byte order, or in either while it is unknown.
   */
  private resync(): boolean {
    const w = this.win;
    const b = w.buf;
    let p = w.pos;
    scan: for (; p + 12 <= w.end; p += 4) {
      for (let order = 0; order < 2; order++) {
        if (this.orderKnown && order === 1) break;
        let blockLe = this.orderKnown ? this.le : order === 0;
        const type = blockLe ? u32le(b, p) : u32be(b, p);
        if (!KNOWN_BLOCKS.has(type)) continue;
        if (type === SHB) {
          // A section header brings its own byte order.
          const announced = byteOrderAt(b, p + 8);
          if (announced === null) continue;
          blockLe = announced;
        }
        const len = blockLe ? u32le(b, p + 4) : u32be(b, p + 4);
        if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK) continue;
        if (p + len > w.end) {
          if (w.ended) continue;
          break scan; // wait for the rest of the candidate block
        }
        if ((blockLe ? u32le(b, p + len - 4) : u32be(b, p + len - 4)) !== len) continue;
        this.le = blockLe;
        this.orderKnown = true;
        return this.resumeAt(p);
      }
    }
    w.pos = Math.min(p, w.end);
    if (w.ended) {
      const cut = this.cutAt;
      if (this.firstDamage !== null && this.blocksRead === 0) {
        // Nothing in the file was ever a valid block: not a damaged capture, not a capture.
        const { offset, message } = this.firstDamage;
        this.error = { offset, message: `${message}, and no valid block follows` };
      } else {
        this.warnings.push(
          cut !== null
            ? {
                offset: cut.offset,
                message: `capture ends inside a block (${cut.present} bytes of it present); kept the ${this.frames} packets before it`,
              }
            : {
                offset: this.resyncFrom,
                message: `no valid block after the damage; ${w.base + w.end - this.resyncFrom} bytes unread`,
              },
        );
      }
      this.cutAt = null;
      this.resyncFrom = -1;
      w.pos = w.end;
    }
    return false;
  }

  /** The first section header is damaged: read on as if it were whole, in the byte order it announced (if any). */
  private assumeSection(offset: number, why: string): void {
    if (this.sectionSeen) return;
    this.sectionSeen = true;
    this.firstDamage = { offset, message: why };
  }

  private resumeAt(p: number): true {
    const w = this.win;
    if (this.cutAt !== null) {
      this.warnings.push({
        offset: this.cutAt.offset,
        message: `block length ${this.cutAt.length} runs past the end of the capture`,
      });
      this.cutAt = null;
    }
    this.warnings.push({
      offset: w.base + p,
      message: `skipped ${w.base + p - this.resyncFrom} damaged bytes; reading resumes here`,
    });
    this.resyncFrom = -1;
    w.pos = p;
    return true;
  }
}

/**
 * 64-bit timestamp in interface units -> seconds and nanoseconds, exactly: a double cannot hold a
 * nanosecond count since 1970, so the remainder is computed in pieces that stay below 2^53.
 */
function setTimestamp(frame: Frame, hi: number, lo: number, iface: Interface): void {
  const u = iface.unitsPerSec;
  if (u === 1e6) {
    const t = hi * 4294967296 + lo; // µs since 1970 fits a double exactly
    const sec = Math.floor(t / 1e6);
    frame.sec = sec + iface.tsOffset;
    frame.nsec = (t - sec * 1e6) * 1000;
    return;
  }
  let rem = hi % u;
  rem = (rem * 65536) % u;
  rem = (rem * 65536) % u;
  rem = (rem + lo) % u;
  frame.sec = Math.round((hi * 4294967296 - rem + lo) / u) + iface.tsOffset;
  frame.nsec = Math.floor((rem * 1e9) / u); // truncate, as Wireshark does: never a full second
}
