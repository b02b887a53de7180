import type { TcpSegment } from "../decode/segment.js";
import { AckHistory } from "./ack-history.js";
import { formatAddress } from "./address.js";
import { fieldCopier } from "./field-copier.js";
import { SeqHoles } from "./holes.js";
import { UNKNOWN, type WscaleOffer } from "./wscale.js";

export type Role = "client" | "server";

/** Evidence kept as numbers: a frame number (0 = none) in a given input. */
export interface FrameRef {
  input: number;
  frame: number;
}

/** What an endpoint's SYN (or SYN-ACK) carried, kept for findings and for compare mode. */
export interface SynInfo {
  frame: FrameRef;
  time: number;
  isn: number;
  /** The 16-bit window field of the SYN: never scaled (RFC 7323 2.2). */
  window: number;
  wscale: WscaleOffer;
  /** Length byte of the wscale option when it was not 3. */
  wscaleBadLength: number | null;
  mss: number | null;
  sackPermitted: boolean;
  timestamps: boolean;
  tsVal: number | null;
  /** Option kinds in order, e.g. [2, 4, 8, 1, 3] for mss,sackOK,TS,nop,wscale. */
  optionKinds: number[];
  longestNopRun: number;
  optionsTruncated: boolean;
  /** Its IPv4 header checksum is wrong: changed after it was sent, its options unknown (optionsTruncated is set too). */
  corrupt: boolean;
  ttl: number;
  ipId: number;
  /** The SYN had ACK set: a SYN-ACK. */
  synAck: boolean;
}

/** Shifts 0..14 and "more than 14" (a flight more than 2^14 raw windows ahead). */
const SHIFT_SLOTS = 16;
/** Records remembered per side to recognise the same packet captured twice. */
const RECENT = 4;

/**
 * One side of a connection: what it sent (data, windows it advertised, its SYN) and what we
 * measured about it. Numeric fields only on the per-packet path; strings are made once.
 */
export class Endpoint {
  readonly addr = new Uint32Array(4);
  port = 0;
  ipVersion: 4 | 6 = 4;
  peer!: Endpoint;

  syn: SynInfo | null = null;
  /** SYNs after the first (retransmissions), and whether any differed in its options. */
  synRetransmits = 0;
  synOptionsChanged = false;
  /** Window-scale options on segments without SYN (ignored per RFC 7323, reported). */
  wscaleOnNonSyn = 0;
  wscaleOnNonSynFrame = 0;

  /** Highest sequence number sent + 1 (covers SYN/FIN), valid once hasSeq. */
  hasSeq = false;
  nextSeq = 0;
  /** The first sequence number captured from this side: nothing before it is known. */
  firstSeq = 0;
  /** Parts of this side's sequence space the capture skipped (not seen yet). */
  readonly holes = new SeqHoles();
  /** Highest acknowledgment number this side sent, valid once hasAck. */
  hasAck = false;
  maxAck = 0;
  /** The acknowledgments this side sent, with their windows (newest first). */
  readonly acks = new AckHistory();
  /** Empty ACKs in a row repeating the highest acknowledgment (duplicate ACKs: a hole at maxAck). */
  dupAcks = 0;

  /** Window field of non-SYN segments, raw as sent. */
  windows = 0;
  rawMin = 0;
  rawMax = 0;
  rawLast = 0;
  rawFirst = 0;
  rawFirstFrame = 0;
  /** The acknowledgment number that came with the first raw window. */
  rawFirstAck = 0;
  /**
   * Windows that fell as data arrived, each bounding the shift this side can apply: no stack moves
   * its window's right edge left (RFC 7323 2.4, RFC 9293 3.8.6), so a window that fell by d raw
   * units while `acked` new bytes arrived allows only shifts k with (d - 1) << k <= acked (one
   * unit of rounding). shrinkBounds[k] counts falls whose largest allowed shift was k (15: no bound).
   */
  shrinkBounds: Uint16Array | null = null;
  shrinkFrame = 0;
  /** Falls by exactly the bytes that arrived (at least 64): what an unscaled window does. */
  unscaledFalls = 0;

  dataSegments = 0;
  dataBytes = 0;
  /** Each byte once (the first copy captured, also when it filled a gap): what the application got across. */
  goodBytes = 0;
  largestSegment = 0;
  firstDataTime = Number.NaN;
  lastDataTime = Number.NaN;
  retransmissions = 0;
  retransmittedBytes = 0;
  firstRetransmitFrame = 0;

