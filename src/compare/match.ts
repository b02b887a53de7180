import type { ConnectionSummary } from "../connections/summary.js";
import type { MatchBy } from "./types.js";

export interface Pair {
  a: ConnectionSummary;
  b: ConnectionSummary;
  by: MatchBy;
}

export interface Matching {
  pairs: Pair[];
  unmatchedA: ConnectionSummary[];
  unmatchedB: ConnectionSummary[];
  /** Median of (time in B - time in A) of the client SYNs matched by identity: clock offset plus path delay. */
  offset: number | null;
}

/** Pairing by time alone: SYNs this close (after the offset) and nothing closer. */
export const TIME_TOLERANCE_S = 1;
/** Without any other match to measure the clock offset, the clocks are assumed this close. */
export const TIME_TOLERANCE_NO_OFFSET_S = 2;

export function tupleKey(c: ConnectionSummary): string {
  return `${c.client.ip}|${c.client.port}|${c.server.ip}|${c.server.port}`;
}

function synTime(c: ConnectionSummary): number | null {
  return c.client.syn?.time ?? c.startTime;
}

/** The same SYN or SYN-ACK (by ISN) is in both; false when there is nothing to compare. */
function sameIsn(a: ConnectionSummary, b: ConnectionSummary): boolean {
  const ac = a.client.syn;
  const bc = b.client.syn;
  const as = a.server.syn;
  const bs = b.server.syn;
  return (ac !== null && bc !== null && ac.isn === bc.isn) || (as !== null && bs !== null && as.isn === bs.isn);
}

/** Both have a SYN or a SYN-ACK to compare, and no ISN agrees. */
function isnsDisagree(a: ConnectionSummary, b: ConnectionSummary): boolean {
  const comparable =
    (a.client.syn !== null && b.client.syn !== null) || (a.server.syn !== null && b.server.syn !== null);
  return comparable && !sameIsn(a, b);
}

/**
 * Pair the connections of two captures of the same traffic, strongest evidence first:
 * 1. the same 4-tuple and the same ISN (or no handshake to check);
 * 2. the same client or server ISN, addresses and ports aside (NAT);
 * 3. the same 4-tuple with different ISNs (a box rewrote the ISN);
 * 4. the same IP ID and TSval of the SYN or SYN-ACK (NAT and ISN rewriting together);
 * 5. SYN times alone (a proxy: nothing else survives it): the same server address and port,
 *    within a second of the measured clock offset, and no other candidate on either side.
 * Each connection is used once; when several candidates qualify, the nearest in time wins.
 */
