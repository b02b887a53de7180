import { formatAddress } from "./address.js";
import type { Connection, HandshakeState } from "./connection.js";
import type { Endpoint } from "./endpoint.js";
import { inferOs, type OsGuess } from "./os.js";
import { type CaptureQualitySummary, captureQuality } from "./quality.js";
import type { SequenceData } from "./timeline.js";
import type { ScalingState } from "./wscale.js";

const OPTION_NAMES: Record<number, string> = {
  0: "eol",
  1: "nop",
  2: "mss",
  3: "wscale",
  4: "sackOK",
  5: "sack",
  8: "TS",
  30: "mptcp",
  34: "tfo",
};

const OPTION_KINDS = new Map(Object.entries(OPTION_NAMES).map(([kind, name]) => [name, Number(kind)]));

export function optionName(kind: number): string {
  return OPTION_NAMES[kind] ?? `opt-${kind}`;
}

/** The kind optionName() gave this name ("opt-N" is N); 0 for a name it never gives. */
export function optionKind(name: string): number {
  return OPTION_KINDS.get(name) ?? (Number(name.replace(/^opt-/, "")) || 0);
}

/** What one endpoint's SYN carried, in report form. */
export interface SynSummary {
  frame: number;
  /** Capture time of the SYN, seconds since the epoch (null when the input has no times). */
  time: number | null;
  /** Initial sequence number, the IP ID and the TSval: what matches a SYN across two captures. */
  isn: number;
  ipId: number;
  tsVal: number | null;
  window: number;
  /** The window-scale shift as carried (null: option absent or its length was wrong). */
  wscale: number | null;
  options: string[];
  mss: number | null;
  sackPermitted: boolean;
  timestamps: boolean;
  ttl: number;
  /** A run of 3+ NOPs: where a box overwrote an option in place. */
  longestNopRun: number;
  optionsTruncated: boolean;
  retransmits: number;
  /** A retransmission carried other options than the SYN before it (a stack falling back after timeouts). */
  optionsChanged: boolean;
}

/** One endpoint in the JSON contract of SPEC section 7 (names are stable). */
export interface EndpointSummary {
  ip: string;
  port: number;
  synSeen: boolean;
  /** Shift in its SYN; null = option absent; "unknown" = no SYN seen or its options were cut. */
  wscaleOffered: number | null | "unknown";
  /** Shift applied to the windows this endpoint advertises (0 if scaling is off, null if unknown). */
  shift: number | null;
  /** Largest advertised receive window in bytes (raw << shift); null while the shift is unknown. */
  maxWindow: number | null;
  maxWindowRaw: number | null;
  minWindowRaw: number | null;
  lastWindowRaw: number | null;
  maxInFlight: number;
  dataBytes: number;
  largestSegment: number;
  packets: number;
  retransmissions: number;
  /** Data segments that filled the peer's advertised window to its edge (Wireshark's tcp.analysis.window_full). */
  windowFull: number;
  zeroWindows: { advertisements: number; episodes: number; seconds: number; probes: number };
  syn: SynSummary | null;
  /** The OS family its SYN or SYN-ACK points to (initial TTL, option layout, window: src/connections/os.ts). */
  os?: Pick<OsGuess, "family" | "confidence" | "evidence">;
}

/**
 * Time series for charts (only with the analysis option `timeline`): bounded per connection,
 * thinned by keeping each bucket's minimum and maximum so that spikes survive. Times are seconds
 * since the connection's first packet.
 */
export interface Timeline {
  /** Scaled receive window each side advertised (bytes; raw when the shift is unknown). */
  clientWindow: [number, number][];
  serverWindow: [number, number][];
  /** Bytes in flight of each side as a sender. */
  clientInFlight: [number, number][];
  serverInFlight: [number, number][];
  /** Moments to mark: handshake complete, zero-window episodes, first evidence of a finding. */
  events: { t: number; kind: "handshake" | "zero-window" | "finding"; label: string; frame: number }[];
  /** Time-sequence data (tcptrace's graph) of what the client sent and of what the server sent. */
  clientData?: SequenceData;
  serverData?: SequenceData;
}

export interface ConnectionSummary {
  id: string;
  handshake: HandshakeState;
  scaling: ScalingState;
  /** No SYN was seen: client and server were assigned by port (the lower port serves). */
  rolesGuessed: boolean;
  client: EndpointSummary;
  server: EndpointSummary;
  firstFrame: number;
  /** Index of the input its first packet came from, when not the first (several inputs); omitted for input 0. */
  input?: number;
  startTime: number | null;
  rttMs: number | null;
  handshakeRttMs: number | null;
  durationS: number | null;
  /** Bytes per second of new data in the busier direction. */
  throughputBps: number | null;
  /** Bytes per second the receiver's largest window allows at this RTT: window / RTT. */
  ceilingBps: number | null;
  /** Which direction the throughput figures describe. */
  bulkDirection: "client-to-server" | "server-to-client" | null;
  /** What the capture missed, reordered or doubled: never network loss. */
  capture: CaptureQualitySummary;
  timeline?: Timeline;
}

