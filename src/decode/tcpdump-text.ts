import { Buffer } from "node:buffer";
import type { CaptureIssue } from "../capture/issue.js";
import { ACK, CWR, ECE, FIN, OptionsState, PSH, RST, SYN, type TcpSegment, URG } from "./segment.js";
import type { SegmentSource } from "./segment-source.js";
import {
  endpoint,
  indexIn,
  isDigit,
  parseEndpoint,
  parseOptions,
  parseTimestamp,
  readU32,
  readUint,
  scan,
  stamp,
  TimeKind,
} from "./tcpdump-text-fields.js";

/** Unparsable lines reported one by one; the rest are summed up in one last warning. */
const MAX_WARNINGS = 10;
/** A "line" longer than this is not tcpdump output: it is skipped without being buffered. */
const MAX_LINE = 1 << 20;
/** Conversations whose relative sequence numbers are tracked (tcpdump itself never forgets any). */
const MAX_FLOWS = 100_000;

const REASON_NOT_TCP = "not TCP";
const REASON_LATER_FRAGMENT = "later IP fragment";
const REASON_TRUNCATED = "truncated before the TCP header";
const REASON_MALFORMED = "malformed header";
const REASON_UNPARSABLE = "unparsable";

/** Whether seq/ack numbers are printed relative to each direction's first one (tcpdump's default) or as is (-S). */
enum SeqMode {
  Unknown = 0,
  Relative = 1,
  Absolute = 2,
}

/** What one packet line gave. */
enum Outcome {
  Segment = 0,
  Skipped = 1,
  /** An IPv4 header line of `-v` output: the TCP part follows on the next, indented line. */
  Header = 2,
}

/**
 * tcpdump's per-conversation state for relative numbering, mirrored (print-tcp.c): the first
 * segment with ACK set (or any SYN-ACK) records `base` for both directions and prints absolute
 * numbers; later ones print seq - base[own side] and ack - base[other side]. Side 0 is the endpoint
 * with the lower port (lower address text on a tie).
 */
interface Flow {
  established: boolean;
  base: [number, number];
  /** The base is the real first sequence number (not a stand-in for one tcpdump saw but did not print). */
  baseKnown: [boolean, boolean];
  /** Next sequence number each side will send, from what it sent so far (for pure ACKs, whose seq is not printed); -1 unknown. */
  next: [number, number];
  finMask: number;
  closed: boolean;
  touched: number;
}

const SPACE = 32;
const TAB = 9;

function byteOr0(v: number): number {
  return v >= 0 && v <= 255 ? v : 0;
}

function u16Or0(v: number): number {
  return v >= 0 && v <= 0xffff ? v : 0;
}

/** Circular distance of two 32-bit sequence numbers. */
function seqDistance(a: number, b: number): number {
  const d = (a - b) >>> 0;
  return d > 0x8000_0000 ? 0x1_0000_0000 - d : d;
}

/** tcpdump's own messages (on stderr, but often captured with 2>&1). */
function isChatter(s: string): boolean {
  const c = s.charCodeAt(0);
  if (isDigit(c)) {
    // "12 packets captured", "1 packet received by filter", "0 packets dropped by kernel"
    if (s.length > 60 || readUint(s, 0) < 0 || !s.startsWith(" packet", scan.end)) return false;
    return s.includes(" captured") || s.includes(" received by filter") || s.includes(" dropped by");
  }
  switch (c) {
    case 94: // ^C before the counts when tcpdump ran in a terminal
      return s.startsWith("^C") && s.charCodeAt(2) !== 94 && (s.length === 2 || isChatter(s.slice(2)));
    case 114:
      return s.startsWith("reading from ");
    case 108:
      return s.startsWith("listening on ") || s.startsWith("libpcap version ");
    case 116:
      return s.startsWith("tcpdump: ") || s.startsWith("tcpdump version ");
    case 100:
      return s.startsWith("dropped privs to ");
    case 87:
      return s.startsWith("Warning: ");
    default:
      return false;
  }
}

/** `-#` puts `%5u  ` before each packet line; the rest is the usual line. */
function packetNumberPrefix(s: string): number {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) === SPACE) i++;
  if (readUint(s, i) < 0) return 0;
  const e = scan.end;
  return s.charCodeAt(e) === SPACE && s.charCodeAt(e + 1) === SPACE ? e + 2 : 0;
}

/** Index of the first `needle` in s[a, b), or -1. */
const within = indexIn;

/** The number after `key` in s[a, b), or -1. */
function numberAfter(s: string, key: string, a: number, b: number): number {
  const at = within(s, key, a, b);
  return at < 0 ? -1 : readUint(s, at + key.length);
}

/** A piece of the input quoted in a warning: short, and printable. */
function excerpt(s: string, a: number, b: number): string {
  const cut = b - a > 40;
  return s.slice(a, cut ? a + 40 : b).replace(/[^\x20-\x7e]/g, "?") + (cut ? "..." : "");
}

