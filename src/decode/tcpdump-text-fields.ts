/**
 * Field parsers for tcpdump's text output: numbers, addresses, timestamps and the TCP option
 * list. They scan a line in place (no regular expressions, no allocation) and report where they
 * stopped through `scan.end`.
 */
import { OptionsState, type TcpSegment } from "./segment.js";

/**
 * Index of `needle` in s[a, b), or -1. Unlike indexOf it never looks past b, so searching item
 * after item of a long line stays linear.
 */
export function indexIn(s: string, needle: string, a: number, b: number): number {
  const n = needle.length;
  if (b - a < n) return -1;
  if (b - a <= 256) {
    const c0 = needle.charCodeAt(0);
    for (let i = a; i + n <= b; i++) if (s.charCodeAt(i) === c0 && s.startsWith(needle, i)) return i;
    return -1;
  }
  const at = s.slice(a, b).indexOf(needle);
  return at < 0 ? -1 : a + at;
}

/** Where the last successful read stopped. */
export const scan = { end: 0 };

const C_0 = 48;
const C_9 = 57;
const C_SPACE = 32;
const C_DOT = 46;
const C_COLON = 58;

export function isDigit(c: number): boolean {
  return c >= C_0 && c <= C_9;
}

/** Decimal digits at s[i..] (at most 15) as a number, or -1 when there is none. */
export function readUint(s: string, i: number): number {
  let v = 0;
  let j = i;
  const end = s.length < i + 15 ? s.length : i + 15;
  while (j < end) {
    const c = s.charCodeAt(j);
    if (c < C_0 || c > C_9) break;
    v = v * 10 + (c - C_0);
    j++;
  }
  if (j === i) return -1;
  scan.end = j;
  return v;
}

/** A decimal number that fits a 32-bit field, or -1. */
export function readU32(s: string, i: number): number {
  const v = readUint(s, i);
  return v > 0xffff_ffff ? -1 : v;
}

function hexValue(c: number): number {
  if (c >= C_0 && c <= C_9) return c - C_0;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** Dotted-quad IPv4 filling s[a, b) exactly, as a 32-bit number, or -1. */
export function parseIpv4(s: string, a: number, b: number): number {
  let v = 0;
  let i = a;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (i >= b || s.charCodeAt(i) !== C_DOT) return -1;
      i++;
    }
    let o = 0;
    const start = i;
    while (i < b && i - start < 4) {
      const c = s.charCodeAt(i);
      if (c < C_0 || c > C_9) break;
      o = o * 10 + (c - C_0);
      i++;
    }
    if (i === start || i - start > 3 || o > 255) return -1;
    v = v * 256 + o;
  }
  return i === b ? v : -1;
}

const groups = new Uint16Array(8);

/** IPv6 text in s[a, b) (with `::` and an embedded IPv4 tail) into four 32-bit words. */
export function parseIpv6(s: string, a: number, b: number, out: Uint32Array): boolean {
  if (b - a < 2 || b - a > 45) return false;
  let n = 0;
  let gap = -1;
  let i = a;
  if (s.charCodeAt(i) === C_COLON) {
    if (s.charCodeAt(i + 1) !== C_COLON) return false;
    gap = 0;
    i += 2;
  }
  while (i < b) {
    let j = i;
    let v = 0;
    while (j < b && j - i < 5) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      j++;
    }
    if (j < b && s.charCodeAt(j) === C_DOT) {
      if (n > 6) return false;
      const v4 = parseIpv4(s, i, b);
      if (v4 < 0) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      i = b;
      break;
    }
    if (j === i || j - i > 4 || n >= 8) return false;
    groups[n++] = v;
    i = j;
    if (i === b) break;
    if (s.charCodeAt(i) !== C_COLON) return false;
    i++;
    if (i < b && s.charCodeAt(i) === C_COLON) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === b) return false;
  }
  if (gap >= 0) {
    if (n > 7) return false;
    const tail = n - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[n - 1 - k]!;
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  } else if (n !== 8) return false;
  for (let k = 0; k < 4; k++) out[k] = ((groups[2 * k]! << 16) | groups[2 * k + 1]!) >>> 0;
  return true;
}

