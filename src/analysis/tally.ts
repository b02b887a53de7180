import type { ConnectionSummary } from "../connections/summary.js";
import { type Finding, SEVERITY_RANK, type Severity } from "../findings/finding.js";

export type SeverityCounts = Record<Severity, number>;

/** The verdict of a connection with no finding at all. */
export const OK = "ok";

export interface VerdictCount {
  /** A finding id, or "ok". */
  verdict: string;
  severity: Severity | null;
  connections: number;
}

export interface FindingCount {
  id: string;
  severity: Severity;
  count: number;
}

/** Exact counts over every connection of a run, however few of them a report keeps. */
export interface ReportTotals {
  connections: number;
  findings: SeverityCounts;
  /** Connections per verdict (each one's worst finding id, or "ok"), the worst severity first, then the most frequent. */
  verdicts: VerdictCount[];
  /** Findings per id and severity (grouped by severity, each group in order of first appearance). */
  findingIds: FindingCount[];
}

/** A connection's worst finding: the first one of the highest severity, in the analysis' order. */
export function worstFinding(findings: readonly Finding[]): Finding | null {
  let worst: Finding | null = null;
  for (const f of findings) if (worst === null || SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst.severity]) worst = f;
  return worst;
}

/**
 * Counts kept as connections and their findings stream by: nothing per connection is kept, so a
 * note repeated on a million connections costs one counter (Zeek samples its weirds the same way).
 */
export class Tally {
  connections = 0;
  readonly findings: SeverityCounts = { error: 0, warn: 0, info: 0 };
  /** By severity ("ok": none), then by finding id: no key string is made per connection. */
  private readonly verdicts = new Map<Severity | typeof OK, Map<string, VerdictCount>>();
  private readonly ids = new Map<Severity, Map<string, FindingCount>>();

  /** One finished connection and its findings (`null`: findings that name no reported connection). */
  add(conn: ConnectionSummary | null, findings: readonly Finding[]): void {
    this.countFindings(findings);
    if (conn !== null) this.countConnection(findings);
  }

  /** Findings by severity and by id. */
  countFindings(findings: readonly Finding[]): void {
    for (const f of findings) {
      this.findings[f.severity]++;
      const bySeverity = inner(this.ids, f.severity);
      const c = bySeverity.get(f.id);
      if (c) c.count++;
      else bySeverity.set(f.id, { id: f.id, severity: f.severity, count: 1 });
    }
  }

  /** One connection, under the verdict its findings give it. */
  countConnection(findings: readonly Finding[]): void {
    this.connections++;
    const worst = worstFinding(findings);
    const verdict = worst === null ? OK : worst.id;
    const bySeverity = inner(this.verdicts, worst === null ? OK : worst.severity);
    const v = bySeverity.get(verdict);
    if (v) v.connections++;
    else bySeverity.set(verdict, { verdict, severity: worst === null ? null : worst.severity, connections: 1 });
  }

  /** Another tally's counts (a worker's, for one input of a merged stream), added to these. */
  merge(t: ReportTotals): void {
    this.connections += t.connections;
    for (const s of ["error", "warn", "info"] as const) this.findings[s] += t.findings[s];
    for (const v of t.verdicts) {
      const bySeverity = inner(this.verdicts, v.severity ?? OK);
      const c = bySeverity.get(v.verdict);
      if (c) c.connections += v.connections;
      else bySeverity.set(v.verdict, { ...v });
    }
    for (const f of t.findingIds) {
      const bySeverity = inner(this.ids, f.severity);
      const c = bySeverity.get(f.id);
      if (c) c.count += f.count;
      else bySeverity.set(f.id, { ...f });
    }
  }

  totals(): ReportTotals {
    const rank = (v: VerdictCount) => (v.severity === null ? -1 : SEVERITY_RANK[v.severity]);
    return {
      connections: this.connections,
      findings: { ...this.findings },
      verdicts: [...this.verdicts.values()]
        .flatMap((m) => [...m.values()])
        .map((v) => ({ ...v }))
        .sort((a, b) => rank(b) - rank(a) || b.connections - a.connections || a.verdict.localeCompare(b.verdict)),
      findingIds: [...this.ids.values()].flatMap((m) => [...m.values()]).map((c) => ({ ...c })),
    };
  }
}

function inner<K, V>(outer: Map<K, Map<string, V>>, key: K): Map<string, V> {
  let m = outer.get(key);
  if (m === undefined) outer.set(key, (m = new Map()));
  return m;
}

/** The counts of a report whose connections and findings are all in memory. */
export function totalsOf(connections: readonly ConnectionSummary[], findings: readonly Finding[]): ReportTotals {
  const byConn = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byConn.get(f.connection);
    if (list) list.push(f);
    else byConn.set(f.connection, [f]);
  }
  const tally = new Tally();
  // Findings in their own order, so that findingIds keeps the order of first appearance.
  tally.countFindings(findings);
  for (const c of connections) tally.countConnection(byConn.get(c.id) ?? []);
  return tally.totals();
}