function latin1(chunk: Uint8Array): string {
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
}

/** Where a packet is in the input and what its IP layer said (the -v details are optional). */
class PacketIp {
  frame = 0;
  time = 0;
  ttl = 0;
  id = 0;
  df = false;
  mf = false;
  /** IPv4 total length or IPv6 payload length from -v, -1 unknown. */
  length = -1;
  /** The length above counts just the IP header (20 bytes, IPv4) + TCP. */
  lengthUsable = false;
}

/**
 * tcpdump's text output (`tcpdump -n`, with any -t variant, -v, -e, -S, -i any, -#, and the 3.x
 * style of old incident reports) as a segment source. Input is consumed line by line as it
 * arrives; nothing in it can make this throw. Relative sequence numbers are turned back into
 * absolute ones the way tcpdump made them, so the same capture printed with and without -S
 * yields the same segments.
 */
export class TcpdumpTextSource implements SegmentSource {
  readonly format = "tcpdump-text" as const;
  readonly warnings: CaptureIssue[] = [];
  error: CaptureIssue | null = null;
  readonly linkTypes: number[] = [];
  packets = 0;

  private text = "";
  private pos = 0;
  /** Chunks without an end of line, after `text`. */
  private readonly tail: string[] = [];
  private tailLength = 0;
  /** Byte offset of text[0] in the input (one latin1 char per byte). */
  private base = 0;
  private ended = false;
  private done = false;
  /** Inside an over-long line: drop everything up to the next newline. */
  private discarding = false;

  private lineNo = 0;
  private lineOffset = 0;
  private nonBlank = 0;
  private recognized = 0;
  private suppressed = 0;
  private suppressedOffset = 0;
  private readonly counts = new Map<string, number>();

  // Time state.
  private lastTimeOfDay = -1;
  private dayOffset = 0;
  private relativeSum = 0;
  private relativeLast = 0;
  /** -ttt (delta) and -ttttt (since the first packet) look alike until a value goes down: then it is -ttt. */
  private relativeIsDelta = false;

  /** The packet being parsed. */
  private ip = new PacketIp();
  // A -v IPv4 header line waiting for its indented TCP line: its fields wait in `held`.
  private held = new PacketIp();
  private pending = false;
  private pendingLine = 0;
  private pendingOffset = 0;

  // Relative sequence numbers.
  private seqMode = SeqMode.Unknown;
  private readonly flows = new Map<string, Flow>();

  // Parsed TCP fields of the current line, as printed.
  private hasSeq = false;
  private seqPrinted = 0;
  private hasAck = false;
  private ackPrinted = 0;
  private srcToken = "";
  private dstToken = "";
  /** The flow of the previous segment, keyed by its tokens: bulk transfers hit it almost always. */
  private lastSrc = "";
  private lastDst = "";
  private lastFlow: Flow | null = null;

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

  next(seg: TcpSegment): boolean {
    for (;;) {
      const text = this.text;
      const start = this.pos;
      let nl = text.indexOf("\n", start);
      if (nl < 0) {
        if (text.length - start + this.tailLength > MAX_LINE) {
          this.overlong(start);
          continue;
        }
        if (!this.ended || start >= text.length) {
          if (this.ended) this.end();
          return false;
        }
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
      this.lineOffset = this.base + start;
      if (end === start) continue;
      if (this.line(end - start === text.length ? text : text.slice(start, end), seg)) return true;
    }
  }

  skipped(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.counts) out[k] = v;
    return out;
  }

  /* -------------------------------------------------------------------------------------------- */

  private overlong(start: number): void {
    if (!this.discarding) {
      this.lineNo++;
      this.lineOffset = this.base + start;
      this.nonBlank++;
      this.closePending();
      this.packets++;
      this.unparsable(`longer than ${MAX_LINE} bytes, not tcpdump output`);
      this.discarding = true;
    }
    this.base += this.text.length + this.tailLength;
    this.text = "";
    this.pos = 0;
    this.tail.length = 0;
    this.tailLength = 0;
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    this.closePending();
    if (this.suppressed > 0) {
      this.warnings.push({
        offset: this.suppressedOffset,
        message: `${this.suppressed} more unparsable line${this.suppressed === 1 ? "" : "s"} not listed`,
      });
    }
    if (this.nonBlank > 0 && this.recognized === 0) {
      this.error = {
        offset: 0,
        message: "not tcpdump output: no line looks like a packet printed by tcpdump (expected e.g. `tcpdump -n` text)",
      };
    }
  }

