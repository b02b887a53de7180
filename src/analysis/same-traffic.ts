/**
 * Do two inputs hold the same traffic? Decided from the first segments of each (a bounded
 * look-ahead: inputs may be streams that cannot be read twice), by finding the same packets in
 * both:
 * - a packet is known by what no box on the path changes: sequence and acknowledgement numbers,
 *   flags, payload length and IP ID (NAT changes addresses and ports, a firewall may rewrite
 *   options or the window), or, through a box that rewrites sequence numbers, by its IP ID and
 *   TCP timestamps alone;
 * - the same record: the same packet with the same addresses, ports, TTL and window, at the same
 *   time (within DUPLICATE_WINDOW_S), options equal or cut by a snapshot length in one of them.
 *   The same file twice, a file and its gzip, two overlapping captures of one interface;
 * - the same packet seen elsewhere: anything else differs (the time, the TTL after a router, the
 *   addresses after NAT, an option a box rewrote). Two vantage points of the same traffic.
 */
import type { TcpSegment } from "../decode/segment.js";
import { OptionsState } from "../decode/segment.js";

/**
 * Two records of one packet at one capture point are this close in time: equal in a file and its
 * copy, up to ~25 µs apart in two tcpdumps on one interface (each socket stamps its own copy:
 * captures/healthy.snap73.client.pcap against healthy.client.pcap), more under load.
 */
export const DUPLICATE_WINDOW_S = 1e-3;

/** A packet known only by IP ID and timestamps is the same packet within this time at another point. */
const TS_MATCH_WINDOW_S = 1;

/** Packets found in both inputs before they count as the same traffic (a handshake is three). */
export const MIN_SHARED_PACKETS = 2;

/** What the look-ahead keeps of one segment. */
export interface Probe {
  /**
   * seq, ack, flags, payload length (from the IP header), IP ID: all in the fixed headers, so
   * that a snapshot length that cut the options (the timestamps) does not hide a packet.
   */
  id: string;
  /** IP ID, flags, payload length and timestamps, when the segment has timestamps: survives ISN rewriting. */
  tsId: string | null;
  /**
   * IP ID, flags, payload length and the sequence number, or the acknowledgement number: a box that
   * rewrites one direction's sequence space (a SYN proxy, a sequence-randomising firewall) keeps the
   * other number, and often rewrites the timestamps as well. Null with IP ID 0 (IPv6, Linux DF).
   */
  seqId: string | null;
  ackId: string | null;
  time: number;
  /** Addresses and ports in the segment's direction. */
  tuple: string;
  ttl: number;
  window: number;
  /** Option kinds and values; null when the option block was cut by the snapshot length. */
  options: string | null;
}

export function probeOf(seg: TcpSegment): Probe {
  const ts = seg.hasTimestamp ? `${seg.tsVal}/${seg.tsEcr}` : "-";
  let kinds = "";
  for (let i = 0; i < seg.optionCount; i++) kinds += `${seg.optionKinds[i]},`;
  return {
    id: `${seg.seq}/${seg.ack}/${seg.flags}/${seg.payloadLength}/${seg.ipId}`,
    tsId: seg.hasTimestamp ? `${seg.ipId}/${seg.flags}/${seg.payloadLength}/${ts}` : null,
    seqId: seg.ipId === 0 ? null : `${seg.ipId}/${seg.flags}/${seg.payloadLength}/s${seg.seq}`,
    ackId: seg.ipId === 0 ? null : `${seg.ipId}/${seg.flags}/${seg.payloadLength}/a${seg.ack}`,
    time: seg.time,
    tuple: `${seg.ipVersion}/${seg.src.join(".")}/${seg.srcPort}/${seg.dst.join(".")}/${seg.dstPort}`,
    ttl: seg.ttl,
    window: seg.window,
    options:
      seg.optionsState === OptionsState.Truncated ? null : `${kinds}/${seg.wscale}/${seg.mss}/${seg.wscaleLength}`,
  };
}

/**
 * How input B relates to input A: copies (the same records), vantage points (the same packets
 * seen elsewhere), continuations (the same flows, with the same TTLs, but no packet in common:
 * one capture in several files), or independent.
 */
export type Relation = "independent" | "copy" | "vantage" | "continuation";

export interface PairEvidence {
  relation: Relation;
  /** Segments of B found in A. */
  shared: number;
  /** Of those, the same record (time, TTL, addresses, window, options). */
  sameRecord: number;
  /** Largest time difference between two records of one packet (seconds; 0 without times). */
  skew: number;
  /** Of the B segments compared, how many (the look-ahead of B). */
  compared: number;
}

/** One input's look-ahead, indexed once for every pair it is part of. */
export class ProbeIndex {
  readonly byId: Map<string, number[]>;
  readonly byTs: Map<string, number[]>;
  readonly bySeq: Map<string, number[]>;
  readonly byAck: Map<string, number[]>;
  /** Addresses, ports and TTL of each segment: the ways its packets travel. */
  readonly flows: Set<string>;

