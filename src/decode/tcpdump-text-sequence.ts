/**
 * tcpdump prints sequence and acknowledgement numbers relative to each direction's first one
 * (unless -S): this turns them back into absolute numbers the way tcpdump made them, so the same
 * capture printed with and without -S yields the same segments.
 */
import { ACK, FIN, RST, SYN, type TcpSegment } from "./segment.js";

/** Conversations whose relative sequence numbers are tracked (tcpdump itself never forgets any). */
const MAX_FLOWS = 100_000;

/** The numbers of one TCP line as printed, and the endpoint tokens that name its conversation. */
export class PrintedNumbers {
  hasSeq = false;
  seq = 0;
  hasAck = false;
  ack = 0;
  srcToken = "";
  dstToken = "";
}

/** Whether seq/ack numbers are printed relative to each direction's first one (tcpdump's default) or as is (-S). */
enum SeqMode {
  Unknown = 0,
  Relative = 1,
  Absolute = 2,
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

/** Circular distance of two 32-bit sequence numbers. */
function seqDistance(a: number, b: number): number {
  const d = (a - b) >>> 0;
  return d > 0x8000_0000 ? 0x1_0000_0000 - d : d;
}

export class RelativeSequences {
  private seqMode = SeqMode.Unknown;
  private readonly flows = new Map<string, Flow>();
  /** The flow of the previous segment, keyed by its tokens: bulk transfers hit it almost always. */
  private lastSrc = "";
  private lastDst = "";
  private lastFlow: Flow | null = null;

  /** Set seg.seq, seg.ack and the SACK edges from what line `lineNo` printed. */
  resolve(seg: TcpSegment, printed: PrintedNumbers, lineNo: number): void {
    const src = printed.srcToken;
    const dst = printed.dstToken;
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
        if (this.flows.size > MAX_FLOWS) this.evict(lineNo);
      }
      this.lastFlow = flow;
      this.lastSrc = src;
      this.lastDst = dst;
    }
    flow.touched = lineNo;
    const d: 0 | 1 = srcFirst ? 0 : 1;
    const o: 0 | 1 = srcFirst ? 1 : 0;
    const flags = seg.flags;
    let seq = printed.seq;
    let ack = printed.hasAck ? printed.ack : 0;
    let sackBase = 0;
    if ((flags & ACK) !== 0 && printed.hasAck && this.seqMode !== SeqMode.Absolute) {
      if (!flow.established || (flags & SYN) !== 0) {
        // tcpdump records this conversation now and prints this segment's numbers as they are.
        flow.established = true;
        if (printed.hasSeq) {
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
        if (this.seqMode === SeqMode.Unknown) this.detectSeqMode(flow, d, printed);
        // Still undecided (a base near 2^32 leaves the two readings close): this line's own closer reading.
        const absolute =
          (this.seqMode as SeqMode) === SeqMode.Absolute ||
          ((this.seqMode as SeqMode) === SeqMode.Unknown &&
            flow.baseKnown[o] &&
            seqDistance(ack, flow.base[o]) < seqDistance(ack, 0));
        if (!absolute) {
          if (printed.hasSeq) seq = (seq + flow.base[d]) >>> 0;
          ack = (ack + flow.base[o]) >>> 0;
          sackBase = flow.base[o];
        }
      }
    }
    if (!printed.hasSeq) seq = flow.next[d] >= 0 ? flow.next[d] : 0;
    seg.seq = seq;
    seg.ack = ack;
    if (sackBase !== 0) {
      for (let k = 0; k < seg.sackCount * 2; k++) seg.sack[k] = (seg.sack[k]! + sackBase) >>> 0;
    }
    // What each side will send next, for the seq of its pure ACKs (tcpdump does not print it).
    if (printed.hasSeq || flow.next[d] >= 0) {
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
  private detectSeqMode(flow: Flow, d: 0 | 1, printed: PrintedNumbers): void {
    const o: 0 | 1 = d === 0 ? 1 : 0;
    let vote = flow.baseKnown[o] ? judge(printed.ack, flow.base[o]) : SeqMode.Unknown;
    if (vote === SeqMode.Unknown && printed.hasSeq && flow.baseKnown[d]) vote = judge(printed.seq, flow.base[d]);
    if (vote !== SeqMode.Unknown) this.seqMode = vote;
  }

  /** Keep the flow table bounded: closed and idle conversations first, then the oldest. */
  private evict(lineNo: number): void {
    this.lastFlow = null;
    const idle = lineNo - 1_000_000;
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
