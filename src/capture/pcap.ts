import { BaseFrameReader } from "./base-reader.js";
import { hex32, u32be, u32le } from "./bytes.js";
import type { Frame } from "./frame.js";
import { MAX_CAPLEN } from "./reader.js";

const FILE_HEADER = 24;

/** Magic numbers as read big-endian from the first four bytes. */
const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const MAGIC_KUZNETZOV = 0xa1b2cd34; // "modified" pcap: 8 more bytes per record header

export function isPcapMagic(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const be = u32be(b, 0);
  const le = u32le(b, 0);
  return [MAGIC_US, MAGIC_NS, MAGIC_KUZNETZOV].some((m) => m === be || m === le);
}

/**
 * Classic libpcap files: µs and ns resolution, either byte order. A record longer than the file's
 * snapshot length is read cut to it, as libpcap does. A record whose length is impossible is
 * reported and skipped by scanning for the next two consecutive plausible record headers, so a
 * file damaged in the middle still yields the frames after the damage.
 */
export class PcapReader extends BaseFrameReader {
  override readonly format = "pcap" as const;
  private headerRead = false;
  private le = true;
  private nsPerUnit = 1000;
  private recordHeader = 16;
  /** The file header's snapshot length (0 and values above MAX_CAPLEN mean MAX_CAPLEN). */
  private snaplen = MAX_CAPLEN;
  private linkType = 0;
  /** A record above the snapshot length was read (and reported). */
  private oversizeSeen = false;
  /** Offset where a damaged stretch began, while looking for the next good record. */
  private resyncFrom = -1;
  private lastSec = 0;

  override finish(): void {
    this.win.ended = true;
    if (this.error) return;
    if (!this.headerRead) {
      if (this.win.available < FILE_HEADER) {
        this.error = {
          offset: this.win.offset,
          message: `pcap file header truncated (${this.win.available} of 24 bytes)`,
        };
      }
      return;
    }
  }

  override next(frame: Frame): boolean {
    if (this.error) return false;
    if (!this.headerRead && !this.readHeader()) return false;
    const w = this.win;
    if (this.resyncFrom >= 0 && !this.resync()) return false;
    const b = w.buf;
    const p = w.pos;
    const rh = this.recordHeader;
    if (w.end - p < rh) return w.ended && w.end > p ? this.endedMidRecord() : false;
    const le = this.le;
    const caplen = le ? u32le(b, p + 8) : u32be(b, p + 8);
    if (caplen > MAX_CAPLEN)
      return this.damaged(frame, p, `captured length ${caplen} exceeds ${MAX_CAPLEN}, the most any capture holds`);
    if (w.end - p < rh + caplen) {
      if (w.ended) return this.endedMidRecord();
      return false;
    }
    let view = caplen;
    if (caplen > this.snaplen) {
      // libpcap reads such a record cut to the snapshot length (a writer that ignored its own
      // snaplen). A length damaged into this range points at no record, so one must follow.
      const after = p + rh + caplen;
      if (after + rh > w.end && !w.ended) return false;
      if (after + rh <= w.end ? !this.plausible(b, after) : after !== w.end) {
        return this.damaged(
          frame,
          p,
          `captured length ${caplen} exceeds the snapshot length ${this.snaplen} and no record follows it`,
        );
      }
      if (!this.oversizeSeen) {
        this.oversizeSeen = true;
        this.warnings.push({
          offset: w.base + p,
          message: `record ${this.frames + 1}: captured length ${caplen} exceeds the file's snapshot length ${this.snaplen}; read as libpcap reads it, cut to ${this.snaplen} bytes (said once per file)`,
        });
      }
      view = this.snaplen;
    }
    const sec = le ? u32le(b, p) : u32be(b, p);
    const frac = le ? u32le(b, p + 4) : u32be(b, p + 4);
    frame.number = ++this.frames;
    frame.sec = sec;
    frame.nsec = frac * this.nsPerUnit;
    frame.origLen = le ? u32le(b, p + 12) : u32be(b, p + 12);
    frame.caplen = view;
    frame.data = b;
    frame.offset = p + rh;
    frame.linkType = this.linkType;
    frame.interfaceId = 0;
    frame.fileOffset = w.base + p;
    this.lastSec = sec;
    w.pos = p + rh + caplen;
    return true;
  }

