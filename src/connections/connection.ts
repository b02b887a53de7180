import { ACK, FIN, OptionsState, RST, SYN, type TcpSegment } from "../decode/segment.js";
import { Endpoint, type SynInfo } from "./endpoint.js";
import { fieldCopier } from "./field-copier.js";
import { seqAfter, seqDiff } from "./seq.js";
import type { TimelineRecorder } from "./timeline.js";
import {
  ABSENT,
  effectiveShift,
  offered,
  type ScalingState,
  scalingState,
  UNKNOWN,
  type WscaleOffer,
} from "./wscale.js";

export type HandshakeState = "complete" | "partial" | "none";

/** A list of connections ordered by activity, linked through the connections themselves (no allocation). */
export class ConnectionList {
  head: Connection | null = null;
  tail: Connection | null = null;
  size = 0;

  append(c: Connection): void {
    c.list = this;
    c.listNext = null;
    c.listPrev = this.tail;
    if (this.tail !== null) this.tail.listNext = c;
    else this.head = c;
    this.tail = c;
    this.size++;
  }

  unlink(c: Connection): void {
    const { listPrev: prev, listNext: next } = c;
    if (prev !== null) prev.listNext = next;
    else this.head = next;
    if (next !== null) next.listPrev = prev;
    else this.tail = prev;
    c.listPrev = c.listNext = null;
    c.list = null;
    this.size--;
  }
}

/** Typical MSS used for "within one segment of the window" when the SYN did not say. */
const DEFAULT_MSS = 1460;

/**
 * One TCP connection between the time its first segment was seen and its finalisation. The
 * client is the side that sent the SYN; without a SYN the roles are a guess (`rolesGuessed`).
 */
export class Connection {
  readonly client = new Endpoint();
  readonly server = new Endpoint();
  /** Order of first appearance, 1-based: the report calls it "c<seq>". */
  seq = 0;
  rolesGuessed = false;
  firstTime = Number.NaN;
  lastTime = Number.NaN;
  firstFrame = 0;
  input = 0;
  packets = 0;
  scaling: ScalingState = "unknown";
  /** Time of the client's first ACK of the SYN-ACK: the end of the handshake at this capture point. */
  handshakeAckTime = Number.NaN;
  handshakeAckFrame = 0;
  /** Records whose capture time is earlier than the connection's latest one (a capture that reordered). */
  timeReversed = 0;
  /** Set when both FINs or a RST were seen: the connection lingers briefly for stragglers. */
  closedAt = Number.NaN;
  /** Time series for charts, only when the analysis asked for them. */
  timeline: TimelineRecorder | null = null;

  // Links owned by the tracker: hash chain and the activity-ordered lists.
  hashNext: Connection | null = null;
  listPrev: Connection | null = null;
  listNext: Connection | null = null;
  list: ConnectionList | null = null;

  constructor() {
    this.client.peer = this.server;
    this.server.peer = this.client;
  }

  /** Back to the state of a new Connection, keeping its two Endpoint objects (the tracker reuses it). */
  reset(): void {
    resetConnection(this);
    this.client.reset();
    this.server.reset();
  }

  get handshake(): HandshakeState {
    if (this.client.syn && this.server.syn) return "complete";
    if (this.client.syn || this.server.syn) return "partial";
    return "none";
  }

  /** Round trip at the capture point: SYN -> SYN-ACK -> ACK spans both halves of the path. */
  get handshakeRtt(): number {
    const syn = this.client.syn;
    return syn ? this.handshakeAckTime - syn.time : Number.NaN;
  }

  /** Best RTT estimate: the handshake's, else the sum of the two measured halves. */
  get rtt(): number {
    const h = this.handshakeRtt;
    if (h >= 0) return h;
    const c = this.client;
    const s = this.server;
    if (c.halfRttSamples > 0 && s.halfRttSamples > 0) return c.halfRttSmoothed + s.halfRttSmoothed;
    return Number.NaN;
  }