/**
 * An endpoint `addr.port` in s[a, b) into `out` (four words, IPv4 in word 0). Returns the IP
 * version (4 or 6), or 0 when the address is not numeric; the port is in `endpoint.port` (-1 when
 * the token has no numeric port).
 */
export const endpoint = { port: -1 };

export function parseEndpoint(s: string, a: number, b: number, out: Uint32Array, withPort: boolean): 0 | 4 | 6 {
  let addrEnd = b;
  endpoint.port = -1;
  if (withPort) {
    const dot = s.lastIndexOf(".", b - 1);
    if (dot <= a || b - dot - 1 < 1 || b - dot - 1 > 5) return 0;
    const p = readUint(s, dot + 1);
    if (p < 0 || scan.end !== b || p > 65535) return 0;
    endpoint.port = p;
    addrEnd = dot;
  }
  const v4 = parseIpv4(s, a, addrEnd);
  if (v4 >= 0) {
    out[0] = v4;
    out[1] = out[2] = out[3] = 0;
    return 4;
  }
  if (indexIn(s, ":", a, addrEnd) >= 0 && parseIpv6(s, a, addrEnd, out)) return 6;
  return 0;
}

export enum TimeKind {
  None = 0,
  /** HH:MM:SS.frac, the default. */
  TimeOfDay = 1,
  /** -tt: seconds since the epoch. */
  Epoch = 2,
  /** -tttt: YYYY-MM-DD HH:MM:SS.frac, local time. */
  DateTime = 3,
  /** -ttt / -ttttt: a leading space, then a (signed) H:MM:SS.frac since the previous or first packet. */
  Relative = 4,
}

/** Result of parseTimestamp: its kind, value in seconds, and where the rest of the line starts. */
export const stamp = { kind: TimeKind.None as TimeKind, value: 0, end: 0 };

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];
let midnightKey = -1;
let midnightValue = 0;

/** Optional `.digits`; returns the fraction, advancing scan.end (left unchanged without a dot). */
function fraction(s: string, i: number): number {
  scan.end = i;
  if (s.charCodeAt(i) !== C_DOT) return 0;
  let v = 0;
  let j = i + 1;
  let n = 0;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c < C_0 || c > C_9) break;
    if (n < 12) {
      v = v * 10 + (c - C_0);
      n++;
    }
    j++;
  }
  if (j === i + 1) return -1;
  scan.end = j;
  return v / POW10[n]!;
}

/** `HH:MM:SS` with `.frac` at s[i..]: seconds, or -1. Hours may be any width (relative stamps). */
function clock(s: string, i: number): number {
  const h = readUint(s, i);
  if (h < 0 || scan.end - i > 6 || s.charCodeAt(scan.end) !== C_COLON) return -1;
  const mAt = scan.end + 1;
  const m = readUint(s, mAt);
  if (m < 0 || scan.end !== mAt + 2 || m > 59 || s.charCodeAt(scan.end) !== C_COLON) return -1;
  const sAt = scan.end + 1;
  const sec = readUint(s, sAt);
  if (sec < 0 || scan.end !== sAt + 2 || sec > 60) return -1;
  const f = fraction(s, scan.end);
  if (f < 0) return -1;
  return h * 3600 + m * 60 + sec + f;
}

/** Space (or end of line) at i: a timestamp must be followed by one. */
function endsToken(s: string, i: number): boolean {
  return i >= s.length || s.charCodeAt(i) === C_SPACE;
}

