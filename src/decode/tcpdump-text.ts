import type { CaptureIssue } from "../capture/issue.js";
import type { TcpSegment } from "./segment.js";
import type { SegmentSource } from "./segment-source.js";
import { isDigit, parseEndpoint, parseTimestamp, stamp, TimeKind } from "./tcpdump-text-fields.js";
import { LineEvent, latin1, MAX_LINE, TextLines } from "./tcpdump-text-lines.js";
import { isChatter, Outcome, PacketLineParser, packetNumberPrefix } from "./tcpdump-text-packet.js";
import { RelativeSequences } from "./tcpdump-text-sequence.js";

/** Unparsable lines reported one by one; the rest are summed up in one last warning. */
const MAX_WARNINGS = 10;

const REASON_UNPARSABLE = "unparsable";

const SPACE = 32;
const TAB = 9;

/**
 * tcpdump's text output (`tcpdump -n`, with any -t variant, -v, -e, -S, -i any, -#, and the 3.x
 * style of old incident reports) as a segment source. Three parts, as the binary readers are
 * split: TextLines cuts the input into lines as it arrives, PacketLineParser reads a packet line's
 * fields, RelativeSequences turns tcpdump's relative sequence numbers back into absolute ones. This
 * class decides what each line is (a packet, a -v continuation, tcpdump's own messages), keeps the
 * clock, and counts and reports what could not be read. Nothing in the input can make it throw.
 */
export class TcpdumpTextSource implements SegmentSource {
  readonly format = "tcpdump-text" as const;
  readonly warnings: CaptureIssue[] = [];
  error: CaptureIssue | null = null;
  readonly linkTypes: number[] = [];
  packets = 0;

  private readonly lines = new TextLines();
  private readonly parser = new PacketLineParser();
  private readonly sequences = new RelativeSequences();
  private done = false;

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

  // A -v IPv4 header line waiting for its indented TCP line (its fields wait in parser.held).
  private pending = false;
  private pendingLine = 0;
  private pendingOffset = 0;

  feed(chunk: Uint8Array): void {
    this.lines.feed(chunk);
  }

  finish(): void {
    this.lines.finish();
  }

  next(seg: TcpSegment): boolean {
    for (;;) {
      switch (this.lines.next()) {
        case LineEvent.Line:
          if (this.line(this.lines.line, seg)) return true;
          break;
        case LineEvent.Overlong:
          this.nonBlank++;
          this.closePending();
          this.packets++;
          this.unparsable(`longer than ${MAX_LINE} bytes, not tcpdump output`);
          break;
        case LineEvent.End:
          this.end();
          return false;
        default:
          return false;
      }
    }
  }

  skipped(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.counts) out[k] = v;
    return out;
  }

  /* -------------------------------------------------------------------------------------------- */

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
        message: "not a capture: no line reads as a packet printed by tcpdump -n (IP, IPv6, ARP, ...)",
      };
    }
  }

  private count(reason: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  private unparsable(why: string, line = this.lines.lineNo, offset = this.lines.offset): void {
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
      this.parser.takeHeld();
      let p = 0;
      while (p < s.length && (s.charCodeAt(p) === SPACE || s.charCodeAt(p) === TAB)) p++;
      return this.tcpPart(s, p, seg, true, false);
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
    const kind = stamp.kind;
    this.parser.start(this.packets, this.timeOf(kind, stamp.value));
    let p = stamp.end;
    while (p < s.length && s.charCodeAt(p) === SPACE) p++;
    return this.tcpPart(s, p, seg, false, kind !== TimeKind.None);
  }

  /** Parse the packet part of a line and act on what it was; true when it filled `seg`. */
  private tcpPart(s: string, p: number, seg: TcpSegment, continuation: boolean, timed: boolean): boolean {
    const parser = this.parser;
    const outcome = parser.parse(s, p, seg, continuation, timed);
    if (parser.recognized) this.recognized++;
    switch (outcome) {
      case Outcome.Segment:
        this.sequences.resolve(seg, parser.printed, this.lines.lineNo);
        return true;
      case Outcome.Skipped:
        this.count(parser.reason);
        return false;
      case Outcome.Header:
        this.pending = true;
        this.pendingLine = this.lines.lineNo;
        this.pendingOffset = this.lines.offset;
        return false;
      default:
        this.unparsable(parser.reason);
        return false;
    }
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