  /** Both sides sent a FIN and the other acknowledged it: nothing of the connection is in flight. */
  finsAcknowledged(): boolean {
    const c = this.client;
    const s = this.server;
    return (
      c.finSeen && s.finSeen && c.hasAck && s.hasAck && !seqAfter(c.nextSeq, s.maxAck) && !seqAfter(s.nextSeq, c.maxAck)
    );
  }

  isFromClient(seg: TcpSegment): boolean {
    const a = this.client.addr;
    const s = seg.src;
    return seg.srcPort === this.client.port && s[0] === a[0] && s[1] === a[1] && s[2] === a[2] && s[3] === a[3];
  }

  /** Fold one segment into the state. `from` sent it, `to` is its peer. */
  onSegment(seg: TcpSegment, from: Endpoint, to: Endpoint): void {
    const t = seg.time;
    const flags = seg.flags;
    this.packets++;
    from.packets++;
    // The same packet captured twice is one packet: count it, and let it change nothing else.
    if (from.isDuplicate(seg)) {
      from.duplicates++;
      return;
    }
    if (t < this.lastTime) this.timeReversed++;
    else this.lastTime = t;

    if ((flags & SYN) !== 0) this.onSyn(seg, from);
    else if (seg.wscaleCount > 0) {
      if (from.wscaleOnNonSyn++ === 0) from.wscaleOnNonSynFrame = seg.frame;
    }
    if ((flags & RST) !== 0 && !(this.closedAt >= 0)) this.closedAt = t;

    // Sequence space: data, retransmissions, bytes in flight.
    const len = seg.payloadLength;
    if (len > 0 && from.dataTtl === 0) from.dataTtl = seg.ttl;
    // Window full as Wireshark flags it: data up to the peer's last ack + last window << its shift
    // (raw < 2^16 and shift <= 14, so the shifted window stays below 2^30).
    if (
      len > 0 &&
      (flags & (SYN | FIN | RST)) === 0 &&
      to.shift !== null &&
      (seg.seq + len) >>> 0 === (to.lastAckField + (to.lastWindowField << to.shift)) >>> 0
    ) {
      from.windowFull++;
    }
    from.lastAckField = seg.ack;
    from.lastWindowField = seg.window;
    const end = (seg.seq + len + ((flags & SYN) !== 0 ? 1 : 0) + ((flags & FIN) !== 0 ? 1 : 0)) >>> 0;
    let isNew: boolean;
    let newBytes = len;
    if (!from.hasSeq) {
      from.hasSeq = true;
      from.firstSeq = seg.seq;
      isNew = true;
    } else {
      const next = from.nextSeq;
      const gap = seqDiff(seg.seq, next);
      // Data beyond what we saw: the capture (or the network before it) skipped [next, seq).
      if (gap > 0 && (flags & RST) === 0) from.holes.open(next, seg.seq, t);
      // A bare RST moves nothing: its sequence number may be anywhere (an injected or blind RST).
      const advance = (flags & RST) !== 0 && len === 0 ? 0 : seqDiff(end, next);
      isNew = advance > 0;
      if (isNew) {
        if (advance < newBytes) newBytes = advance;
        // It began inside a gap: the part of the gap it filled is seen now for the first time.
        if (gap < 0 && from.holes.count > 0) {
          from.holes.fill(seg.seq, next);
          newBytes += from.holes.filled;
        }
        // A Windows/BSD zero-window probe: one new byte pushed into the peer's zero window.
        if (len === 1 && gap === 0 && to.zeroWindowStart >= 0) to.zeroWindowProbes++;
      } else {
        newBytes = 0;
        if (len <= 1 && (flags & (SYN | FIN | RST)) === 0 && gap === -1) {
          // One below the next sequence number, 0 or 1 byte: a keepalive, or Linux's zero-window probe.
          if (to.zeroWindowStart >= 0) to.zeroWindowProbes++;
          else from.keepalives++;
        } else if (len > 0) {
          this.onOldData(seg, from, to, end, len);
        } else if ((flags & FIN) !== 0 && from.holes.count > 0) {
          // A bare FIN sent again: it fills the one sequence number its lost first copy left open.
          from.holes.fill(seg.seq, end);
        }
      }
    }
    // Bytes in flight count data only, as Wireshark's do: not the sequence number a FIN takes.
    if (len > 0) this.onData(seg, from, to, (flags & FIN) !== 0 ? (end - 1) >>> 0 : end, isNew, len, newBytes);
    if (isNew) {
      from.nextSeq = end;
      // New data after a RST that did not end it: a RST off the exact sequence number is answered
      // with a challenge ACK and ignored (RFC 5961), and a box may inject one. Open again.
      if (len > 0 && this.closedAt >= 0 && !(from.finSeen || to.finSeen)) this.closedAt = Number.NaN;
    }
    if ((flags & FIN) !== 0) {
      from.finSeen = true;
      if (to.finSeen && !(this.closedAt >= 0)) this.closedAt = t;
    }

    if ((flags & ACK) !== 0) this.onAck(seg, from, to, t);
    if ((flags & (SYN | RST)) === 0) this.onWindow(seg, from, t);

    if (this.timeline !== null) this.recordTimeline(seg, from, to);

    if (seg.hasTimestamp) {
      // Time the peer's echo of this TSval, and take a sample if this echoes the one we wait for.
      if (!(to.pendingTsTime >= 0) && seg.tsVal !== to.lastPeerTsVal) {
        to.pendingTsVal = seg.tsVal;
        to.pendingTsTime = t;
      }
      to.lastPeerTsVal = seg.tsVal;
      if (from.pendingTsTime >= 0 && seg.tsEcr !== 0 && !seqAfter(from.pendingTsVal, seg.tsEcr)) {
        from.addRttSample(t - from.pendingTsTime);
        from.pendingTsTime = Number.NaN;
      }
    }
  }