  /** The record header at `p` cannot be right: say why, then look for the next good record. */
  private damaged(frame: Frame, p: number, why: string): boolean {
    const w = this.win;
    this.warnings.push({
      offset: w.base + p,
      message: `record ${this.frames + 1}: ${why}; looking for the next valid record`,
    });
    this.resyncFrom = w.base + p;
    w.pos = p + 1;
    return this.next(frame);
  }

  private endedMidRecord(): false {
    this.warnTruncated(this.win.available);
    this.win.pos = this.win.end;
    return false;
  }

  private warnTruncated(left: number): void {
    this.warnings.push({
      offset: this.win.offset,
      message: `capture ends inside record ${this.frames + 1} (${left} bytes of it present); kept the ${this.frames} records before it`,
    });
  }

  private readHeader(): boolean {
    const w = this.win;
    if (w.available < FILE_HEADER) return false;
    const b = w.buf;
    const p = w.pos;
    const be = u32be(b, p);
    const le = u32le(b, p);
    let magic: number;
    if (be === MAGIC_US || be === MAGIC_NS || be === MAGIC_KUZNETZOV) {
      this.le = false;
      magic = be;
    } else if (le === MAGIC_US || le === MAGIC_NS || le === MAGIC_KUZNETZOV) {
      this.le = true;
      magic = le;
    } else {
      this.error = { offset: w.offset, message: `not a pcap file (magic ${hex32(be)})` };
      return false;
    }
    this.nsPerUnit = magic === MAGIC_NS ? 1 : 1000;
    this.recordHeader = magic === MAGIC_KUZNETZOV ? 24 : 16;
    const major = this.le ? b[p + 4]! | (b[p + 5]! << 8) : (b[p + 4]! << 8) | b[p + 5]!;
    if (major !== 2) {
      this.error = { offset: w.offset + 4, message: `unsupported pcap version ${major} (expected 2)` };
      return false;
    }
    const snaplen = this.le ? u32le(b, p + 16) : u32be(b, p + 16);
    this.snaplen = snaplen > 0 && snaplen < MAX_CAPLEN ? snaplen : MAX_CAPLEN;
    // The upper 16 bits of the link-type field carry FCS information (pcap-linktype(7)).
    this.linkType = (this.le ? u32le(b, p + 20) : u32be(b, p + 20)) & 0xffff;
    this.linkTypes.push(this.linkType);
    w.pos = p + FILE_HEADER;
    this.headerRead = true;
    return true;
  }

  /** A record header that could be real: sane lengths, a fraction below one second, a nearby time. */
  private plausible(b: Uint8Array, p: number): boolean {
    const le = this.le;
    const caplen = le ? u32le(b, p + 8) : u32be(b, p + 8);
    const orig = le ? u32le(b, p + 12) : u32be(b, p + 12);
    const frac = le ? u32le(b, p + 4) : u32be(b, p + 4);
    const sec = le ? u32le(b, p) : u32be(b, p);
    return (
      caplen <= this.snaplen &&
      orig >= caplen &&
      orig <= MAX_CAPLEN &&
      frac * this.nsPerUnit < 1e9 &&
      // Until a record was read there is no time to compare with.
      (this.frames === 0 || Math.abs(sec - this.lastSec) < 86_400)
    );
  }

  /** Advance to the next offset where two consecutive plausible headers (or one ending the input) start. */
  private resync(): boolean {
    const w = this.win;
    const b = w.buf;
    const rh = this.recordHeader;
    let p = w.pos;
    for (; p + rh <= w.end; p++) {
      if (!this.plausible(b, p)) continue;
      const nextAt = p + rh + (this.le ? u32le(b, p + 8) : u32be(b, p + 8));
      if (nextAt + rh > w.end) {
        if (!w.ended) break; // need more bytes to confirm
        if (nextAt !== w.end) continue;
      } else if (!this.plausible(b, nextAt)) continue;
      this.warnings.push({
        offset: w.base + p,
        message: `skipped ${w.base + p - this.resyncFrom} damaged bytes; reading resumes here`,
      });
      this.resyncFrom = -1;
      w.pos = p;
      return true;
    }
    w.pos = p;
    if (w.ended) {
      this.warnings.push({
        offset: this.resyncFrom,
        message: `no valid record after the damage; ${w.base + w.end - this.resyncFrom} bytes unread`,
      });
      this.resyncFrom = -1;
      w.pos = w.end;
    }
    return false;
  }
}
