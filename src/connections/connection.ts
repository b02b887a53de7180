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
  /** Set when both FINs or a RST were seen: the connection lingers briefly for stragglers. */
  closedAt = Number.NaN;
  /** Time series for charts, only when the analysis asked for them. */
  timeline: TimelineRecorder | null = null;

  // Links owned by the tracker: hash chain and the activity-ordered lists.
  hashNext: Connection | null = null;
  listPrev: Connection | null = null;
  listNext: Connection | null = null;
  inClosedList = false;

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
    this.lastTime = t;

    if ((flags & SYN) !== 0) this.onSyn(seg, from);
    else if (seg.wscaleCount > 0) {
      if (from.wscaleOnNonSyn++ === 0) from.wscaleOnNonSynFrame = seg.frame;
    }
    if ((flags & RST) !== 0) {
      from.rstSeen = true;
      if (!(this.closedAt >= 0)) this.closedAt = t;
    }

    // Sequence space: data, retransmissions, bytes in flight.
    const len = seg.payloadLength;
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
      isNew = true;
    } else {
      const advance = seqDiff(end, from.nextSeq);
      isNew = advance > 0;
      if (advance < newBytes) newBytes = advance > 0 ? advance : 0;
      if (len > 0 && !isNew) {
        from.retransmissions++;
        from.retransmittedBytes += len;
        if (to.pendingAckTime >= 0 && !seqAfter(seg.seq, to.pendingAckSeq)) to.pendingAckTime = Number.NaN; // Karn
        if (to.hasAck && seqDiff(end, to.maxAck) > to.rawLast) from.beyondRawEdgeRetransmits++;
      }
    }
    // Bytes in flight count data only, as Wireshark's do: not the sequence number a FIN takes.
    if (len > 0) this.onData(seg, from, to, (flags & FIN) !== 0 ? (end - 1) >>> 0 : end, isNew, len, newBytes);
    if (isNew) from.nextSeq = end;
    if ((flags & FIN) !== 0) {
      from.finSeen = true;
      if (to.finSeen && !(this.closedAt >= 0)) this.closedAt = t;
    }

    if ((flags & ACK) !== 0) this.onAck(seg, from, t);
    if ((flags & (SYN | RST)) === 0) this.onWindow(seg.window, from, t, seg.frame);

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
    if (to.zeroWindowStart >= 0) to.zeroWindowProbes++;
    if (!isNew) return;
    from.goodBytes += newBytes;
    if (!(to.pendingAckTime >= 0)) {
      to.pendingAckSeq = end;
      to.pendingAckTime = t;
    }
    if (!to.hasAck) return;
    // Bytes in flight as Wireshark counts them: sent up to here, minus what the peer acknowledged.
    const inFlight = seqDiff(end, to.maxAck);
    if (inFlight > from.maxInFlight) {
      from.maxInFlight = inFlight;
      from.maxInFlightFrame = seg.frame;
    }
    if (to.windows === 0) return;
    // Where this segment ends relative to the receiver's window, raw and scaled.
    const raw = to.rawLast;
    if (raw > 0 && inFlight > 0) {
      const ratio = inFlight / raw;
      if (ratio > from.maxInFlightOverRaw) from.maxInFlightOverRaw = ratio;
      if (inFlight % raw === 0) {
        const q = inFlight / raw;
        if ((q & (q - 1)) === 0 && q <= 16384) {
          if (from.edgeHitFirstFrame === 0) from.edgeHitFirstFrame = seg.frame;
          from.edgeHits ??= new Uint32Array(15);
          from.edgeHits[31 - Math.clz32(q)]!++;
        }
      }
      if (inFlight > raw && to.shift !== null && to.shift > 0 && from.beyondRawEdge++ === 0) {
        from.beyondRawEdgeFirstFrame = seg.frame;
      }
    }
    // raw < 2^16 and shift <= 14: the shifted value stays below 2^31.
    if (to.shift !== null) from.countFlight(to.maxAck, inFlight + to.mssHint > raw << to.shift);
  }

  private onAck(seg: TcpSegment, from: Endpoint, t: number): void {
    const ack = seg.ack;
    if (!from.hasAck || seqAfter(ack, from.maxAck)) {
      from.maxAck = ack;
      from.hasAck = true;
    }
    if (from.pendingAckTime >= 0 && !seqAfter(from.pendingAckSeq, ack)) {
      from.addRttSample(t - from.pendingAckTime);
      from.pendingAckTime = Number.NaN;
    }
    if (from === this.client && !(this.handshakeAckTime >= 0) && this.server.syn && (seg.flags & SYN) === 0) {
      if (ack === (this.server.syn.isn + 1) >>> 0) {
        this.handshakeAckTime = t;
        this.handshakeAckFrame = seg.frame;
        this.timeline?.events.push({ t, kind: "handshake", label: "handshake complete", frame: seg.frame });
      }
    }
  }

  private onWindow(raw: number, from: Endpoint, t: number, frame: number): void {
    if (from.windows++ === 0) {
      from.rawMin = from.rawMax = from.rawFirst = raw;
      from.rawFirstFrame = frame;
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
      from.syn = info;
    } else {
      from.synRetransmits++;
      if (!sameOptions(prev, info)) from.synOptionsChanged = true;
      // Until the peer answers, the latest SYN is the one that counts (Linux drops options on late retries).
      if (!from.peer.syn || from === this.server) from.syn = info;
    }
    this.scaling = scalingState(this.client.offered, this.server.offered);
    this.client.shift = effectiveShift(this.client.offered, this.scaling);
    this.server.shift = effectiveShift(this.server.offered, this.scaling);
  }

  private recordTimeline(seg: TcpSegment, from: Endpoint, to: Endpoint): void {
    const tl = this.timeline!;
    const fromClient = from === this.client;
    const t = seg.time;
    if ((seg.flags & (SYN | RST)) === 0) {
      const win = from.shift === null ? seg.window : seg.window << from.shift; // < 2^30: shift <= 14
      (fromClient ? tl.clientWindow : tl.serverWindow).push(t, win, seg.frame);
    }
    // What this segment sent and what it acknowledged change both sides' bytes in flight.
    if (to.hasAck && from.hasSeq) {
      (fromClient ? tl.clientInFlight : tl.serverInFlight).push(
        t,
        Math.max(0, seqDiff(from.nextSeq, to.maxAck)),
        seg.frame,
      );
    }
    if (from.hasAck && to.hasSeq) {
      (fromClient ? tl.serverInFlight : tl.clientInFlight).push(
        t,
        Math.max(0, seqDiff(to.nextSeq, from.maxAck)),
        seg.frame,
      );
    }
  }

  /** Close the zero-window episode still open at the end of the capture. */
  finish(): void {
    for (const e of [this.client, this.server]) {
      if (e.zeroWindowStart >= 0 && this.lastTime >= e.zeroWindowStart) {
        e.zeroWindowSeconds += this.lastTime - e.zeroWindowStart;
        e.zeroWindowStart = Number.NaN;
      }
    }
  }
}

function synInfo(seg: TcpSegment): SynInfo {
  const truncated = seg.optionsState === OptionsState.Truncated;
  // Linux ignores a wscale option whose length is not 3, and stops at a malformed option:
  // for the peer, both mean "absent".
  let wscale: WscaleOffer;
  if (seg.wscale >= 0 && seg.wscaleLength === 3) wscale = offered(seg.wscale);
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