  /**
   * Data at or below the highest sequence number seen. If it fills a gap within an RTT of the gap
   * opening, the two records were only reordered (by the network, or by the capture: GRO, several
   * queues); otherwise it was sent again: a retransmission (Wireshark's rule).
   */
  private onOldData(seg: TcpSegment, from: Endpoint, to: Endpoint, end: number, len: number): void {
    const window = this.reorderWindow();
    // Acknowledged just before it was captured: the capture stored the two records the other way round.
    const reclaimed = from.holes.reclaim(seg.seq, end, seg.time, window);
    if (reclaimed > 0) {
      from.goodBytes += reclaimed;
      from.uncapturedBytes = Math.max(0, from.uncapturedBytes - reclaimed);
      if (from.uncapturedBytes === 0) from.uncapturedGaps = 0;
      from.outOfOrder++;
      return;
    }
    const opened = from.holes.count > 0 ? from.holes.fill(seg.seq, end) : Number.NaN;
    // What it filled of a gap is the first copy captured of those bytes (reordered, or lost before the capture point).
    if (opened >= 0) from.goodBytes += from.holes.filled;
    // The receiver asked for it with duplicate ACKs: a fast retransmission, however soon it came.
    const asked = to.dupAcks >= 2 && seg.seq === to.maxAck;
    if (!asked && seg.time - opened < window) {
      from.outOfOrder++;
      return;
    }
    if (from.retransmissions++ === 0) from.firstRetransmitFrame = seg.frame;
    from.retransmittedBytes += len;
    if (to.pendingAckTime >= 0 && !seqAfter(seg.seq, to.pendingAckSeq)) to.pendingAckTime = Number.NaN; // Karn
    from.retransmitted(seg.seq, end);
    if (to.hasAck && to.shift !== null && to.shift > 0 && to.acks.count > 0) {
      from.countLoss(seg.seq, to, seqDiff(from.nextSeq, to.maxAck), seg.frame);
    }
  }