  /** Capture quality: data the peer acknowledged that the capture never saw, and in how many gaps. */
  uncapturedBytes = 0;
  uncapturedGaps = 0;
  /** Segments that filled a gap within an RTT of it opening: reordered, not retransmitted. */
  outOfOrder = 0;
  /** The same record captured twice (identical header fields, IP ID and timestamp): ignored. */
  duplicates = 0;
  /** Keepalives: 0 or 1 byte one below the next sequence number (not retransmissions). */
  keepalives = 0;
  private readonly recent = new Float64Array(RECENT * 8);
  private recentNext = 0;

  /** Largest sequence distance between what this side sent and what the peer acknowledged. */
  maxInFlight = 0;
  maxInFlightFrame = 0;

  zeroWindows = 0;
  zeroWindowEpisodes = 0;
  zeroWindowStart = Number.NaN;
  zeroWindowSeconds = 0;
  zeroWindowFirstFrame = 0;
  /** Probes the peer sent into this side's zero window (1 byte at the edge, or Linux's empty probe below it). */
  zeroWindowProbes = 0;

  /** Largest bytes-in-flight divided by the peer's raw window at that moment (only where the flight is known). */
  maxInFlightOverRaw = 0;
  /** The MSS this endpoint announced (what its peer's segments are sized by), or a typical one. */
  mssHint = 1460;

  /**
   * Flights of new data (segments between two advances of the peer's ACK), as the sender: how
   * many there were, how many filled the peer's scaled window to within one MSS, in how many
   * some segment ended exactly at ack + (raw window << k) for each k (edgeFlights), and the
   * smallest k whose edge the whole flight stayed within (flightsWithin: a histogram over k).
   * Edge hits count only in ACK-clocked flights (see countFlight).
   */
  flights = 0;
  windowFullFlights = 0;
  edgeFlights: Uint32Array | null = null; // allocated at the first hit: most connections never have one
  edgeFlightFrame = 0;
  readonly flightsWithin = new Uint32Array(SHIFT_SLOTS);
  private flightAck = Number.NaN;
  private flightHits = 0;
  private flightRatio = 0;
  private flightFull = false;
  private flightData = false;
  private flightClocked = false;
  /** When the peer's ACK last advanced, and whether that segment was a pure ACK. */
  private ackTime = Number.NaN;
  private ackPure = false;

  /**
   * Loss episodes as the sender (retransmissions between two advances of the peer's ACK), where
   * the first lost byte sat relative to the peer's unscaled window edge (ack + raw window), the
   * chance of sitting there at random, and segments beyond that edge that arrived on their first
   * transmission (a box enforcing the unscaled window would have dropped them).
   */
  lossEpisodes = 0;
  edgeEpisodes = 0;
  edgeEpisodeFrame = 0;
  belowEdgeEpisodes = 0;
  edgeChance = 0;
  deliveredBeyondEdge = 0;
  beyondEdgeWatched = 0;
  private episodeAck = Number.NaN;
  private probeStart = 0;
  private probeEnd = 0;
  private probing = false;

  /** RTT from the capture point to this endpoint and back, from data->ack and TSval->TSecr. */
  halfRttSamples = 0;
  halfRttSmoothed = 0;
  halfRttMin = Number.POSITIVE_INFINITY;
  /** Outstanding samples: what we wait for this endpoint to acknowledge or echo, and since when. */
  pendingAckSeq = 0;
  pendingAckTime = Number.NaN;
  pendingTsVal = 0;
  pendingTsTime = Number.NaN;
  /** Last TSval the peer sent, to time its echo. */
  lastPeerTsVal = -1;

  /** Ack and window fields of the last segment this side sent, whatever its flags (as Wireshark keeps them). */
  lastAckField = 0;
  lastWindowField = 0;
  /**
   * Data segments that ended exactly at the peer's advertised window edge: its last ack plus its
   * last window, scaled by the shift it announced. Wireshark's "TCP Window Full", counted the same way.
   */
  windowFull = 0;

  /** The first SYN or SYN-ACK this side sent (`syn` is the latest): a box's SYN-ACK may be followed by the server's. */
  firstSyn: SynInfo | null = null;
  /** The first one sent again with another TTL than the first: a second sender (a box, then the server). */
  otherTtlSyn: SynInfo | null = null;
  /** IP TTL (hop limit) of the first data segment this side sent, 0 until one: a SYN-ACK from a box differs. */
  dataTtl = 0;

