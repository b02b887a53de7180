/**
 * Do two inputs hold the same traffic? Decided from the first segments of each (a bounded
 * look-ahead: inputs may be streams that cannot be read twice), by finding the same packets in
 * both:
 * - a packet is known by what no box on the path changes: sequence and acknowledgement numbers,
 *   flags, payload length, IP ID and TCP timestamps (NAT changes addresses and ports, a firewall
 *   may rewrite options or the window), or, through a box that rewrites sequence numbers, by its
 *   IP ID and timestamps alone;
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

/** Packets found in both inputs before they count as the same traffic (a handshake is three). */
export const MIN_SHARED_PACKETS = 2;

/** What the look-ahead keeps of one segment. */
export interface Probe {
  /** seq, ack, flags, payload length, IP ID, TSval, TSecr. */
  id: string;
  /** IP ID, flags, payload length and timestamps, when the segment has timestamps: survives ISN rewriting. */
  tsId: string | null;
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
    id: `${seg.seq}/${seg.ack}/${seg.flags}/${seg.payloadLength}/${seg.ipId}/${ts}`,
    tsId: seg.hasTimestamp ? `${seg.ipId}/${seg.flags}/${seg.payloadLength}/${ts}` : null,
    time: seg.time,
    tuple: `${seg.ipVersion}/${seg.src.join(".")}/${seg.srcPort}/${seg.dst.join(".")}/${seg.dstPort}`,
    ttl: seg.ttl,
    window: seg.window,
    options:
      seg.optionsState === OptionsState.Truncated ? null : `${kinds}/${seg.wscale}/${seg.mss}/${seg.wscaleLength}`,
  };
}

/** How input B relates to input A. */
export type Relation = "independent" | "copy" | "vantage";

export interface PairEvidence {
  relation: Relation;
  /** Segments of B found in A. */
  shared: number;
  /** Of those, the same record (time, TTL, addresses, window, options). */
  sameRecord: number;
  /** Of the B segments compared, how many (the look-ahead of B). */
  compared: number;
}

/**
 * Find B's segments in A and say what that makes them: nothing shared (independent), only the
 * same records (copy), or the same packets seen elsewhere (vantage). The k-th occurrence of a
 * packet in B is paired with the k-th in A (retransmissions repeat a packet's identity).
 */
