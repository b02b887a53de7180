/**
 * One packet line of tcpdump's text output, parsed: the TCP header's fields into a segment (numbers
 * as printed, see tcpdump-text-sequence.ts), the IP layer's into PacketIp, or the reason the line
 * gives no segment. Lines are scanned in place with the field readers of tcpdump-text-fields.ts.
 */
import { ACK, CWR, ECE, FIN, OptionsState, PSH, RST, SYN, type TcpSegment, URG } from "./segment.js";
import {
  badOption,
  endpoint,
  indexIn,
  isDigit,
  parseEndpoint,
  parseOptions,
  readU32,
  readUint,
  scan,
} from "./tcpdump-text-fields.js";
import { PrintedNumbers } from "./tcpdump-text-sequence.js";

const REASON_NOT_TCP = "not TCP";
const REASON_LATER_FRAGMENT = "later IP fragment";
const REASON_TRUNCATED = "truncated before the TCP header";
const REASON_MALFORMED = "malformed header";

/** What one packet line gave. */
export enum Outcome {
  Segment = 0,
  /** A packet tcpdump printed that carries no TCP segment (`reason`: what it was). */
  Skipped = 1,
  /** An IPv4 header line of `-v` output: the TCP part follows on the next, indented line. */
  Header = 2,
  /** Not readable as a packet (`reason`: why). */
  Refused = 3,
}

const SPACE = 32;

function byteOr0(v: number): number {
  return v >= 0 && v <= 255 ? v : 0;
}

function u16Or0(v: number): number {
  return v >= 0 && v <= 0xffff ? v : 0;
}

/** tcpdump's own messages (on stderr, but often captured with 2>&1). */
export function isChatter(s: string): boolean {
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
export function packetNumberPrefix(s: string): number {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) === SPACE) i++;
  if (readUint(s, i) < 0) return 0;
  const e = scan.end;
  return s.charCodeAt(e) === SPACE && s.charCodeAt(e + 1) === SPACE ? e + 2 : 0;
}

/** The number after `key` in s[a, b), or -1. */
function numberAfter(s: string, key: string, a: number, b: number): number {
  const at = indexIn(s, key, a, b);
  return at < 0 ? -1 : readUint(s, at + key.length);
}

/**
 * A number in a field ends at the field's end: the end of the line, a comma or a space (or `also`:
 * ':' of a sequence range, or before the payload's decoding). `win 64240x`, `win 1e5` and
 * `win 642.40` do not.
 */
function endsNumber(s: string, i: number, also = -1): boolean {
  if (i >= s.length) return true;
  const c = s.charCodeAt(i);
  return c === 44 || c === SPACE || c === also;
}

/** `words` space-separated words from i (up to a '<' of glued options), quoted for a warning. */
function quoteWord(s: string, i: number, words = 1): string {
  let end = i;
  for (let w = 0; w < words && end < s.length; w++) {
    const sp = s.indexOf(" ", end + 1);
    end = sp < 0 ? s.length : sp;
  }
  const lt = s.indexOf("<", i);
  return `'${excerpt(s, i, lt >= 0 && lt < end ? lt : end)}'`;
}

/** The field starting at i, up to the next comma, quoted for a warning. */
function quoteField(s: string, i: number): string {
  const comma = s.indexOf(",", i);
  return `'${excerpt(s, i, comma < 0 ? s.length : comma)}'`;
}

function badOptionText(s: string): string {
  return `malformed option '${excerpt(s, badOption.start, badOption.end)}'`;
}

/** A piece of the input quoted in a warning: short, and printable. */
function excerpt(s: string, a: number, b: number): string {
  const cut = b - a > 40;
  return s.slice(a, cut ? a + 40 : b).replace(/[^\x20-\x7e]/g, "?") + (cut ? "..." : "");
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
  return indexIn(s, "win ", j, s.length) >= 0 || indexIn(s, "[|tcp]", j, s.length) >= 0;
}

/** Protocols tcpdump names at the start of a packet without an IP address pair. */
const PROTOCOL =
  /^(?:IP6?[ ,]|ARP|RARP|STP|LLDP|CDP|LLC|IPX|vlan|EAPOL|EAP|PPPoE|MPLS|IS-IS|AoE|SLARP|Loopback|IPOIB|aarp|UDLD|DTP|CFM|802\.1)/;
/** `-i any`: the interface and the direction before the protocol. */
const ANY_PREFIX = /^\S{1,20} +(?:In|Out|B|M|P) +/;
/** `-e` on Ethernet: the MAC address pair. */
const MAC_PAIR = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5} > [0-9a-f]{2}(?::[0-9a-f]{2}){5}[ ,]/;

/** A packet line of tcpdump's (from p on, after any timestamp) that holds no IP address pair. */
function hasTcpdumpShape(s: string, p: number): boolean {
  let rest = s.slice(p, p + 96);
  if (MAC_PAIR.test(rest) || rest.includes("ethertype ")) return true;
  const any = ANY_PREFIX.exec(rest);
  if (any !== null) rest = rest.slice(any[0].length);
  return PROTOCOL.test(rest);
}