export function matchConnections(as: ConnectionSummary[], bs: ConnectionSummary[]): Matching {
  const pairs: Pair[] = [];
  const usedA = new Set<ConnectionSummary>();
  const usedB = new Set<ConnectionSummary>();
  const take = (a: ConnectionSummary, b: ConnectionSummary, by: MatchBy) => {
    pairs.push({ a, b, by });
    usedA.add(a);
    usedB.add(b);
  };
  let offset: number | null = null;
  const distance = (a: ConnectionSummary, b: ConnectionSummary): number => {
    const ta = synTime(a);
    const tb = synTime(b);
    if (ta === null || tb === null) return Number.POSITIVE_INFINITY;
    return Math.abs(tb - ta - (offset ?? 0));
  };
  const nearest = (a: ConnectionSummary, candidates: ConnectionSummary[]): ConnectionSummary | undefined => {
    let best: ConnectionSummary | undefined;
    let bestD = Number.POSITIVE_INFINITY;
    for (const b of candidates) {
      if (usedB.has(b)) continue;
      const d = distance(a, b);
      if (best === undefined || d < bestD) {
        best = b;
        bestD = d;
      }
    }
    return best;
  };

  const byTuple = groupBy(bs, tupleKey);
  // 1. 4-tuple, confirmed by an ISN or unverifiable.
  for (const a of as) {
    const candidates = (byTuple.get(tupleKey(a)) ?? []).filter((b) => !isnsDisagree(a, b));
    const same = candidates.filter((b) => sameIsn(a, b));
    const b = nearest(a, same.length > 0 ? same : candidates);
    if (b) take(a, b, "4-tuple");
  }
  // 2. ISN, whatever the addresses.
  const byClientIsn = groupBy(
    bs.filter((b) => b.client.syn !== null),
    (b) => String(b.client.syn!.isn),
  );
  const byServerIsn = groupBy(
    bs.filter((b) => b.server.syn !== null),
    (b) => String(b.server.syn!.isn),
  );
  for (const a of as) {
    if (usedA.has(a)) continue;
    const cands = [
      ...(a.client.syn ? (byClientIsn.get(String(a.client.syn.isn)) ?? []) : []),
      ...(a.server.syn ? (byServerIsn.get(String(a.server.syn.isn)) ?? []) : []),
    ];
    const b = nearest(a, cands);
    if (b) take(a, b, "isn");
  }
  offset = estimateOffset(pairs);
  // 3. 4-tuple with different ISNs.
  for (const a of as) {
    if (usedA.has(a)) continue;
    const b = nearest(a, byTuple.get(tupleKey(a)) ?? []);
    if (b) take(a, b, "4-tuple");
  }
  // 4. IP ID and TSval of the SYN, else of the SYN-ACK.
  const synKey = (s: ConnectionSummary["client"]["syn"]) =>
    s !== null && s.tsVal !== null ? `${s.ipId}/${s.tsVal}` : null;
  const byClientKey = groupBy(
    bs.filter((b) => synKey(b.client.syn) !== null),
    (b) => synKey(b.client.syn)!,
  );
  const byServerKey = groupBy(
    bs.filter((b) => synKey(b.server.syn) !== null),
    (b) => synKey(b.server.syn)!,
  );
  for (const a of as) {
    if (usedA.has(a)) continue;
    const ck = synKey(a.client.syn);
    const sk = synKey(a.server.syn);
    const cands = [
      ...(ck !== null ? (byClientKey.get(ck) ?? []) : []),
      ...(sk !== null ? (byServerKey.get(sk) ?? []) : []),
    ];
    const b = nearest(a, cands);
    if (b) take(a, b, "ipid+ts");
  }
  offset = estimateOffset(pairs) ?? offset;
  // 5. Time alone proves little: a pair only when each is the other's one candidate (at most two
  // are looked for on either side, so a busy window costs no more than a scan).
  const tolerance = offset === null ? TIME_TOLERANCE_NO_OFFSET_S : TIME_TOLERANCE_S;
  const shift = offset ?? 0;
  const timedA = timedSyns(as, usedA);
  const timedB = timedSyns(bs, usedB);
  const sameServer = (x: ConnectionSummary, y: ConnectionSummary) =>
    x.server.port === y.server.port && x.server.ip === y.server.ip;
  for (const { c: a, t } of timedA) {
    const [b, second] = candidatesNear(timedB, t + shift, tolerance, (b) => sameServer(a, b));
    if (b === undefined || second !== undefined) continue;
    const [back, other] = candidatesNear(timedA, b.client.syn!.time! - shift, tolerance, (x) => sameServer(x, b));
    if (back === a && other === undefined) take(a, b, "time");
  }

  pairs.sort((x, y) => idNumber(x.a.id) - idNumber(y.a.id));
  return {
    pairs,
    unmatchedA: as.filter((a) => !usedA.has(a)),
    unmatchedB: bs.filter((b) => !usedB.has(b)),
    offset,
  };
}

/** Median time difference of the client SYNs of pairs that are surely the same packets. */
function estimateOffset(pairs: Pair[]): number | null {
  const diffs: number[] = [];
  for (const p of pairs) {
    const ta = p.a.client.syn?.time;
    const tb = p.b.client.syn?.time;
    if (ta != null && tb != null && p.a.client.syn!.isn === p.b.client.syn!.isn) diffs.push(tb - ta);
  }
  if (diffs.length === 0) return null;
  diffs.sort((x, y) => x - y);
  return diffs[Math.floor(diffs.length / 2)]!;
}

/** Connections not yet matched whose SYN has a time, sorted by it. */
function timedSyns(cs: ConnectionSummary[], used: Set<ConnectionSummary>): { c: ConnectionSummary; t: number }[] {
  return cs
    .filter((c) => !used.has(c) && c.client.syn?.time != null)
    .map((c) => ({ c, t: c.client.syn!.time! }))
    .sort((x, y) => x.t - y.t);
}

/** Up to two entries within `tolerance` of `t` that pass `ok`. */
function candidatesNear(
  sorted: { c: ConnectionSummary; t: number }[],
  t: number,
  tolerance: number,
  ok: (c: ConnectionSummary) => boolean,
): ConnectionSummary[] {
  const out: ConnectionSummary[] = [];
  for (let i = lowerBound(sorted, t - tolerance); i < sorted.length && sorted[i]!.t <= t + tolerance; i++) {
    if (ok(sorted[i]!.c)) out.push(sorted[i]!.c);
    if (out.length === 2) break;
  }
  return out;
}

/** First index whose time is at or after `t`. */
function lowerBound(sorted: { t: number }[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

export function idNumber(id: string): number {
  return Number(id.slice(1));
}