  constructor(readonly probes: readonly Probe[]) {
    this.byId = indexBy(probes, (p) => p.id);
    this.byTs = indexBy(probes, (p) => p.tsId);
    this.bySeq = indexBy(probes, (p) => p.seqId);
    this.byAck = indexBy(probes, (p) => p.ackId);
    this.flows = new Set(probes.map((p) => `${p.tuple}/${p.ttl}`));
  }
}

/**
 * Find B's segments in A and say what that makes them. The k-th occurrence of a packet in B is
 * paired with the k-th in A (retransmissions repeat a packet's identity).
 */
export function relate(a: ProbeIndex, b: ProbeIndex): PairEvidence {
  const used = new Uint8Array(a.probes.length);
  const take = (list: number[] | undefined, near = Number.POSITIVE_INFINITY, t = 0): number => {
    if (list === undefined) return -1;
    for (const i of list) {
      if (used[i] === 0 && !(Math.abs(a.probes[i]!.time - t) > near)) {
        used[i] = 1;
        return i;
      }
    }
    return -1;
  };
  let shared = 0;
  let sameRecord = 0;
  let skew = 0;
  for (const p of b.probes) {
    let i = take(a.byId.get(p.id));
    // Timestamps and IP ID alone recur across connections (a host's one TS clock, IP ID 0 with
    // IPv6): only within a second of each other do they make the same packet.
    if (i < 0 && p.tsId !== null) i = take(a.byTs.get(p.tsId), TS_MATCH_WINDOW_S, p.time);
    if (i < 0 && p.seqId !== null) i = take(a.bySeq.get(p.seqId));
    if (i < 0 && p.ackId !== null) i = take(a.byAck.get(p.ackId));
    if (i < 0) continue;
    shared++;
    const q = a.probes[i]!;
    if (!isSameRecord(q, p)) continue;
    sameRecord++;
    const d = Math.abs(q.time - p.time);
    if (d > skew) skew = d;
  }
  let relation: Relation = "independent";
  if (shared >= MIN_SHARED_PACKETS) relation = sameRecord === shared ? "copy" : "vantage";
  else if ([...b.flows].some((f) => a.flows.has(f))) relation = "continuation";
  return { relation, shared, sameRecord, skew, compared: b.probes.length };
}

function isSameRecord(x: Probe, y: Probe): boolean {
  return (
    x.tuple === y.tuple &&
    x.ttl === y.ttl &&
    x.window === y.window &&
    (x.options === y.options || x.options === null || y.options === null) &&
    (Math.abs(x.time - y.time) <= DUPLICATE_WINDOW_S || (Number.isNaN(x.time) && Number.isNaN(y.time)))
  );
}

function indexBy(ps: readonly Probe[], key: (p: Probe) => string | null): Map<string, number[]> {
  const m = new Map<string, number[]>();
  ps.forEach((p, i) => {
    const k = key(p);
    if (k === null) return;
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  });
  return m;
}

/** Pairs of inputs (a < b) with a packet or a flow in common: the only ones worth relating. */
function candidatePairs(indexes: readonly ProbeIndex[]): [number, number][] {
  const holders = new Map<string, number[]>();
  const add = (key: string, input: number) => {
    const list = holders.get(key);
    if (list === undefined) holders.set(key, [input]);
    else if (list.at(-1) !== input) list.push(input);
  };
  indexes.forEach((x, i) => {
    for (const k of x.byId.keys()) add(`i${k}`, i);
    for (const k of x.byTs.keys()) add(`t${k}`, i);
    for (const k of x.bySeq.keys()) add(`s${k}`, i);
    for (const k of x.byAck.keys()) add(`a${k}`, i);
    for (const k of x.flows) add(`f${k}`, i);
  });
  const pairs = new Set<number>();
  const n = indexes.length;
  for (const list of holders.values()) {
    for (let x = 0; x < list.length; x++) for (let y = x + 1; y < list.length; y++) pairs.add(list[x]! * n + list[y]!);
  }
  return [...pairs].sort((x, y) => x - y).map((k) => [Math.floor(k / n), k % n]);
}

function cutOptions(ps: readonly Probe[]): number {
  let n = 0;
  for (const p of ps) if (p.options === null) n++;
  return n;
}

/**
 * One analysis: the inputs read together as one stream, merged by time (records repeated across
 * them counted once).
 */
export interface View {
  inputs: number[];
  /** Per input: how it waits for its original in the merge when it is a copy of another input of the view. */
  copyDelay: (CopyDelay | null)[];
}

/**
 * A copy's records are merged `delay` seconds late once its original may have started (from `from` on),
 * so that of two records of one packet the original's comes first and is the one kept. The
 * delay is twice the largest time difference seen between them: a record the original lacks is
 * put out of order by no more than that.
 */
export interface CopyDelay {
  delay: number;
  from: number;
}

/** The least delay: timestamp rounding (µs and ns captures of one packet). */
const MIN_COPY_DELAY_S = 2e-6;