  /**
   * How long a gap may stay open and its fill still count as reordered: half the shortest round trip
   * known (the handshake's, or the two halves measured since), else 3 ms (Wireshark's default). A sender
   * learns of a loss no sooner than one round trip after it, so a fill that late is a retransmission;
   * half leaves room for a round trip measured a little long, and a SYN-ACK the server was slow to send
   * (a handshake RTT of 100 ms on a 20 ms path) no longer makes every fill "reordered".
   */
  private reorderWindow(): number {
    let rtt = this.handshakeRtt > 0 ? this.handshakeRtt : Number.POSITIVE_INFINITY;
    const c = this.client;
    const s = this.server;
    if (c.halfRttSamples > 0 && s.halfRttSamples > 0) rtt = Math.min(rtt, c.halfRttMin + s.halfRttMin);
    return rtt > 0 && rtt !== Number.POSITIVE_INFINITY ? rtt / 2 : 0.003;
  }

  /**
   * Bytes in flight are only known where the capture saw everything between the peer's ACK and
   * the end of this segment: no gap open, and the ACK past the first byte captured. Never across
   * a gap: data the capture missed is not data in flight.
   */
  private flightKnown(from: Endpoint, to: Endpoint): boolean {
    return (
      to.hasAck &&
      from.holes.count === 0 &&
      seqDiff(to.maxAck, from.firstSeq) >= 0 &&
      !(seqDiff(from.holes.gaveUpBelow, to.maxAck) > 0)
    );
  }

  private onData(
    seg: TcpSegment,
    from: Endpoint,
    to: Endpoint,
    end: number,
    isNew: boolean,
    len: number,
    newBytes: number,
  ): void {
    const t = seg.time;
    from.dataSegments++;
    from.dataBytes += len;
    if (len > from.largestSegment) from.largestSegment = len;
    if (!(from.firstDataTime >= 0)) from.firstDataTime = t;
    from.lastDataTime = t;
    if (!isNew) return;
    from.goodBytes += newBytes;
    if (!(to.pendingAckTime >= 0)) {
      to.pendingAckSeq = end;
      to.pendingAckTime = t;
    }
    if (!this.flightKnown(from, to)) return;
    // Bytes in flight as Wireshark counts them: sent up to here, minus what the peer acknowledged.
    const inFlight = seqDiff(end, to.maxAck);
    if (inFlight > from.maxInFlight) {
      from.maxInFlight = inFlight;
      from.maxInFlightFrame = seg.frame;
    }
    const raw = to.rawLast;
    if (to.windows === 0 || raw === 0 || inFlight <= 0) return;
    const ratio = inFlight / raw;
    if (ratio > from.maxInFlightOverRaw) from.maxInFlightOverRaw = ratio;
    // Where this segment ends against each recent ack + raw window << k of the peer, and against
    // the ACK the peer would have sent for everything before it (tolerates a lost or late ACK).
    const h = to.acks;
    let hits = 0;
    const n = h.count < 3 ? h.count : 3;
    for (let i = 0; i < n; i++) hits |= edgeBits(seqDiff(end, h.ack(i)), h.win(i));
    if (n > 0 && seqAfter(seg.seq, h.ack(0))) hits |= edgeBits(seqDiff(end, seg.seq), h.win(0));
    const shift = to.shift;
    // raw < 2^16 and shift <= 14: the shifted value stays below 2^31.
    const full = shift !== null && inFlight + to.mssHint > raw << shift;
    from.countFlight(to.maxAck, inFlight, raw, hits, full, seg.frame, t, this.rtt);
    // A segment well beyond the unscaled edge (ack + raw): if it arrives without being sent again,
    // no box on the path enforces windows without the scale.
    if (shift !== null && shift > 0 && inFlight > 2 * raw + 4 * to.mssHint) from.watchBeyondEdge(seg.seq, end);
  }