  finSeen = false;
  packets = 0;

  /** The shift applied to windows this endpoint advertises; null until known. */
  shift: number | null = null;

  get offered(): WscaleOffer {
    return this.syn ? this.syn.wscale : UNKNOWN;
  }

  describe(): string {
    const ip = formatAddress(this.addr, this.ipVersion);
    return this.ipVersion === 6 ? `[${ip}]:${this.port}` : `${ip}:${this.port}`;
  }

  /**
   * Back to the state of a new Endpoint, keeping its address array and peer: the tracker reuses
   * finalised connections, so that a capture of a million connections does not leave a million
   * dead ones for the old-generation garbage collector (see bench/README.md).
   */
  reset(): void {
    resetEndpoint(this);
    this.addr.fill(0);
    this.holes.reset();
    this.acks.reset();
    this.recent.fill(0);
    this.flightsWithin.fill(0);
  }

  copyAddress(seg: TcpSegment, fromSource: boolean): void {
    const a = fromSource ? seg.src : seg.dst;
    this.addr.set(a);
    this.port = fromSource ? seg.srcPort : seg.dstPort;
    this.ipVersion = seg.ipVersion;
  }

  addRttSample(seconds: number): void {
    if (!(seconds >= 0)) return;
    this.halfRttSmoothed = this.halfRttSamples === 0 ? seconds : this.halfRttSmoothed * 0.875 + seconds * 0.125;
    if (seconds < this.halfRttMin) this.halfRttMin = seconds;
    this.halfRttSamples++;
  }

  /**
   * The same packet captured twice (a second interface, overlapping captures): every header
   * field, the IP ID and the TSval equal to a recent record. A real retransmission differs in the
   * IP ID (IPv4) or the TSval, or comes at least a retransmission timeout later.
   */
  isDuplicate(seg: TcpSegment): boolean {
    const r = this.recent;
    const t = seg.time;
    // A RST is answered to every segment that arrives after a close, identical each time (IP ID 0):
    // nothing to tell apart, and nothing to gain from it.
    if ((seg.flags & 0x04) !== 0) return false;
    const carriesData = seg.payloadLength > 0 || (seg.flags & 0x03) !== 0;
    // With a usable IP ID, equal fields are the same packet; without one, only data sent twice
    // within a millisecond (no sender retransmits that fast); empty ACKs repeat legitimately.
    const idUsable = seg.ipVersion === 4 && seg.ipId !== 0;
    if (!idUsable && !carriesData) return false;
    for (let i = 0; i < RECENT * 8; i += 8) {
      if (
        r[i] === seg.seq &&
        r[i + 1] === seg.ack &&
        r[i + 2] === seg.payloadLength &&
        r[i + 3] === seg.flags &&
        r[i + 4] === seg.window &&
        r[i + 5] === seg.ipId &&
        r[i + 6] === (seg.hasTimestamp ? seg.tsVal : -1) &&
        (idUsable || Math.abs(t - r[i + 7]!) <= 0.001)
      ) {
        return true;
      }
    }
    const i = this.recentNext;
    this.recentNext = (i + 8) % (RECENT * 8);
    r[i] = seg.seq;
    r[i + 1] = seg.ack;
    r[i + 2] = seg.payloadLength;
    r[i + 3] = seg.flags;
    r[i + 4] = seg.window;
    r[i + 5] = seg.ipId;
    r[i + 6] = seg.hasTimestamp ? seg.tsVal : -1;
    r[i + 7] = t;
    return false;
  }

  /** The peer's ACK advanced at time t, on a segment with or without data of its own. */
  peerAckAdvanced(t: number, pure: boolean): void {
    this.ackTime = t;
    this.ackPure = pure;
  }

