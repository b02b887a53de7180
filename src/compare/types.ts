import type { AnalysisReport } from "../analysis/analyze.js";
import type { ConnectionSummary } from "../connections/summary.js";
import type { Direction, Finding } from "../findings/finding.js";

/** Which evidence paired a connection of capture A with one of capture B, strongest first. */
export type MatchBy = "4-tuple" | "isn" | "ipid+ts" | "time";

/** Where one capture sits on the path of a connection, relative to the other capture. */
export type Side = "client" | "server" | "unknown";

/** How the side was told: TTLs, the SYN to SYN-ACK gap (clock-free), absolute times, or the other connections. */
export type SideBy = "ttl" | "handshake-gap" | "time" | "majority";

export type Packet = "SYN" | "SYN-ACK";

/**
 * One difference between the same SYN (or SYN-ACK) as it passed the upstream capture and as it
 * reached the downstream one. `field` is an option name as in SynSummary.options ("wscale",
 * "mss", "sackOK", "TS", ...) or a header field ("window", "isn", "tsVal", "options" for the order).
 */
export interface PathDiff {
  direction: Direction;
  packet: Packet;
  field: string;
  /** removed: gone, header shortened; cleared: overwritten with NOPs in place; changed; added; reordered. */
  change: "removed" | "cleared" | "changed" | "added" | "reordered";
  /** Value upstream (as sent) and downstream (as received); null where the option is absent. */
  from: number | string | null;
  to: number | string | null;
  /** Frames of that packet in capture A (input 0) and capture B (input 1). */
  frames: { a: number; b: number };
}

/** A connection seen in both captures. */
export interface ConnectionMatch {
  /** Connection ids in capture A and capture B. */
  a: string;
  b: string;
  by: MatchBy;
  /** Addresses or ports differ between the two captures. */
  nat: boolean;
  /** What the translation did, per endpoint, as "ip:port" in A and in B (only the ones that differ). */
  translated?: { client?: { a: string; b: string }; server?: { a: string; b: string } };
  /** Where capture A sits for this connection ("client": nearer the client than capture B). */
  aSide: Side;
  sideBy: SideBy | null;
  /** Routers between the two captures (TTL lost by the client's SYN); null when unknown. */
  routerHops: number | null;
  /** unchanged: SYN and SYN-ACK equal at both; changed: see diffs; proxy: two different TCP connections. */
  verdict: "unchanged" | "changed" | "proxy" | "no-handshake";
  diffs: PathDiff[];
  /** Plain-English conclusions that are not findings (e.g. "the server declined scaling itself"). */
  notes: string[];
}

export interface UnmatchedConnection {
  /** 0 for capture A, 1 for capture B. */
  input: 0 | 1;
  connection: string;
  client: string;
  server: string;
  handshake: ConnectionSummary["handshake"];
  startTime: number | null;
}

/** A finding of the compare report: a compare finding (no `input`) or one capture's own (`input` 0 or 1). */
export interface CompareFinding extends Finding {
  /** The capture a capture's own finding came from; its `connection` is that capture's id. */
  input?: 0 | 1;
  /** For compare findings: the difference it is about. */
  diff?: PathDiff;
  /**
   * For a capture's own finding that the two vantage points settle: what settles it, a compare
   * finding id ("path-rewrote-wscale": confirmed and made certain) or "server-declined" (the
   * option reached the server, which answered without it: a guess of stripping on the path is
   * refuted). Reports show the conclusion instead of the guess; the exit status leaves it out.
   */
  settledBy?: string;
}

export type VantageLabel = "client side" | "server side" | "mixed" | "unknown";

/**
 * The SPEC section 7 document for a pair of captures: both inputs, the connections of capture A,
 * compare findings then each capture's own findings, plus `matches` and `unmatched`.
 */
export interface CompareReport extends AnalysisReport {
  mode: "compare";
  /** Where each capture sits, over all matched connections. */
  vantage: { a: VantageLabel; b: VantageLabel };
  findings: CompareFinding[];
  /** The connections of capture B, so that its own findings and `matches[].b` can be resolved. */
  connectionsB: ConnectionSummary[];
  matches: ConnectionMatch[];
  unmatched: UnmatchedConnection[];
}

/** One capture point of several inputs that hold the same traffic (`wscale analyze a.pcap b.pcap`). */
export interface VantagePoint {
  /** Indices in the report's `inputs` of the captures taken here (several: copies, or one capture in several files). */
  inputs: number[];
  /**
   * Where it sits on the path, from the connections it shares with the others: "between" when
   * it is the server side of one and the client side of another; null when it shares no traffic
   * with the others (independent inputs given along with vantage points).
   */
  side: VantageLabel | "between" | null;
}

/** A connection seen at two vantage points: `a` is its id at `vantages[0]`, `b` at `vantages[1]`. */
export interface VantageMatch extends ConnectionMatch {
  vantages: [number, number];
}

/** A finding of a vantage report: one vantage point's own (its connection says which) or a path finding. */
export interface VantageFinding extends Finding {
  /** Path findings: the two vantage points compared; `connection` is the one at the first. */
  vantages?: [number, number];
  /** Path findings: the difference it is about. */
  diff?: PathDiff;
}

/**
 * The report of `analyze` given inputs that hold the same traffic seen at several points: each
 * vantage point's connections and findings as `analyze` finds them there, and the path findings
 * that `compare` finds between consecutive ones. Connection ids are unique across the report.
 */
export interface VantageReport extends AnalysisReport {
  vantages: VantagePoint[];
  connections: (ConnectionSummary & { vantage: number })[];
  findings: VantageFinding[];
  matches: VantageMatch[];
}

export function isVantageReport(report: AnalysisReport): report is VantageReport {
  return Array.isArray((report as Partial<VantageReport>).vantages);
}