  private count(reason: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  private unparsable(why: string, line = this.lineNo, offset = this.lineOffset): void {
    this.count(REASON_UNPARSABLE);
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push({ offset, message: `line ${line}: ${why}` });
    else if (this.suppressed++ === 0) this.suppressedOffset = offset;
  }

  /** A -v header whose TCP line never came. */
  private closePending(): void {
    if (!this.pending) return;
    this.pending = false;
    this.unparsable("IP header line without the TCP line that should follow it", this.pendingLine, this.pendingOffset);
  }

  /** One line without its end-of-line; true when it filled `seg`. */
  private line(s: string, seg: TcpSegment, numberStripped = false): boolean {
    const c0 = s.charCodeAt(0);
    if (c0 === SPACE || c0 === TAB) {
      const numbered = c0 === SPACE && !numberStripped ? packetNumberPrefix(s) : 0;
      if (numbered > 0) return this.line(s.slice(numbered), seg, true);
      // " 00:00:00.000123 IP ..." (-ttt) starts with one space; indented lines are continuations.
      if (c0 === SPACE && s.charCodeAt(1) !== SPACE) {
        parseTimestamp(s);
        if (stamp.kind === TimeKind.Relative) return this.packetLine(s, seg);
      }
      if (!this.pending) return false; // -v details, hex dumps, decoded payload
      this.pending = false;
      this.nonBlank++;
      [this.ip, this.held] = [this.held, this.ip];
      let p = 0;
      while (p < s.length && (s.charCodeAt(p) === SPACE || s.charCodeAt(p) === TAB)) p++;
      return this.tcpPart(s, p, seg, true) === Outcome.Segment;
    }
    if (isChatter(s)) {
      this.nonBlank++;
      this.recognized++;
      return false;
    }
    let blank = true;
    for (let i = 0; i < s.length && blank; i++) blank = s.charCodeAt(i) === SPACE || s.charCodeAt(i) === TAB;
    if (blank) return false;
    parseTimestamp(s);
    if (stamp.kind === TimeKind.None && isDigit(c0) && !numberStripped) {
      const numbered = packetNumberPrefix(s); // -# from packet 100000 on has no leading space
      if (numbered > 0) return this.line(s.slice(numbered), seg, true);
    }
    return this.packetLine(s, seg);
  }

  /** A line that starts a packet; `stamp` holds its parsed timestamp. */
  private packetLine(s: string, seg: TcpSegment): boolean {
    this.closePending();
    this.nonBlank++;
    this.packets++;
    const ip = this.ip;
    ip.frame = this.packets;
    const kind = stamp.kind;
    ip.time = this.timeOf(kind, stamp.value);
    if (kind !== TimeKind.None) this.recognized++;
    let p = stamp.end;
    while (p < s.length && s.charCodeAt(p) === SPACE) p++;
    ip.ttl = 0;
    ip.id = 0;
    ip.df = false;
    ip.mf = false;
    ip.length = -1;
    ip.lengthUsable = false;
    return this.tcpPart(s, p, seg, false) === Outcome.Segment;
  }

  private timeOf(kind: TimeKind, v: number): number {
    switch (kind) {
      case TimeKind.None:
        return Number.NaN;
      case TimeKind.TimeOfDay:
        // A clock that jumps back by more than 12 hours went past midnight.
        if (this.lastTimeOfDay >= 0 && v + 43_200 < this.lastTimeOfDay) this.dayOffset += 86_400;
        else if (this.lastTimeOfDay >= 0 && v > this.lastTimeOfDay + 43_200 && this.dayOffset > 0)
          this.dayOffset -= 86_400;
        this.lastTimeOfDay = v;
        return v + this.dayOffset;
      case TimeKind.Relative:
        this.relativeSum += v;
        if (!this.relativeIsDelta && v < this.relativeLast) this.relativeIsDelta = true;
        this.relativeLast = v;
        return this.relativeIsDelta ? this.relativeSum : v;
      default:
        return v;
    }
  }

  /**
   * The part of a packet line after the timestamp (or an indented -v continuation): finds the TCP
   * header in tcpdump 4.x form (`Flags [...]`), or an IPv4 -v header, or the 3.x form; counts
   * everything else.
   */
  private tcpPart(s: string, p: number, seg: TcpSegment, continuation: boolean): Outcome {
    const flagsAt = s.indexOf(": Flags [", p);
    if (flagsAt >= 0) {
      this.recognized++;
      return this.tcpModern(s, p, flagsAt, seg);
    }
    if (!continuation) {
      const tos = s.indexOf("(tos 0x", p);
      if (tos >= 0) return this.ipv4Header(s, tos);
    }
    return this.other(s, p, seg, continuation);
  }

  private skip(reason: string): Outcome {
    this.recognized++;
    this.count(reason);
    return Outcome.Skipped;
  }

  private fail(why: string): Outcome {
    this.unparsable(why);
    return Outcome.Skipped;
  }

  /** `IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)` of -v output. */
  private ipv4Header(s: string, tos: number): Outcome {
    this.recognized++;
    let close = s.indexOf(")", s.indexOf("proto ", tos));
    if (close < 0) close = s.length;
    const proto = numberAfter(s, " (", s.indexOf("proto ", tos), close + 1);
    const offset = numberAfter(s, ", offset ", tos, close);
    if (proto !== 6) return this.skip(REASON_NOT_TCP);
    if (offset > 0) return this.skip(REASON_LATER_FRAGMENT);
    const flags = within(s, "flags [", tos, close);
    const flagsEnd = flags < 0 ? -1 : s.indexOf("]", flags);
    this.pending = true;
    this.pendingLine = this.lineNo;
    this.pendingOffset = this.lineOffset;
    const held = this.held;
    held.frame = this.ip.frame;
    held.time = this.ip.time;
    held.ttl = byteOr0(numberAfter(s, ", ttl ", tos, close));
    held.id = u16Or0(numberAfter(s, ", id ", tos, close));
    held.df = flags >= 0 && within(s, "DF", flags, flagsEnd) >= 0;
    held.mf = flags >= 0 && within(s, "+", flags, flagsEnd) >= 0;
    const length = numberAfter(s, ", length ", flagsEnd < 0 ? tos : flagsEnd, s.length);
    held.length = length;
    held.lengthUsable = length > 0 && within(s, "options (", tos, s.length) < 0;
    return Outcome.Header;
  }

  /** `(flowlabel 0x12345, hlim 64, next-header TCP (6) payload length: 40)` before an IPv6 -v TCP part. */
  private ipv6Details(s: string, a: number, b: number): void {
    const hlim = numberAfter(s, "hlim ", a, b);
    if (hlim < 0) return;
    this.ip.ttl = byteOr0(hlim);
    const nh = within(s, "next-header ", a, b);
    const direct = nh >= 0 && numberAfter(s, "(", nh, b) === 6;
    const length = numberAfter(s, "payload length: ", a, b);
    this.ip.length = length;
    this.ip.lengthUsable = direct && length > 0;
  }

  /** Address tokens of `src > dst` ending at `end` (the ':' before the TCP part): parses both into seg. */
  private addresses(s: string, p: number, gt: number, end: number, seg: TcpSegment): string | null {
    let srcStart = s.lastIndexOf(" ", gt - 1) + 1;
    if (srcStart < p) srcStart = p;
    const v = parseEndpoint(s, srcStart, gt, seg.src, true);
    seg.srcPort = endpoint.port;
    if (v !== 0) {
      const w = parseEndpoint(s, gt + 3, end, seg.dst, true);
      if (w !== v) return `destination '${excerpt(s, gt + 3, end)}' is not a numeric address.port (tcpdump -n)`;
      seg.dstPort = endpoint.port;
      seg.ipVersion = v;
      this.srcToken = s.slice(srcStart, gt);
      this.dstToken = s.slice(gt + 3, end);
      return null;
    }
    // IPv6 with extension headers: "a > b: frag (0|120) 80 > 41172: Flags [...]": ports only here.
    const sport = readUint(s, srcStart);
    const sportOk = sport >= 0 && sport <= 65535 && scan.end === gt;
    const dport = readUint(s, gt + 3);
    if (sportOk && dport >= 0 && dport <= 65535 && scan.end === end) {
      const outerGt = s.lastIndexOf(" > ", srcStart - 2);
      if (outerGt >= p) {
        const outerEnd = s.indexOf(": ", outerGt + 3);
        let outerStart = s.lastIndexOf(" ", outerGt - 1) + 1;
        if (outerStart < p) outerStart = p;
        if (outerEnd > 0 && outerEnd < srcStart) {
          const a = parseEndpoint(s, outerStart, outerGt, seg.src, false);
          const b = parseEndpoint(s, outerGt + 3, outerEnd, seg.dst, false);
          if (a !== 0 && a === b) {
            seg.ipVersion = a;
            seg.srcPort = sport;
            seg.dstPort = dport;
            this.srcToken = `${s.slice(outerStart, outerGt)}.${sport}`;
            this.dstToken = `${s.slice(outerGt + 3, outerEnd)}.${dport}`;
            return null;
          }
        }
      }
    }
    return `source '${excerpt(s, srcStart, gt)}' is not a numeric address.port (tcpdump -n)`;
  }

  /** tcpdump 4.x: `src.port > dst.port: Flags [S.], cksum ..., seq 1:2, ack 3, win 4, urg 5, options [...], length 6`. */
  private tcpModern(s: string, p: number, flagsAt: number, seg: TcpSegment): Outcome {
    const gt = s.lastIndexOf(" > ", flagsAt - 1);
    if (gt < p) return this.fail("no 'source > destination' before the TCP flags");
    const bad = this.addresses(s, p, gt, flagsAt, seg);
    if (bad !== null) return this.fail(bad);
    if (seg.ipVersion === 6) this.ipv6Details(s, p, gt);

    let i = flagsAt + 9;
    let flags = 0;
    if (s.startsWith("none]", i)) i += 4;
    else {
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c === 83) flags |= SYN;
        else if (c === 70) flags |= FIN;
        else if (c === 82) flags |= RST;
        else if (c === 80) flags |= PSH;
        else if (c === 46) flags |= ACK;
        else if (c === 85) flags |= URG;
        else if (c === 69) flags |= ECE;
        else if (c === 87) flags |= CWR;
        else if (c === 101)
          flags |= 0x100; // AE (formerly NS), tcpdump 4.99.5+
        else break;
      }
    }
    if (s.charCodeAt(i) !== 93) return this.fail(`unknown TCP flags '${excerpt(s, flagsAt + 9, i + 1)}'`);
    i++;