  private onAck(seg: TcpSegment, from: Endpoint, to: Endpoint, t: number): void {
    const ack = seg.ack;
    if (!from.hasAck || seqAfter(ack, from.maxAck)) {
      if (to.hasSeq) {
        // Acknowledged beyond anything captured from the sender: the capture missed that data.
        const beyond = seqDiff(ack, to.nextSeq);
        if (beyond > 0) {
          if (beyond > 1) {
            to.uncapturedBytes += beyond;
            to.uncapturedGaps++;
            to.holes.missed(to.nextSeq, ack, t);
          }
          to.nextSeq = ack;
        }
        if (to.holes.count > 0 || to.holes.gaveUpBelow >= 0) {
          const missed = to.holes.acknowledge(ack, t);
          to.uncapturedBytes += missed.bytes;
          to.uncapturedGaps += missed.holes;
        }
      }
      from.maxAck = ack;
      from.hasAck = true;
      from.dupAcks = 0;
      to.acknowledged(ack);
      to.peerAckAdvanced(t, seg.payloadLength === 0);
    } else if (ack === from.maxAck && seg.payloadLength === 0 && (seg.flags & (SYN | FIN | RST)) === 0) from.dupAcks++;
    if (from.pendingAckTime >= 0 && !seqAfter(from.pendingAckSeq, ack)) {
      from.addRttSample(t - from.pendingAckTime);
      from.pendingAckTime = Number.NaN;
    }
    if ((seg.flags & (SYN | RST)) === 0) this.onAckWindow(seg, from);
    if (from === this.client && !(this.handshakeAckTime >= 0) && this.server.syn && (seg.flags & SYN) === 0) {
      if (ack === (this.server.syn.isn + 1) >>> 0) {
        this.handshakeAckTime = t;
        this.handshakeAckFrame = seg.frame;
        this.timeline?.events.push({ t, kind: "handshake", label: "handshake complete", frame: seg.frame });
      }
    }
  }

  /**
   * Keep the (ack, window) pairs this side sent, and when its window fell while new data arrived,
   * the largest shift that fall allows (see Endpoint.shrinkBounds).
   */
  private onAckWindow(seg: TcpSegment, from: Endpoint): void {
    const h = from.acks;
    if (h.count > 0 && seqAfter(seg.ack, h.ack(0))) {
      const acked = seqDiff(seg.ack, h.ack(0));
      const fell = h.win(0) - seg.window;
      // At least 4 raw units (a fall of one or two is within the rounding of any shift), and no more
      // than arrived (a window that shrinks even unscaled says nothing about the shift).
      if (fell >= 4 && fell - 1 <= acked) {
        let k = 0;
        while (k < 15 && (fell - 1) * 2 ** (k + 1) <= acked) k++;
        // Fell by exactly what arrived: the signature of a window that is not scaled at all.
        if (acked >= 64 && Math.abs(fell - acked) <= 1) from.unscaledFalls++;
        from.shrinkBounds ??= new Uint16Array(16);
        if (from.shrinkBounds[k]!++ === 0 && k < 15 && from.shrinkFrame === 0) from.shrinkFrame = seg.frame;
      }
    }
    h.push(seg.ack, seg.window);
  }

  private onWindow(seg: TcpSegment, from: Endpoint, t: number): void {
    const raw = seg.window;
    const frame = seg.frame;
    if (from.windows++ === 0) {
      from.rawMin = from.rawMax = from.rawFirst = raw;
      from.rawFirstFrame = frame;
      from.rawFirstAck = seg.ack;
    } else {
      if (raw < from.rawMin) from.rawMin = raw;
      if (raw > from.rawMax) from.rawMax = raw;
    }
    from.rawLast = raw;
    if (raw === 0) {
      if (from.zeroWindows++ === 0) from.zeroWindowFirstFrame = frame;
      if (!(from.zeroWindowStart >= 0)) {
        from.zeroWindowStart = t;
        from.zeroWindowEpisodes++;
        const who = from === this.client ? "client" : "server";
        this.timeline?.events.push({ t, kind: "zero-window", label: `${who} advertises a zero window`, frame });
      }
    } else if (from.zeroWindowStart >= 0) {
      from.zeroWindowSeconds += t - from.zeroWindowStart;
      from.zeroWindowStart = Number.NaN;
    }
  }