export function connectionId(conn: Connection): string {
  return `c${conn.seq}`;
}

export function summarize(conn: Connection): ConnectionSummary {
  const rtt = conn.rtt;
  const c = conn.client;
  const s = conn.server;
  const bulk = c.goodBytes === 0 && s.goodBytes === 0 ? null : s.goodBytes >= c.goodBytes ? s : c;
  let throughput: number | null = null;
  let ceiling: number | null = null;
  if (bulk !== null) {
    const span = bulk.lastDataTime - bulk.firstDataTime;
    if (span > 0) throughput = round(bulk.goodBytes / span);
    const win = scaledMax(bulk.peer);
    if (win !== null && rtt > 0) ceiling = round(win / rtt);
  }
  const duration = conn.lastTime - conn.firstTime;
  const summary: ConnectionSummary = {
    id: connectionId(conn),
    handshake: conn.handshake,
    scaling: conn.scaling,
    rolesGuessed: conn.rolesGuessed,
    client: summarizeEndpoint(c),
    server: summarizeEndpoint(s),
    firstFrame: conn.firstFrame,
    startTime: finite(conn.firstTime),
    rttMs: rtt >= 0 ? round(rtt * 1000, 3) : null,
    handshakeRttMs: conn.handshakeRtt >= 0 ? round(conn.handshakeRtt * 1000, 3) : null,
    durationS: duration >= 0 ? round(duration, 6) : null,
    throughputBps: throughput,
    ceilingBps: ceiling,
    bulkDirection: bulk === null ? null : bulk === c ? "client-to-server" : "server-to-client",
    capture: captureQuality(conn),
  };
  // Added after the literal, not spread into it: a spread builds every summary the slow way.
  if (conn.input !== 0) summary.input = conn.input;
  if (conn.timeline !== null) summary.timeline = conn.timeline.toTimeline(conn.firstTime);
  return summary;
}

/** Largest window this endpoint advertised, in bytes; null when its shift is not known. */
export function scaledMax(e: Endpoint): number | null {
  if (e.windows === 0 || e.shift === null) return null;
  return e.rawMax * 2 ** e.shift;
}

function summarizeEndpoint(e: Endpoint): EndpointSummary {
  const offer = e.offered;
  const syn = e.syn;
  const hasWin = e.windows > 0;
  return {
    ip: formatAddress(e.addr, e.ipVersion),
    port: e.port,
    synSeen: syn !== null,
    wscaleOffered: offer.state === "present" ? offer.shift : offer.state === "absent" ? null : "unknown",
    shift: e.shift,
    maxWindow: scaledMax(e),
    maxWindowRaw: hasWin ? e.rawMax : null,
    minWindowRaw: hasWin ? e.rawMin : null,
    lastWindowRaw: hasWin ? e.rawLast : null,
    maxInFlight: e.maxInFlight,
    dataBytes: e.dataBytes,
    largestSegment: e.largestSegment,
    packets: e.packets,
    retransmissions: e.retransmissions,
    windowFull: e.windowFull,
    zeroWindows: {
      advertisements: e.zeroWindows,
      episodes: e.zeroWindowEpisodes,
      seconds: round(e.zeroWindowSeconds, 6),
      probes: e.zeroWindowProbes,
    },
    syn:
      syn === null
        ? null
        : {
            frame: syn.frame.frame,
            time: finite(syn.time),
            isn: syn.isn,
            ipId: syn.ipId,
            tsVal: syn.tsVal,
            window: syn.window,
            wscale: syn.wscale.state === "present" ? syn.wscale.shift : null,
            options: syn.optionKinds.map(optionName),
            mss: syn.mss,
            sackPermitted: syn.sackPermitted,
            timestamps: syn.timestamps,
            ttl: syn.ttl,
            longestNopRun: syn.longestNopRun,
            optionsTruncated: syn.optionsTruncated,
            retransmits: e.synRetransmits,
            optionsChanged: e.synOptionsChanged,
          },
    os: osSummary(e),
  };
}

function osSummary(e: Endpoint): NonNullable<EndpointSummary["os"]> {
  const g = inferOs(e);
  return { family: g.family, confidence: g.confidence, evidence: g.evidence };
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** 10 ** digits for the digits used here: `**` is a Math.pow call, 60,000 connections make it count. */
const POW10 = [1, 10, 100, 1000, 1e4, 1e5, 1e6];

function round(x: number, digits = 0): number {
  const f = POW10[digits]!;
  return Math.round(x * f) / f;
}