    this.hasSeq = false;
    this.hasAck = false;
    let seqEnd = -1;
    let win = -1;
    let length = -1;
    let optA = -1;
    let optB = -1;
    const n = s.length;
    while (i + 1 < n && s.charCodeAt(i) === 44 && s.charCodeAt(i + 1) === SPACE) {
      i += 2;
      if (s.startsWith("seq ", i)) {
        const v = readU32(s, i + 4);
        if (v < 0) return this.fail("bad seq number");
        this.hasSeq = true;
        this.seqPrinted = v;
        i = scan.end;
        if (s.charCodeAt(i) === 58) {
          seqEnd = readU32(s, i + 1);
          if (seqEnd < 0) return this.fail("bad seq range");
          i = scan.end;
        }
      } else if (s.startsWith("ack ", i)) {
        const v = readU32(s, i + 4);
        if (v < 0) return this.fail("bad ack number");
        this.hasAck = true;
        this.ackPrinted = v;
        i = scan.end;
      } else if (s.startsWith("win ", i)) {
        win = readUint(s, i + 4);
        if (win < 0 || win > 0xffff) return this.fail("bad window");
        i = scan.end;
      } else if (s.startsWith("options [", i)) {
        optA = i + 9;
        let j = s.indexOf("]", optA);
        const open = s.indexOf("[", optA);
        if (j < 0) j = n;
        else if (open >= 0 && open < j) {
          // Nested brackets ([len 4], [bad opt], [|tcp]): match them.
          let depth = 1;
          for (j = optA; j < n; j++) {
            const c = s.charCodeAt(j);
            if (c === 91) depth++;
            else if (c === 93 && --depth === 0) break;
          }
        }
        optB = j;
        i = j < n ? j + 1 : n;
      } else if (s.startsWith("length ", i)) {
        length = readU32(s, i + 7);
        if (length < 0) return this.fail("bad length");
        i = scan.end;
        break; // what follows is the payload's own decoding
      } else {
        // cksum 0x1234 (correct), urg 5, anything newer: up to the next field.
        const nextField = s.indexOf(", ", i);
        i = nextField < 0 ? n : nextField;
      }
    }
    if (win < 0) {
      if (within(s, "[bad hdr length", flagsAt, n) >= 0) return this.skip(REASON_MALFORMED);
      return this.fail("no window field");
    }
    if ((flags & ACK) !== 0 && !this.hasAck) return this.fail("ACK flag without an ack number");
    seg.flags = flags;
    seg.window = win;
    seg.payloadLength = length >= 0 ? length : seqEnd >= 0 ? (seqEnd - this.seqPrinted) >>> 0 : 0;
    seg.clearOptions();
    const optionBytes = optA >= 0 ? parseOptions(s, optA, optB, seg) : 0;
    if (optA >= 0 && optB >= n && seg.optionsState === OptionsState.Complete && length < 0) {
      seg.optionsState = OptionsState.Truncated; // the line ends inside the option list
    }
    this.finishSegment(seg, optionBytes);
    return Outcome.Segment;
  }

  /** Lines without `Flags [`: tcpdump 3.x TCP, truncated or fragmented TCP, and everything else. */
  private other(s: string, p: number, seg: TcpSegment, continuation: boolean): Outcome {
    // The first "src > dst: " whose endpoints parse.
    let gt = s.indexOf(" > ", p);
    for (let tries = 0; gt >= 0 && tries < 4; tries++, gt = s.indexOf(" > ", gt + 3)) {
      let colon = s.indexOf(":", gt + 3);
      while (colon >= 0 && colon + 1 < s.length && s.charCodeAt(colon + 1) !== SPACE) colon = s.indexOf(":", colon + 1);
      if (colon < 0) break;
      let srcStart = s.lastIndexOf(" ", gt - 1) + 1;
      if (srcStart < p) srcStart = p;
      const withPorts = parseEndpoint(s, srcStart, gt, seg.src, true) !== 0;
      const plain = !withPorts && parseEndpoint(s, srcStart, gt, seg.src, false) !== 0;
      if (!withPorts && !plain) continue;
      let body = colon + 1;
      while (body < s.length && s.charCodeAt(body) === SPACE) body++;
      if (s.startsWith("[|tcp]", body)) return this.skip(REASON_TRUNCATED);
      if (plain) return this.skip(isLaterFragment(s, body) ? REASON_LATER_FRAGMENT : REASON_NOT_TCP);
      if (s.startsWith("tcp ", body) && isDigit(s.charCodeAt(body + 4))) {
        if (within(s, "[bad hdr length", body, s.length) >= 0) return this.skip(REASON_MALFORMED);
        this.recognized++;
        return this.fail("TCP without header fields (tcpdump -q output)");
      }
      if (isOldFlags(s, body)) {
        this.recognized++;
        const bad = this.addresses(s, p, gt, colon, seg);
        if (bad !== null) return this.fail(bad);
        return this.tcpOld(s, body, seg);
      }
      return this.skip(REASON_NOT_TCP);
    }
    if (continuation) return this.fail("not a TCP line after an IP header line");
    // No address pair: ARP, STP, LLDP ... when it has tcpdump's shape.
    const kind = stamp.kind;
    if (kind !== TimeKind.None || /^(?:IP6? |ARP|RARP|STP|LLDP|CDP|LLC|IPX|vlan|EAPOL|PPPoE)/.test(s.slice(p, p + 6))) {
      return this.skip(REASON_NOT_TCP);
    }
    return this.fail("not a tcpdump packet line");
  }

  /** tcpdump 3.x: `S 0:0(0) ack 1 win 5840 <mss 1460,nop,wscale 2> (DF)` after `src > dst: `. */
  private tcpOld(s: string, body: number, seg: TcpSegment): Outcome {
    let flags = 0;
    let i = body;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 83) flags |= SYN;
      else if (c === 70) flags |= FIN;
      else if (c === 82) flags |= RST;
      else if (c === 80) flags |= PSH;
      else if (c === 87) flags |= CWR;
      else if (c === 69) flags |= ECE;
      else if (c === 85) flags |= URG;
      else if (c !== 46) break;
    }
    this.hasSeq = false;
    this.hasAck = false;
    let win = -1;
    let payload = -1;
    let optA = -1;
    let optB = -1;
    const n = s.length;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === SPACE) {
        i++;
        continue;
      }
      if (isDigit(c) && !this.hasSeq && win < 0) {
        const a = readU32(s, i);
        if (a < 0 || s.charCodeAt(scan.end) !== 58) return this.fail("bad sequence range");
        const b = readU32(s, scan.end + 1);
        if (b < 0) return this.fail("bad sequence range");
        i = scan.end;
        this.hasSeq = true;
        this.seqPrinted = a;
        payload = (b - a) >>> 0;
        if (s.charCodeAt(i) === 40) {
          const len = readUint(s, i + 1);
          if (len < 0 || s.charCodeAt(scan.end) !== 41) return this.fail("bad segment length");
          payload = len;
          i = scan.end + 1;
        }
      } else if (s.startsWith("ack ", i)) {
        const v = readU32(s, i + 4);
        if (v < 0) return this.fail("bad ack number");
        flags |= ACK;
        this.hasAck = true;
        this.ackPrinted = v;
        i = scan.end;
      } else if (s.startsWith("win ", i)) {
        win = readUint(s, i + 4);
        if (win < 0 || win > 0xffff) return this.fail("bad window");
        i = scan.end;
      } else if (s.startsWith("urg ", i)) {
        flags |= URG;
        i = readUint(s, i + 4) < 0 ? i + 4 : scan.end;
      } else if (c === 60 && optA < 0) {
        optA = i + 1;
        const close = s.indexOf(">", optA);
        optB = close < 0 ? n : close;
        i = close < 0 ? n : close + 1;
      } else if (s.startsWith("(DF)", i)) {
        this.ip.df = true;
        i += 4;
      } else if (c === 40) {
        // (ttl 64, id 12345, len 60) and other parenthesised IP details
        const close = s.indexOf(")", i);
        const b = close < 0 ? n : close;
        const ttl = numberAfter(s, "ttl ", i, b);
        if (ttl >= 0) this.ip.ttl = byteOr0(ttl);
        const id = numberAfter(s, "id ", i, b);
        if (id >= 0) this.ip.id = u16Or0(id);
        if (within(s, "DF", i, b) >= 0) this.ip.df = true;
        i = b + 1;
      } else if (c === 91) {
        // [tcp sum ok], [tos 0x10], [|tcp]
        if (s.startsWith("[|tcp]", i) && win < 0) return this.skip(REASON_TRUNCATED);
        const close = s.indexOf("]", i);
        i = close < 0 ? n : close + 1;
      } else {
        const sp = s.indexOf(" ", i);
        i = sp < 0 ? n : sp;
      }
    }
    if (win < 0) return this.fail("no window field");
    seg.flags = flags;
    seg.window = win;
    seg.payloadLength = payload >= 0 ? payload : 0;
    seg.clearOptions();
    const optionBytes = optA >= 0 ? parseOptions(s, optA, optB, seg) : 0;
    if (optA >= 0 && optB >= n && seg.optionsState === OptionsState.Complete) seg.optionsState = OptionsState.Truncated;
    this.finishSegment(seg, optionBytes);
    return Outcome.Segment;
  }

  /** Common tail: header length, IP fields, time, and sequence numbers made absolute. */
  private finishSegment(seg: TcpSegment, optionBytes: number): void {
    seg.input = 0;
    const ip = this.ip;
    seg.frame = ip.frame;
    seg.time = ip.time;
    seg.ttl = ip.ttl;
    seg.ipId = ip.id;
    seg.dontFragment = ip.df;
    seg.fragmented = ip.mf;
    let hl = 20 + ((optionBytes + 3) & ~3);
    if (hl > 60) hl = 60;
    if (ip.lengthUsable) {
      const fromIp = ip.length - (seg.ipVersion === 4 ? 20 : 0) - seg.payloadLength;
      if (fromIp >= 20 && fromIp <= 60 && (fromIp & 3) === 0) hl = fromIp;
    }
    seg.headerLength = hl;
    this.sequenceNumbers(seg);
  }

  private sequenceNumbers(seg: TcpSegment): void {
    const src = this.srcToken;
    const dst = this.dstToken;
    const srcFirst = seg.srcPort < seg.dstPort || (seg.srcPort === seg.dstPort && src <= dst);
    let flow = this.lastFlow;
    if (
      flow === null ||
      !((src === this.lastSrc && dst === this.lastDst) || (src === this.lastDst && dst === this.lastSrc))
    ) {
      const key = srcFirst ? `${src} ${dst}` : `${dst} ${src}`;
      flow = this.flows.get(key) ?? null;
      if (flow === null) {
        flow = {
          established: false,
          base: [0, 0],
          baseKnown: [false, false],
          next: [-1, -1],
          finMask: 0,
          closed: false,
          touched: 0,
        };
        this.flows.set(key, flow);
        if (this.flows.size > MAX_FLOWS) this.evict();
      }
      this.lastFlow = flow;
      this.lastSrc = src;
      this.lastDst = dst;
    }
    flow.touched = this.lineNo;
    const d: 0 | 1 = srcFirst ? 0 : 1;
    const o: 0 | 1 = srcFirst ? 1 : 0;
    const flags = seg.flags;
    let seq = this.seqPrinted;
    let ack = this.hasAck ? this.ackPrinted : 0;
    let sackBase = 0;
    if ((flags & ACK) !== 0 && this.hasAck && this.seqMode !== SeqMode.Absolute) {
      if (!flow.established || (flags & SYN) !== 0) {
        // tcpdump records this conversation now and prints this segment's numbers as they are.
        flow.established = true;
        if (this.hasSeq) {
          flow.base[d] = seq;
          flow.baseKnown[d] = true;
        } else if (flow.next[d] >= 0) {
          flow.base[d] = flow.next[d];
          flow.baseKnown[d] = true;
        } else {
          // tcpdump saw a seq it did not print: later ones of this side stay relative to it.
          flow.base[d] = 0;
          flow.baseKnown[d] = false;
          flow.next[d] = 0;
        }
        flow.base[o] = (ack - 1) >>> 0;
        flow.baseKnown[o] = true;
        sackBase = flow.base[o];
      } else {
        if (this.seqMode === SeqMode.Unknown) this.detectSeqMode(flow, d);
        if ((this.seqMode as SeqMode) !== SeqMode.Absolute) {
          if (this.hasSeq) seq = (seq + flow.base[d]) >>> 0;
          ack = (ack + flow.base[o]) >>> 0;
          sackBase = flow.base[o];
        }
      }
    }
    if (!this.hasSeq) seq = flow.next[d] >= 0 ? flow.next[d] : 0;
    seg.seq = seq;
    seg.ack = ack;
    if (sackBase !== 0) {
      for (let k = 0; k < seg.sackCount * 2; k++) seg.sack[k] = (seg.sack[k]! + sackBase) >>> 0;
    }
    // What each side will send next, for the seq of its pure ACKs (tcpdump does not print it).
    if (this.hasSeq || flow.next[d] >= 0) {
      const end = (seq + seg.payloadLength + ((flags & SYN) !== 0 ? 1 : 0) + ((flags & FIN) !== 0 ? 1 : 0)) >>> 0;
      if ((flags & SYN) !== 0 || flow.next[d] < 0 || ((end - flow.next[d]) | 0) > 0) flow.next[d] = end;
    }
    if ((flags & ACK) !== 0 && flow.next[o] < 0) flow.next[o] = ack;
    if ((flags & SYN) !== 0 && (flags & ACK) === 0) flow.next[o] = -1;
    if ((flags & RST) !== 0) flow.closed = true;
    if ((flags & FIN) !== 0 && (flow.finMask |= 1 << d) === 3) flow.closed = true;
  }

  /**
   * -S or not: a printed number near 0 is relative, one near the recorded base is absolute. Decided
   * once, from the first segment where the two readings are far apart.
   */
  private detectSeqMode(flow: Flow, d: 0 | 1): void {
    const o: 0 | 1 = d === 0 ? 1 : 0;
    let vote = flow.baseKnown[o] ? judge(this.ackPrinted, flow.base[o]) : SeqMode.Unknown;
    if (vote === SeqMode.Unknown && this.hasSeq && flow.baseKnown[d]) vote = judge(this.seqPrinted, flow.base[d]);
    if (vote !== SeqMode.Unknown) this.seqMode = vote;
  }

  /** Keep the flow table bounded: closed and idle conversations first, then the oldest. */
  private evict(): void {
    this.lastFlow = null;
    const idle = this.lineNo - 1_000_000;
    for (const [k, f] of this.flows) {
      if (f.closed || f.touched < idle) this.flows.delete(k);
    }
    if (this.flows.size <= (MAX_FLOWS * 3) / 4) return;
    const target = MAX_FLOWS / 2;
    for (const k of this.flows.keys()) {
      if (this.flows.size <= target) break;
      this.flows.delete(k);
    }
  }
}