  private onSyn(seg: TcpSegment, from: Endpoint): void {
    const info = synInfo(seg);
    const prev = from.syn;
    from.mssHint = info.mss ?? DEFAULT_MSS;
    if (prev === null) {
      from.syn = from.firstSyn = info;
    } else {
      from.synRetransmits++;
      if (!sameOptions(prev, info)) from.synOptionsChanged = true;
      const first = from.firstSyn!;
      if (from.otherTtlSyn === null && info.ttl > 0 && first.ttl > 0 && info.ttl !== first.ttl) from.otherTtlSyn = info;
      // Until the peer answers, the latest SYN is the one that counts (Linux drops options on late retries).
      if (!from.peer.syn || from === this.server) from.syn = info;
    }
    this.scaling = scalingState(this.client.offered, this.server.offered);
    this.client.shift = effectiveShift(this.client.offered, this.scaling);
    this.server.shift = effectiveShift(this.server.offered, this.scaling);
  }

  private recordTimeline(seg: TcpSegment, from: Endpoint, to: Endpoint): void {
    this.timeline!.record(seg, from === this.client, from, to);
  }

  /** Close the zero-window episode and the flight still open at the end of the capture. */
  finish(): void {
    for (const e of [this.client, this.server]) {
      e.closeFlight();
      if (e.zeroWindowStart >= 0 && this.lastTime >= e.zeroWindowStart) {
        e.zeroWindowSeconds += this.lastTime - e.zeroWindowStart;
        e.zeroWindowStart = Number.NaN;
      }
    }
  }
}

/** Bit k set when d bytes past an ack is exactly raw window << k (k <= 14). */
function edgeBits(d: number, raw: number): number {
  if (raw <= 0 || d <= 0 || d % raw !== 0) return 0;
  const q = d / raw;
  return (q & (q - 1)) === 0 && q <= 16384 ? 1 << (31 - Math.clz32(q)) : 0;
}

function synInfo(seg: TcpSegment): SynInfo {
  const corrupt = seg.optionsState === OptionsState.Corrupt;
  const truncated = seg.optionsState === OptionsState.Truncated || corrupt;
  // Linux ignores a wscale option whose length is not 3, and stops at a malformed option:
  // for the peer, both mean "absent".
  let wscale: WscaleOffer;
  if (corrupt) wscale = UNKNOWN;
  else if (seg.wscale >= 0 && seg.wscaleLength === 3) wscale = offered(seg.wscale);
  else if (truncated) wscale = UNKNOWN;
  else wscale = ABSENT;
  return {
    frame: { input: seg.input, frame: seg.frame },
    time: seg.time,
    isn: seg.seq,
    window: seg.window,
    wscale,
    wscaleBadLength: seg.wscaleCount > 0 && seg.wscaleLength !== 3 ? seg.wscaleLength : null,
    mss: seg.mss >= 0 ? seg.mss : null,
    sackPermitted: seg.sackPermitted,
    timestamps: seg.hasTimestamp,
    tsVal: seg.hasTimestamp ? seg.tsVal : null,
    optionKinds: kindsOf(seg),
    longestNopRun: seg.longestNopRun,
    optionsTruncated: truncated,
    corrupt,
    ttl: seg.ttl,
    ipId: seg.ipId,
    synAck: (seg.flags & ACK) !== 0,
  };
}

function kindsOf(seg: TcpSegment): number[] {
  const kinds: number[] = [];
  for (let i = 0; i < seg.optionCount; i++) kinds.push(seg.optionKinds[i]!);
  return kinds;
}

function sameOptions(a: SynInfo, b: SynInfo): boolean {
  return (
    a.optionKinds.join() === b.optionKinds.join() &&
    a.mss === b.mss &&
    JSON.stringify(a.wscale) === JSON.stringify(b.wscale)
  );
}

/** Copies a new Connection's fields but its two Endpoint objects. */
const resetConnection = fieldCopier(new Connection(), ["client", "server"]);
