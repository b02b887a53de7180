import type { TcpSegment } from "../decode/segment.js";
import { formatAddress } from "./address.js";
import { fieldCopier } from "./field-copier.js";
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
  ttl: number;
  ipId: number;
  /** The SYN had ACK set: a SYN-ACK. */
  synAck: boolean;
}

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
  /** Highest acknowledgment number this side sent, valid once hasAck. */
  hasAck = false;
  maxAck = 0;

  /** Window field of non-SYN segments, raw as sent. */
  windows = 0;
  rawMin = 0;
  rawMax = 0;
  rawLast = 0;
  rawFirst = 0;
  rawFirstFrame = 0;

  dataSegments = 0;
  dataBytes = 0;
  /** New bytes only (retransmissions excluded): what the application got across. */
  goodBytes = 0;
  largestSegment = 0;
  firstDataTime = Number.NaN;
  lastDataTime = Number.NaN;
  retransmissions = 0;
  retransmittedBytes = 0;
  /** Largest sequence distance between what this side sent and what the peer acknowledged. */
  maxInFlight = 0;
  maxInFlightFrame = 0;

  zeroWindows = 0;
  zeroWindowEpisodes = 0;
  zeroWindowStart = Number.NaN;
  zeroWindowSeconds = 0;
  zeroWindowFirstFrame = 0;
  /** Segments the peer sent into our zero window (window probes). */
  zeroWindowProbes = 0;

  /**
   * Sender-side evidence against the receiver's raw window, per shift k = 0..14: how many new data
   * segments ended exactly at peer.ack + (peer.rawWindow << k). A sender that obeys shift k stops
   * at that edge every round trip it is window-limited.
   */
  edgeHits: Uint32Array | null = null; // allocated at the first hit: most connections never have one
  edgeHitFirstFrame = 0;
  /** Largest bytes-in-flight divided by the peer's raw window at that moment. */
  maxInFlightOverRaw = 0;
  /** New data segments that went past peer.ack + peer.rawWindow (beyond the unscaled edge). */
  beyondRawEdge = 0;
  beyondRawEdgeFirstFrame = 0;
  /** ... of which were sent again (a window-enforcing box may drop them). */
  beyondRawEdgeRetransmits = 0;
  /** The MSS this endpoint announced (what its peer's segments are sized by), or a typical one. */
  mssHint = 1460;
  /**
   * Flights of new data (segments between two advances of the peer's ACK) and how many of them
   * filled the peer's scaled window to within one MSS: a window-limited sender fills every one.
   */
  flights = 0;
  windowFullFlights = 0;
  private flightAck = -1;
  private flightFull = false;

  /** Count a new data segment into its flight; `full` when it reached the peer's window edge. */
  countFlight(peerAck: number, full: boolean): void {
    if (peerAck !== this.flightAck) {
      this.flightAck = peerAck;
      this.flights++;
      this.flightFull = false;
    }
    if (full && !this.flightFull) {
      this.flightFull = true;
      this.windowFullFlights++;
    }
  }

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

  finSeen = false;
  rstSeen = false;
  packets = 0;

  /** The shift applied to windows this endpoint advertises; null until known. */
  shift: number | null = null;

  get offered(): WscaleOffer {
    return this.syn ? this.syn.wscale : UNKNOWN;
  }

  describe(): string {
    return `${formatAddress(this.addr, this.ipVersion)}:${this.port}`;
  }

  /**
   * Back to the state of a new Endpoint, keeping its address array and peer: the tracker reuses
   * finalised connections, so that a capture of a million connections does not leave a million
   * dead ones for the old-generation garbage collector (see bench/README.md).
   */
  reset(): void {
    resetEndpoint(this);
    this.addr.fill(0);
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
}

/** Copies a new Endpoint's fields but its own address array and peer. */
const resetEndpoint = fieldCopier(new Endpoint(), ["addr", "peer"]);