export interface Plan {
  /** Each view is analysed on its own. */
  views: View[];
  /**
   * Views that are vantage points of the same traffic, as pairs to compare (indices into
   * `views`). Empty: one view holds every input, as when all are independent.
   */
  pairs: [number, number][];
  /** What was found between each pair of inputs that share packets (for messages). */
  relations: { a: number; b: number; evidence: PairEvidence }[];
}

/**
 * Group inputs by what they hold. Copies join one view (their records are counted once), and so
 * do the parts of one capture (continuations), unless that would put two vantage points of each
 * other in one view. Inputs that are vantage points of the same traffic get a view each,
 * compared in pairs; the inputs related to none of them share one more view, merged by time as
 * independent inputs always were. `known`: relations already established (a < b), e.g. vantage
 * points found past the look-ahead.
 */
export function planViews(probes: readonly (readonly Probe[])[], known: Plan["relations"] = []): Plan {
  const n = probes.length;
  const relations: Plan["relations"] = [...known];
  const indexes = probes.map((p) => new ProbeIndex(p));
  for (const [a, b] of candidatePairs(indexes)) {
    if (known.some((r) => r.a === a && r.b === b)) continue;
    const evidence = relate(indexes[a]!, indexes[b]!);
    if (evidence.relation !== "independent") relations.push({ a, b, evidence });
  }
  const groups = new UnionFind(n);
  for (const r of relations) if (r.evidence.relation === "copy") groups.union(r.a, r.b);
  // Of each set of copies, the one whose records are kept: the one whose options are least often
  // cut by the snapshot length. The others wait for it in the merge.
  const kept = new Map<number, number>();
  const skew = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const root = groups.find(i);
    const best = kept.get(root);
    if (best === undefined || cutOptions(probes[i]!) < cutOptions(probes[best]!)) kept.set(root, i);
  }
  for (const r of relations) {
    const root = groups.find(r.a);
    if (r.evidence.relation === "copy") skew.set(root, Math.max(skew.get(root) ?? 0, r.evidence.skew));
  }
  const copyDelay = (i: number): CopyDelay | null => {
    const root = groups.find(i);
    const original = kept.get(root)!;
    if (original === i) return null;
    const delay = Math.min(DUPLICATE_WINDOW_S, Math.max(MIN_COPY_DELAY_S, 2 * (skew.get(root) ?? 0)));
    // A record of the copy can have a record of the original only from `delay` before its first on.
    const first = probes[original]![0]?.time;
    return { delay, from: first === undefined || Number.isNaN(first) ? Number.NEGATIVE_INFINITY : first - delay };
  };
  const vantage = relations.filter((r) => r.evidence.relation === "vantage");
  const apart = (x: number, y: number) =>
    vantage.some(
      (r) =>
        (groups.find(r.a) === groups.find(x) && groups.find(r.b) === groups.find(y)) ||
        (groups.find(r.a) === groups.find(y) && groups.find(r.b) === groups.find(x)),
    );
  for (const r of relations) if (r.evidence.relation === "continuation" && !apart(r.a, r.b)) groups.union(r.a, r.b);

  const view = (inputs: number[]): View => ({ inputs, copyDelay: inputs.map(copyDelay) });
  const links: [number, number][] = [];
  for (const r of vantage) {
    const ga = groups.find(r.a);
    const gb = groups.find(r.b);
    if (ga !== gb) links.push([ga, gb]);
  }
  if (links.length === 0) return { views: [view(probes.map((_, i) => i))], pairs: [], relations };

  // A view per group that is a vantage point, in order of its first input; the rest in one more.
  const linked = new Set(links.flat());
  const viewOf = new Map<number, number>();
  const views: number[][] = [];
  const rest: number[] = [];
  for (let i = 0; i < n; i++) {
    const g = groups.find(i);
    if (!linked.has(g)) rest.push(i);
    else if (viewOf.has(g)) views[viewOf.get(g)!]!.push(i);
    else {
      viewOf.set(g, views.length);
      views.push([i]);
    }
  }
  // Consecutive ones of each connected set are compared, not every pair: a change between the
  // first two must not be reported again between the first and the third.
  const pairs = consecutivePairs(
    views.length,
    links.map(([x, y]) => [viewOf.get(x)!, viewOf.get(y)!]),
  );
  if (rest.length > 0) views.push(rest);
  return { views: views.map(view), pairs, relations };
}

/** Within each set of views linked by shared traffic, each view with the next one in order. */
function consecutivePairs(n: number, edges: [number, number][]): [number, number][] {
  const sets = new UnionFind(n);
  for (const [a, b] of edges) sets.union(a, b);
  const last = new Map<number, number>();
  const pairs: [number, number][] = [];
  for (let v = 0; v < n; v++) {
    const root = sets.find(v);
    const prev = last.get(root);
    if (prev !== undefined) pairs.push([prev, v]);
    last.set(root, v);
  }
  return pairs;
}

class UnionFind {
  private readonly parent: number[];

  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }

  find(i: number): number {
    const p = this.parent[i]!;
    if (p === i) return i;
    const root = this.find(p);
    this.parent[i] = root;
    return root;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // The smaller index stays the root: groups keep the order of their first input.
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}