function judge(printed: number, base: number): SeqMode {
  const rel = seqDistance(printed, 0);
  const abs = seqDistance(printed, base);
  if (abs <= 1 << 24 && rel >= 1 << 26) return SeqMode.Absolute;
  if (rel <= 1 << 24 && abs >= 1 << 26) return SeqMode.Relative;
  return SeqMode.Unknown;
}

/**
 * A non-first fragment, which tcpdump prints without ports: `ip-proto-6` alone (IPv4, -n) or
 * `frag (1232|100)` with a non-zero offset (IPv6).
 */
function isLaterFragment(s: string, body: number): boolean {
  if (s.startsWith("ip-proto-", body)) return readUint(s, body + 9) >= 0 && scan.end === s.length;
  if (!s.startsWith("frag (", body)) return false;
  // "frag (off|len)" or, with -v, "frag (0xid:off|len)"
  const bar = s.indexOf("|", body);
  if (bar < 0) return false;
  let start = s.lastIndexOf(":", bar);
  if (start < body) start = body + 5;
  return readUint(s, start + 1) > 0 && scan.end === bar;
}

/** tcpdump 3.x flags: a run of S F R P W E U, or '.', then a space. */
function isOldFlags(s: string, i: number): boolean {
  let j = i;
  for (; j < s.length && j - i < 8; j++) {
    const c = s.charCodeAt(j);
    if (c !== 83 && c !== 70 && c !== 82 && c !== 80 && c !== 87 && c !== 69 && c !== 85 && c !== 46) break;
  }
  if (j === i || s.charCodeAt(j) !== SPACE) return false;
  if (s.charCodeAt(i) === 46 && j - i > 1) return false;
  return within(s, "win ", j, s.length) >= 0 || within(s, "[|tcp]", j, s.length) >= 0;
}