/** Where a packet is in the input and what its IP layer said (the -v details are optional). */
export class PacketIp {
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

export class PacketLineParser {
  /** The packet being parsed. */
  ip = new PacketIp();
  /** A -v IPv4 header line's fields, waiting for the indented TCP line that follows. */
  held = new PacketIp();
  /** Sequence numbers and endpoint tokens of the last TCP line, as printed. */
  readonly printed = new PrintedNumbers();
  /** Why the last line was skipped or refused. */
  reason = "";
  /** The last line is tcpdump's (a packet of some kind), whether or not it gave a segment. */
  recognized = false;

  /** A packet line starts: its number and time, and no IP details yet. */
  start(frame: number, time: number): void {
    const ip = this.ip;
    ip.frame = frame;
    ip.time = time;
    ip.ttl = 0;
    ip.id = 0;
    ip.df = false;
    ip.mf = false;
    ip.length = -1;
    ip.lengthUsable = false;
  }

  /** The TCP line after a -v header line: the header's fields become the packet's. */
  takeHeld(): void {
    [this.ip, this.held] = [this.held, this.ip];
  }

  /**
   * The part of a packet line after the timestamp (or an indented -v continuation): finds the TCP
   * header in tcpdump 4.x form (`Flags [...]`), or an IPv4 -v header, or the 3.x form; everything
   * else is skipped or refused with a reason. `timed`: the line started with a timestamp.
   */
  parse(s: string, p: number, seg: TcpSegment, continuation: boolean, timed: boolean): Outcome {
    this.recognized = false;
    const flagsAt = s.indexOf(": Flags [", p);
    if (flagsAt >= 0) {
      this.recognized = true;
      return this.tcpModern(s, p, flagsAt, seg);
    }
    if (!continuation) {
      const tos = s.indexOf("(tos 0x", p);
      if (tos >= 0) return this.ipv4Header(s, tos);
    }
    return this.other(s, p, seg, continuation, timed);
  }

  private skip(reason: string): Outcome {
    this.recognized = true;
    this.reason = reason;
    return Outcome.Skipped;
  }

  private fail(why: string): Outcome {
    this.reason = why;
    return Outcome.Refused;
  }

  /** `IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)` of -v output. */
  private ipv4Header(s: string, tos: number): Outcome {
    this.recognized = true;
    let close = s.indexOf(")", s.indexOf("proto ", tos));
    if (close < 0) close = s.length;
    const proto = numberAfter(s, " (", s.indexOf("proto ", tos), close + 1);
    const offset = numberAfter(s, ", offset ", tos, close);
    if (proto !== 6) return this.skip(REASON_NOT_TCP);
    if (offset > 0) return this.skip(REASON_LATER_FRAGMENT);
    const flags = indexIn(s, "flags [", tos, close);
    const flagsEnd = flags < 0 ? -1 : s.indexOf("]", flags);
    const held = this.held;
    held.frame = this.ip.frame;
    held.time = this.ip.time;
    held.ttl = byteOr0(numberAfter(s, ", ttl ", tos, close));
    held.id = u16Or0(numberAfter(s, ", id ", tos, close));
    held.df = flags >= 0 && indexIn(s, "DF", flags, flagsEnd) >= 0;
    held.mf = flags >= 0 && indexIn(s, "+", flags, flagsEnd) >= 0;
    const length = numberAfter(s, ", length ", flagsEnd < 0 ? tos : flagsEnd, s.length);
    held.length = length;
    held.lengthUsable = length > 0 && indexIn(s, "options (", tos, s.length) < 0;
    return Outcome.Header;
  }