export function relate(a: readonly Probe[], b: readonly Probe[]): PairEvidence {
  const byId = indexBy(a, (p) => p.id);
  const byTs = indexBy(a, (p) => p.tsId);
  const used = new Uint8Array(a.length);
  const take = (list: number[] | undefined): number => {
    if (list === undefined) return -1;
    for (const i of list) {
      if (used[i] === 0) {
        used[i] = 1;
        return i;
      }
    }
    return -1;
  };
  let shared = 0;
  let sameRecord = 0;
  for (const p of b) {
    let i = take(byId.get(p.id));
    if (i < 0 && p.tsId !== null) i = take(byTs.get(p.tsId));
    if (i < 0) continue;
    shared++;
    if (isSameRecord(a[i]!, p)) sameRecord++;
  }
  let relation: Relation = "independent";
  if (shared >= MIN_SHARED_PACKETS) relation = sameRecord === shared ? "copy" : "vantage";
  return { relation, shared, sameRecord, compared: b.length };
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

function cutOptions(ps: readonly Probe[]): number {
  let n = 0;
  for (const p of ps) if (p.options === null) n++;
  return n;
}

/** Addresses and ports of a segment's connection in both directions, with the TTL it arrived with. */
function flowKeys(ps: readonly Probe[]): Set<string> {
  return new Set(ps.map((p) => `${p.tuple}/${p.ttl}`));
}

/**
 * One analysis: the inputs read together as one stream, merged by time (records repeated across
 * them counted once).
 */
export interface View {
  inputs: number[];
  /**
   * Per input (as AnalyzeOptions.mergeDelay): DUPLICATE_WINDOW_S for a copy of another input of
   * the view, so that the original's records come first in the merge and are the ones kept.
   */
  mergeDelay: number[];
}

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
 * Group inputs by what they hold. Copies join one view (their records are counted once); inputs
 * that are vantage points of the same traffic get a view each, compared in pairs; the rest is
 * merged by time, as independent inputs always were. An independent input that carries the
 * flows of one vantage point (same addresses, ports and TTLs: a capture rotated into several
 * files) joins that view; the others share one more view.
 */
export function planViews(probes: readonly (readonly Probe[])[]): Plan {
  const n = probes.length;
  const relations: Plan["relations"] = [];
  const parent = probes.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const vantageEdges: [number, number][] = [];
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const evidence = relate(probes[a]!, probes[b]!);
      if (evidence.relation === "independent") continue;
      relations.push({ a, b, evidence });
      if (evidence.relation === "copy") parent[find(b)] = find(a);
      else vantageEdges.push([a, b]);
    }
  }
  // Copy groups, in order of their first input.
  const groupOf = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = find(i);
    const g = groupOf.get(root);
    if (g) g.push(i);
    else groupOf.set(root, [i]);
  }
  const groups = [...groupOf.values()];
  // The copy whose records are kept: the one whose options are least often cut by the snapshot length.
  const primary = new Set(
    groups.map((g) => g.reduce((best, i) => (cutOptions(probes[i]!) < cutOptions(probes[best]!) ? i : best))),
  );
  const withDelays = (inputs: number[]): View => ({
    inputs,
    mergeDelay: inputs.map((i) => (primary.has(i) ? 0 : DUPLICATE_WINDOW_S)),
  });
  const groupIndex = new Map<number, number>();
  groups.forEach((g, gi) => {
    for (const i of g) groupIndex.set(i, gi);
  });
  const linked = new Set<string>();
  const groupPairs: [number, number][] = [];
  for (const [a, b] of vantageEdges) {
    const ga = groupIndex.get(a)!;
    const gb = groupIndex.get(b)!;
    if (ga === gb) continue; // copies of each other through a third input: one view
    const key = `${Math.min(ga, gb)}/${Math.max(ga, gb)}`;
    if (linked.has(key)) continue;
    linked.add(key);
    groupPairs.push([Math.min(ga, gb), Math.max(ga, gb)]);
  }
  if (groupPairs.length === 0) return { views: [withDelays(probes.map((_, i) => i))], pairs: [], relations };

  // Vantage points: the groups in some pair. Compare consecutive ones of each set (in the order
  // given), not every pair: a change between the first two must not be reported again between
  // the first and the third.
  const inPair = new Set(groupPairs.flat());
  const vantageGroups = groups.map((_, gi) => gi).filter((gi) => inPair.has(gi));
  const viewInputs = vantageGroups.map((gi) => [...groups[gi]!]);
  const viewOfGroup = new Map(vantageGroups.map((gi, vi) => [gi, vi]));
  const pairs = consecutivePairs(
    vantageGroups.length,
    groupPairs.map(([x, y]) => [viewOfGroup.get(x)!, viewOfGroup.get(y)!]),
  );

  // The other inputs: into the one vantage view whose flows they carry, else one more view.
  const viewFlows = viewInputs.map((inputs) => {
    const keys = new Set<string>();
    for (const i of inputs) for (const k of flowKeys(probes[i]!)) keys.add(k);
    return keys;
  });
  const rest: number[] = [];
  for (let gi = 0; gi < groups.length; gi++) {
    if (inPair.has(gi)) continue;
    const flows = new Set(groups[gi]!.flatMap((i) => [...flowKeys(probes[i]!)]));
    const carriers = viewFlows
      .map((keys, vi) => ([...flows].some((k) => keys.has(k)) ? vi : -1))
      .filter((vi) => vi >= 0);
    if (carriers.length === 1) viewInputs[carriers[0]!]!.push(...groups[gi]!);
    else rest.push(...groups[gi]!);
  }
  if (rest.length > 0) viewInputs.push(rest);
  const views = viewInputs.map((inputs) => withDelays(inputs.sort((x, y) => x - y)));
  return { views, pairs, relations };
}

/**
 * Of the vantage views linked by shared traffic, the pairs to compare: within each connected set,
 * each view with the next one in order.
 */
function consecutivePairs(n: number, edges: [number, number][]): [number, number][] {
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (const [a, b] of edges) parent[find(b)] = find(a);
  const last = new Map<number, number>();
  const pairs: [number, number][] = [];
  for (let v = 0; v < n; v++) {
    const root = find(v);
    const prev = last.get(root);
    if (prev !== undefined) pairs.push([prev, v]);
    last.set(root, v);
  }
  return pairs;
}