/**
 * Whether the first bytes of an input look like tcpdump's text output: most of the first lines
 * (ignoring tcpdump's own messages and indented continuation lines) are packet lines.
 */
export function looksLikeTcpdumpText(firstBytes: Uint8Array): boolean {
  const n = Math.min(firstBytes.length, 16_384);
  for (let i = 0; i < n; i++) {
    const c = firstBytes[i]!;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  const lines = latin1(firstBytes.subarray(0, n)).split("\n");
  // The last piece may be a line cut short by the sample's end: judge it only when it is all there is.
  if (lines.length > 1) lines.pop();
  let good = 0;
  let bad = 0;
  for (let line of lines) {
    if (good + bad >= 20) break;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trim() === "" || isChatter(line)) continue;
    const numbered = packetNumberPrefix(line);
    if (numbered > 0) line = line.slice(numbered);
    parseTimestamp(line);
    const c0 = line.charCodeAt(0);
    if (stamp.kind === TimeKind.None && (c0 === SPACE || c0 === TAB)) continue;
    if (
      stamp.kind !== TimeKind.None ||
      line.startsWith("IP ") ||
      line.startsWith("IP6 ") ||
      line.includes(": Flags [") ||
      line.includes(", ethertype ") ||
      looksOldStyle(line)
    )
      good++;
    else bad++;
  }
  return good > 0 && good >= bad;
}

/** `1.2.3.4.42501 > 203.16.234.85.80: ...` */
function looksOldStyle(s: string): boolean {
  const gt = s.indexOf(" > ");
  if (gt <= 0 || gt > 60) return false;
  const out = new Uint32Array(4);
  return parseEndpoint(s, 0, gt, out, true) !== 0 || parseEndpoint(s, 0, gt, out, false) !== 0;
}