/** The timestamp at the start of a packet line, in any of tcpdump's -t formats. */
export function parseTimestamp(s: string): void {
  stamp.kind = TimeKind.None;
  stamp.value = 0;
  stamp.end = 0;
  const c0 = s.charCodeAt(0);
  if (c0 === C_SPACE) {
    let i = 1;
    let neg = false;
    if (s.charCodeAt(1) === 45) {
      neg = true;
      i = 2;
    }
    if (!isDigit(s.charCodeAt(i))) return;
    const v = clock(s, i);
    if (v < 0 || !endsToken(s, scan.end)) return;
    stamp.kind = TimeKind.Relative;
    stamp.value = neg ? -v : v;
    stamp.end = scan.end;
    return;
  }
  if (!isDigit(c0)) return;
  const first = readUint(s, 0);
  const n = scan.end;
  const next = s.charCodeAt(n);
  if (next === C_COLON) {
    if (n > 2) return;
    const v = clock(s, 0);
    if (v < 0 || !endsToken(s, scan.end)) return;
    stamp.kind = TimeKind.TimeOfDay;
    stamp.value = v;
    stamp.end = scan.end;
  } else if (next === C_DOT) {
    const f = fraction(s, n);
    if (f < 0 || !endsToken(s, scan.end)) return;
    stamp.kind = TimeKind.Epoch;
    stamp.value = first + f;
    stamp.end = scan.end;
  } else if (next === 45 && n === 4) {
    const mo = readUint(s, 5);
    if (mo < 1 || mo > 12 || s.charCodeAt(7) !== 45 || !isDigit(s.charCodeAt(6))) return;
    const d = readUint(s, 8);
    if (d < 1 || d > 31 || s.charCodeAt(10) !== C_SPACE || !isDigit(s.charCodeAt(9))) return;
    const v = clock(s, 11);
    if (v < 0 || !endsToken(s, scan.end)) return;
    const key = first * 10000 + mo * 100 + d;
    if (key !== midnightKey) {
      midnightKey = key;
      // tcpdump prints -tttt in local time; read it back the same way.
      midnightValue = new Date(first, mo - 1, d).getTime() / 1000;
    }
    stamp.kind = TimeKind.DateTime;
    stamp.value = midnightValue + v;
    stamp.end = scan.end;
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* TCP options                                                                                    */

interface OptionName {
  kind: number;
  /** Option length in bytes when tcpdump does not print it; -1: worked out from the text. */
  len: number;
}

const OPTION_NAMES = new Map<string, OptionName>([
  ["eol", { kind: 0, len: 1 }],
  ["nop", { kind: 1, len: 1 }],
  ["mss", { kind: 2, len: 4 }],
  ["wscale", { kind: 3, len: 3 }],
  ["sackOK", { kind: 4, len: 2 }],
  ["sack", { kind: 5, len: -1 }],
  ["echo", { kind: 6, len: 6 }],
  ["echoreply", { kind: 7, len: 6 }],
  ["TS", { kind: 8, len: 10 }],
  ["timestamp", { kind: 8, len: 10 }],
  ["cc", { kind: 11, len: 6 }],
  ["ccnew", { kind: 12, len: 6 }],
  ["ccecho", { kind: 13, len: 6 }],
  // tcpdump 4.x names CC.ECHO with an empty string: the item is just " <number>".
  ["", { kind: 13, len: 6 }],
  ["md5", { kind: 19, len: 18 }],
  ["scps", { kind: 20, len: 4 }],
  ["uto", { kind: 28, len: 4 }],
  ["tcp-ao", { kind: 29, len: -1 }],
  ["mptcp", { kind: 30, len: -1 }],
  ["tfo", { kind: 34, len: -1 }],
  ["exp", { kind: 254, len: 4 }],
  ["exp-tfo", { kind: 254, len: -1 }],
]);

/** The option-kind byte a name stands for (`unknown-34`, `opt-34`, `exp-f989` included), or -1. */
function optionKind(name: string): number {
  const known = OPTION_NAMES.get(name);
  if (known) return known.kind;
  if (name.startsWith("unknown-") || name.startsWith("opt-")) {
    const at = name.indexOf("-") + 1;
    const k = readUint(name, at);
    return k >= 0 && k <= 255 && scan.end === name.length ? k : -1;
  }
  if (name.startsWith("exp-")) return 254;
  return -1;
}

/** Bytes spelled as hex digits after `from` in s[from, to): the first run of hex digits. */
function hexBytes(s: string, from: number, to: number): number {
  let i = from;
  while (i < to && hexValue(s.charCodeAt(i)) < 0) i++;
  if (s.charCodeAt(i) === C_0 && (s.charCodeAt(i + 1) | 0x20) === 120) i += 2;
  const start = i;
  while (i < to && hexValue(s.charCodeAt(i)) >= 0) i++;
  return (i - start) >> 1;
}

/** Length of one option item from its printed text (used for the header length). */
function optionLength(name: string, kind: number, s: string, a: number, b: number): number {
  const known = OPTION_NAMES.get(name);
  if (known && known.len > 0) return known.len;
  switch (name) {
    case "sack": {
      let blocks = 0;
      for (let i = indexIn(s, "{", a, b); i >= 0; i = indexIn(s, "{", i + 1, b)) blocks++;
      return 2 + blocks * 8;
    }
    case "mptcp": {
      // mptcp prints its own length first: "mptcp 12 capable ...".
      let i = a + 5;
      while (i < b && s.charCodeAt(i) === C_SPACE) i++;
      const v = readUint(s, i);
      return v >= 2 && v <= 40 ? v : 4;
    }
    case "tfo": {
      const c = indexIn(s, "cookie ", a, b);
      return c >= 0 ? 2 + hexBytes(s, c + 7, b) : 2;
    }
    case "exp-tfo": {
      const c = indexIn(s, "cookie ", a, b);
      return c >= 0 ? 4 + hexBytes(s, c + 7, b) : 4;
    }
    case "tcp-ao": {
      const c = indexIn(s, "mac ", a, b);
      return c >= 0 ? 4 + hexBytes(s, c + 4, b) : 4;
    }
    default:
      break;
  }
  if (name.startsWith("exp-")) return 4;
  if (kind >= 0) {
    // unknown-N 0xHEX / opt-N:HEX
    const sep = indexIn(s, name.startsWith("opt-") ? ":" : " ", a, b);
    return sep >= 0 ? 2 + hexBytes(s, sep + 1, b) : 2;
  }
  return 0;
}

function skipSpaces(s: string, i: number, b: number): number {
  while (i < b && s.charCodeAt(i) === C_SPACE) i++;
  return i;
}

/** `[len N]` printed at `at` (after an option whose length differs from the usual): N, else -1. */
function lengthOverride(s: string, at: number): number {
  const v = readUint(s, at + 5);
  return v >= 0 && v < 256 ? v : -1;
}

const COMMON_NAMES = ["nop", "mss", "wscale", "sackOK", "TS", "sack", "eol"];

/** The usual option names, recognised without slicing the line. */
function commonName(s: string, a: number, b: number): string | undefined {
  for (const name of COMMON_NAMES) {
    const e = a + name.length;
    if (e <= b && s.startsWith(name, a) && (e === b || s.charCodeAt(e) === C_SPACE)) return name;
  }
  return undefined;
}

/** The name at the start of an option item: letters, digits and '-' (`unknown-34`, `exp-tfo`). */
function itemName(s: string, a: number, b: number): string {
  let i = a;
  while (i < b) {
    const c = s.charCodeAt(i);
    if (c === C_SPACE || c === C_COLON || c === 91 /* [ */ || c === 123 /* { */) break;
    i++;
  }
  return s.slice(a, i);
}

/** Where parseOptions found text that is not an option list tcpdump prints: s[start, end). */
export const badOption = { start: 0, end: 0 };

/**
 * Options whose printed text is free-form (it may hold commas): an item that is no option name
 * after one of these is more of its text. After any other option it is not tcpdump's output.
 */
const FREE_TEXT_KINDS = new Set([19, 20, 28, 29, 30, 34, 254]);

/** `[len N]` (an option whose length differs from the usual), then the end of the item. */
function endsItem(s: string, i: number, end: number): boolean {
  let j = skipSpaces(s, i, end);
  if (s.startsWith("[len ", j)) {
    if (readUint(s, j + 5) < 0 || s.charCodeAt(scan.end) !== 93) return false;
    j = skipSpaces(s, scan.end + 1, end);
  }
  return j === end;
}

/**
 * Parse tcpdump's option list s[a, b) (inside `options [...]` or the old `<...>`) into `seg`.
 * Returns the option bytes it accounts for (before padding), or -1 when an item is not what
 * tcpdump prints (a value that does not parse completely, `wscale seven`, an unknown name after a
 * fixed-format option): `badOption` then locates it. SACK edges are left as printed (possibly
 * relative); the caller rebases them.
 */
export function parseOptions(s: string, a: number, b: number, seg: TcpSegment): number {
  let total = 0;
  let nopRun = 0;
  let freeText = false;
  let i = a;
  // Markers are rare: find each once, then compare positions.
  let truncAt = indexIn(s, "[|", a, b);
  if (truncAt < 0) truncAt = b;
  let lenAt = indexIn(s, "[len ", a, b);
  if (lenAt < 0) lenAt = b;
  let badAt = indexIn(s, "[bad opt]", a, b);
  if (badAt < 0) badAt = b;
  // Next '[', '{' and '(' at or after the current item (b when there is none).
  let square = a - 1;
  let curly = a - 1;
  let round = a - 1;
  while (i < b) {
    // One item: up to the next ',' outside brackets and braces.
    const begin = i;
    let j = s.indexOf(",", i);
    if (j < 0 || j > b) j = b;
    if (square < i) square = nextOr(s, "[", i, b);
    if (curly < i) curly = nextOr(s, "{", i, b);
    if (round < i) round = nextOr(s, "(", i, b);
    if (square < j || curly < j || round < j) {
      // A bracket or brace before the comma: the comma may be inside it.
      j = i;
      let depth = 0;
      while (j < b) {
        const c = s.charCodeAt(j);
        if (c === 91 || c === 123 || c === 40) depth++;
        else if ((c === 93 || c === 125 || c === 41) && depth > 0) depth--;
        else if (c === 44 && depth === 0) break;
        j++;
      }
    }
    const itemEnd = j;
    i = j + 1;
    if (begin === itemEnd) continue;
    const trunc = truncAt < itemEnd;
    if (badAt === begin) {
      seg.optionsState = OptionsState.Malformed;
      break;
    }
    // An empty name (" 1234") is tcpdump's CC.ECHO; other names start right after the separator.
    const name = s.charCodeAt(begin) === C_SPACE ? "" : (commonName(s, begin, itemEnd) ?? itemName(s, begin, itemEnd));
    const kind = name === "" ? (isDigit(s.charCodeAt(skipSpaces(s, begin, itemEnd))) ? 13 : -1) : optionKind(name);
    if (kind < 0) {
      // Text of the previous option that contained a comma (md5's message, mptcp's keys), or the
      // truncation marker on its own.
      if (trunc) {
        seg.optionsState = OptionsState.Truncated;
        break;
      }
      if (freeText) continue;
      return malformed(begin, itemEnd);
    }
    freeText = FREE_TEXT_KINDS.has(kind) || name.startsWith("unknown-") || name.startsWith("opt-");
    if (seg.optionCount < seg.optionKinds.length) seg.optionKinds[seg.optionCount++] = kind;
    if (kind === 1) {
      if (++nopRun > seg.longestNopRun) seg.longestNopRun = nopRun;
    } else nopRun = 0;
    if (trunc) {
      seg.optionsState = OptionsState.Truncated;
      break;
    }
    while (lenAt < begin) {
      lenAt = indexIn(s, "[len ", lenAt + 1, b);
      if (lenAt < 0) lenAt = b;
    }
    const override = lenAt < itemEnd ? lengthOverride(s, lenAt) : -1;
    const len = override >= 0 ? override : optionLength(name, kind, s, begin, itemEnd);
    total += len;
    const named = begin + name.length;
    const v = skipSpaces(s, named, itemEnd);
    // Whether the item reads completely as what tcpdump prints for this option.
    let ok = true;
    switch (kind) {
      case 0:
      case 1:
        ok = endsItem(s, named, itemEnd);
        break;
      case 2: {
        const mss = readUint(s, v);
        ok = v > named && mss >= 0 && mss <= 0xffff && endsItem(s, scan.end, itemEnd);
        if (mss >= 0 && mss <= 0xffff && len === 4) seg.mss = mss;
        break;
      }
      case 3: {
        seg.wscaleCount++;
        seg.wscaleLength = len;
        const ws = readUint(s, v);
        ok = v > named && ws >= 0 && ws <= 255 && endsItem(s, scan.end, itemEnd);
        if (ws >= 0 && ws <= 255 && len >= 3) seg.wscale = ws;
        break;
      }
      case 4:
        seg.sackPermitted = true;
        ok = endsItem(s, named, itemEnd);
        break;
      case 8: {
        // "TS val A ecr B" (4.x) or "timestamp A B" (3.x).
        const modern = name === "TS";
        let p = v;
        if (s.startsWith("val ", p)) p += 4;
        else ok = !modern;
        const tsVal = readU32(s, p);
        if (tsVal < 0) {
          ok = false;
          break;
        }
        p = skipSpaces(s, scan.end, itemEnd);
        if (s.startsWith("ecr ", p)) p += 4;
        else if (modern) ok = false;
        const tsEcr = readU32(s, p);
        ok = ok && tsEcr >= 0 && endsItem(s, scan.end, itemEnd);
        if (tsEcr < 0 || len !== 10) break;
        seg.hasTimestamp = true;
        seg.tsVal = tsVal;
        seg.tsEcr = tsEcr;
        break;
      }
      case 5:
        ok = sackBlocks(s, v, itemEnd, seg);
        break;
      default:
        break;
    }
    // An item tcpdump itself marked `[bad opt]` (its length is impossible) is not held to its format.
    if (!ok && badAt >= itemEnd) return malformed(begin, itemEnd);
    if (kind === 0) break;
  }
  return total;
}

/** The first `c` at or after `from`, or b when there is none before b. */
function nextOr(s: string, c: string, from: number, b: number): number {
  const at = s.indexOf(c, from);
  return at < 0 || at > b ? b : at;
}

function malformed(start: number, end: number): number {
  badOption.start = start;
  badOption.end = end;
  return -1;
}

/**
 * SACK blocks `N {a:b}{c:d}` (tcpdump 3.x: `sack N {a:b} `) into seg.sack as printed; false if
 * the text is anything else.
 */
function sackBlocks(s: string, a: number, b: number, seg: TcpSegment): boolean {
  let ok = readUint(s, s.startsWith("sack ", a) ? a + 5 : a) >= 0;
  let i = ok ? skipSpaces(s, scan.end, b) : a;
  for (;;) {
    const open = indexIn(s, "{", i, b);
    if (open < 0) break;
    ok = ok && open === i;
    const left = readU32(s, open + 1);
    if (left < 0 || s.charCodeAt(scan.end) !== C_COLON) return false;
    const right = readU32(s, scan.end + 1);
    if (right < 0 || s.charCodeAt(scan.end) !== 125) return false;
    i = skipSpaces(s, scan.end + 1, b);
    if (seg.sackCount < 4) {
      const k = seg.sackCount++ * 2;
      seg.sack[k] = left;
      seg.sack[k + 1] = right;
    }
  }
  return ok && endsItem(s, i, b);
}