  /** `(flowlabel 0x12345, hlim 64, next-header TCP (6) payload length: 40)` before an IPv6 -v TCP part. */
  private ipv6Details(s: string, a: number, b: number): void {
    const hlim = numberAfter(s, "hlim ", a, b);
    if (hlim < 0) return;
    this.ip.ttl = byteOr0(hlim);
    const nh = indexIn(s, "next-header ", a, b);
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
      this.printed.srcToken = s.slice(srcStart, gt);
      this.printed.dstToken = s.slice(gt + 3, end);
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
            this.printed.srcToken = `${s.slice(outerStart, outerGt)}.${sport}`;
            this.printed.dstToken = `${s.slice(outerGt + 3, outerEnd)}.${dport}`;
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

    this.printed.hasSeq = false;
    this.printed.hasAck = false;
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
        if (v < 0 || !endsNumber(s, scan.end, 58)) return this.fail(`bad seq number ${quoteField(s, i)}`);
        this.printed.hasSeq = true;
        this.printed.seq = v;
        if (s.charCodeAt(scan.end) === 58) {
          seqEnd = readU32(s, scan.end + 1);
          if (seqEnd < 0 || !endsNumber(s, scan.end)) return this.fail(`bad seq range ${quoteField(s, i)}`);
        }
        i = scan.end;
      } else if (s.startsWith("ack ", i)) {
        const v = readU32(s, i + 4);
        if (v < 0 || !endsNumber(s, scan.end)) return this.fail(`bad ack number ${quoteField(s, i)}`);
        this.printed.hasAck = true;
        this.printed.ack = v;
        i = scan.end;
      } else if (s.startsWith("win ", i)) {
        win = readUint(s, i + 4);
        if (win < 0 || win > 0xffff || !endsNumber(s, scan.end)) return this.fail(`bad window ${quoteField(s, i)}`);
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
        if (length < 0 || !endsNumber(s, scan.end, 58)) return this.fail(`bad length ${quoteField(s, i)}`);
        i = scan.end;
        break; // what follows is the payload's own decoding
      } else {
        // cksum 0x1234 (correct), urg 5, anything newer: up to the next field.
        const nextField = s.indexOf(", ", i);
        i = nextField < 0 ? n : nextField;
      }
    }
    if (win < 0) {
      if (indexIn(s, "[bad hdr length", flagsAt, n) >= 0) return this.skip(REASON_MALFORMED);
      return this.fail("no window field");
    }
    if ((flags & ACK) !== 0 && !this.printed.hasAck) return this.fail("ACK flag without an ack number");
    seg.flags = flags;
    seg.window = win;
    seg.payloadLength = length >= 0 ? length : seqEnd >= 0 ? (seqEnd - this.printed.seq) >>> 0 : 0;
    seg.clearOptions();
    const optionBytes = optA >= 0 ? parseOptions(s, optA, optB, seg) : 0;
    if (optionBytes < 0) return this.fail(badOptionText(s));
    if (optA >= 0 && optB >= n && seg.optionsState === OptionsState.Complete && length < 0) {
      seg.optionsState = OptionsState.Truncated; // the line ends inside the option list
    }
    this.complete(seg, optionBytes);
    return Outcome.Segment;
  }

  /** Lines without `Flags [`: tcpdump 3.x TCP, truncated or fragmented TCP, and everything else. */
  private other(s: string, p: number, seg: TcpSegment, continuation: boolean, timed: boolean): Outcome {
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
        if (indexIn(s, "[bad hdr length", body, s.length) >= 0) return this.skip(REASON_MALFORMED);
        this.recognized = true;
        return this.fail("TCP without header fields (tcpdump -q output)");
      }
      if (isOldFlags(s, body)) {
        this.recognized = true;
        const bad = this.addresses(s, p, gt, colon, seg);
        if (bad !== null) return this.fail(bad);
        return this.tcpOld(s, body, seg);
      }
      return this.skip(REASON_NOT_TCP);
    }
    if (continuation) return this.fail("not a TCP line after an IP header line");
    // No address pair: ARP, STP, LLDP ... when it has tcpdump's shape.
    if (hasTcpdumpShape(s, p)) return this.skip(REASON_NOT_TCP);
    // After a timestamp, a protocol tcpdump names and we do not know: counted as a packet, but
    // such lines alone do not make a file tcpdump's (an application log starts each line with a
    // date and time too).
    if (timed) {
      this.reason = REASON_NOT_TCP;
      return Outcome.Skipped;
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
    this.printed.hasSeq = false;
    this.printed.hasAck = false;
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
      if (isDigit(c) && !this.printed.hasSeq && win < 0) {
        const a = readU32(s, i);
        if (a < 0 || s.charCodeAt(scan.end) !== 58) return this.fail(`bad sequence range ${quoteWord(s, i)}`);
        const b = readU32(s, scan.end + 1);
        if (b < 0 || !endsNumber(s, scan.end, 40)) return this.fail(`bad sequence range ${quoteWord(s, i)}`);
        const start = i;
        i = scan.end;
        this.printed.hasSeq = true;
        this.printed.seq = a;
        payload = (b - a) >>> 0;
        if (s.charCodeAt(i) === 40) {
          const len = readUint(s, i + 1);
          if (len < 0 || s.charCodeAt(scan.end) !== 41 || !endsNumber(s, scan.end + 1)) {
            return this.fail(`bad segment length ${quoteWord(s, start)}`);
          }
          payload = len;
          i = scan.end + 1;
        }
      } else if (s.startsWith("ack ", i)) {
        const v = readU32(s, i + 4);
        if (v < 0 || !endsNumber(s, scan.end)) return this.fail(`bad ack number ${quoteWord(s, i, 2)}`);
        flags |= ACK;
        this.printed.hasAck = true;
        this.printed.ack = v;
        i = scan.end;
      } else if (s.startsWith("win ", i)) {
        win = readUint(s, i + 4);
        // `win 5840<mss 1460,...>`: tcpdump 3.x glued the options to the window.
        if (win < 0 || win > 0xffff || !endsNumber(s, scan.end, 60))
          return this.fail(`bad window ${quoteWord(s, i, 2)}`);
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
        if (indexIn(s, "DF", i, b) >= 0) this.ip.df = true;
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
    if (optionBytes < 0) return this.fail(badOptionText(s));
    if (optA >= 0 && optB >= n && seg.optionsState === OptionsState.Complete) seg.optionsState = OptionsState.Truncated;
    this.complete(seg, optionBytes);
    return Outcome.Segment;
  }

  /** Common tail: header length, IP fields and time (the sequence numbers are made absolute after). */
  private complete(seg: TcpSegment, optionBytes: number): void {
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
  }
}