  /**
   * A new data segment ending `inFlight` bytes past the peer's ACK `peerAck`, with the peer's
   * latest raw window `raw`; `hits` has bit k set when it ended exactly at an ack + raw << k the
   * peer sent; `full` when it came within an MSS of the peer's scaled window. A flight counts as
   * ACK-clocked when a pure ACK opened it and its first data followed within about an RTT: what a
   * sender that waits for window does (an application that answers requests, or sends on its own
   * schedule, is not).
   */
  countFlight(
    peerAck: number,
    inFlight: number,
    raw: number,
    hits: number,
    full: boolean,
    frame: number,
    t: number,
    rtt: number,
  ): void {
    if (peerAck !== this.flightAck) {
      this.closeFlight();
      this.flightAck = peerAck;
      this.flightClocked = this.ackPure && t - this.ackTime <= 1.5 * rtt + 0.005;
    }
    this.flightData = true;
    if (full) this.flightFull = true;
    if (hits !== 0 && this.flightClocked) {
      if (this.flightHits === 0 && this.edgeFlightFrame === 0) this.edgeFlightFrame = frame;
      this.flightHits |= hits;
    }
    const ratio = inFlight / raw;
    if (ratio > this.flightRatio) this.flightRatio = ratio;
  }

  /** Fold the flight under way into the counts (at each ACK advance, and at the end). */
  closeFlight(): void {
    if (!this.flightData) return;
    this.flights++;
    if (this.flightFull) this.windowFullFlights++;
    if (this.flightHits !== 0) {
      this.edgeFlights ??= new Uint32Array(SHIFT_SLOTS);
      for (let k = 0; k < SHIFT_SLOTS; k++) if ((this.flightHits & (1 << k)) !== 0) this.edgeFlights[k]!++;
    }
    // Smallest k with flight <= raw << k: ceil(ratio) <= 2^k.
    const r = this.flightRatio;
    const within = r <= 1 ? 0 : Math.min(SHIFT_SLOTS - 1, 32 - Math.clz32(Math.ceil(r) - 1));
    this.flightsWithin[within]!++;
    this.flightData = false;
    this.flightFull = false;
    this.flightHits = 0;
    this.flightRatio = 0;
  }

  /** Flights that went beyond the peer's raw window << k somewhere. */
  flightsBeyond(k: number): number {
    let n = 0;
    for (let j = k + 1; j < SHIFT_SLOTS; j++) n += this.flightsWithin[j]!;
    return n;
  }

  /**
   * A retransmission of [seq, ...): the first of an episode (the peer's ACK advanced since the
   * last one) is its first lost byte. A box that enforces the unscaled window lets data through
   * only up to the edge of the ACK before: the lost byte sits within an MSS of that ack + raw
   * window. Random loss puts it anywhere in the flight.
   */
  countLoss(seq: number, peer: Endpoint, inFlight: number, frame: number): void {
    if (this.episodeAck === peer.maxAck) return;
    this.episodeAck = peer.maxAck;
    this.lossEpisodes++;
    const mss = peer.mssHint;
    const h = peer.acks;
    let i = 0;
    while (i < h.count && ((seq - h.ack(i)) | 0) <= 0) i++; // the latest ACK below the lost byte
    if (i === h.count) return;
    const d = (seq - (h.ack(i) + h.win(i))) | 0;
    if (d >= -mss && d <= mss) {
      if (this.edgeEpisodes++ === 0) this.edgeEpisodeFrame = frame;
    } else if (d < -mss) {
      this.belowEdgeEpisodes++;
    }
    // How likely random loss puts the first lost byte that close to the edge: 2 MSS out of the
    // bytes in flight (certain when no more than that is in flight).
    this.edgeChance += Math.min(1, (2 * mss + 1) / Math.max(1, inFlight));
  }

  /** Watch one segment sent well beyond the peer's unscaled edge: delivered without a retransmission? */
  watchBeyondEdge(seq: number, end: number): void {
    if (this.probing) return;
    this.probing = true;
    this.beyondEdgeWatched++;
    this.probeStart = seq;
    this.probeEnd = end;
  }

  /** A retransmission of [seq, end): the watched segment may have been lost after all. */
  retransmitted(seq: number, end: number): void {
    if (this.probing && ((end - this.probeStart) | 0) > 0 && ((this.probeEnd - seq) | 0) > 0) this.probing = false;
  }

  /** The peer acknowledged up to `ack`. */
  acknowledged(ack: number): void {
    if (this.probing && ((ack - this.probeEnd) | 0) >= 0) {
      this.deliveredBeyondEdge++;
      this.probing = false;
    }
  }
}

/** Copies a new Endpoint's fields but its own arrays (reset in place) and peer. */
const resetEndpoint = fieldCopier(new Endpoint(), ["addr", "peer", "holes", "acks", "recent", "flightsWithin"]);
