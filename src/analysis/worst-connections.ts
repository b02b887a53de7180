import type { ConnectionSummary } from "../connections/summary.js";
import { type Finding, SEVERITY_RANK } from "../findings/finding.js";
import type { AnalysisReport, AnalysisRun } from "./analyze.js";
import { Tally, worstFinding } from "./tally.js";

/** Findings of one id the human reports show in full; the rest of that id are listed by connection. */
export const FINDINGS_IN_FULL_PER_ID = 3;
/** Findings of one id kept beyond those, for the lists (their exact number is counted). */
export const FINDINGS_LISTED_PER_ID = 50;

/** "c12" -> 12, for ordering connections as the analysis numbered them. */
export function connectionNumber(id: string): number {
  const n = Number(id.slice(1));
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
}

interface Numbered {
  /** Order of arrival: the analysis' order of findings. */
  n: number;
  f: Finding;
}

interface Kept {
  conn: ConnectionSummary;
  findings: Numbered[];
  /** Severity rank of its worst finding, -1 with none. */
  rank: number;
  num: number;
}

/** Worse: a more severe verdict, then the earlier connection (the order of the reports' worst-first lists). */
function worse(a: Kept, b: Kept): boolean {
  return a.rank > b.rank || (a.rank === b.rank && a.num < b.num);
}

/**
 * What the table, Markdown and HTML reports need of a run of any length: the worst `keep`
 * connections (a bounded heap, the least bad at its root) with their findings, the first few
 * findings of each id, and exact counts of everything else. Memory is bounded by `keep`, not by
 * the number of connections or findings.
 */
export class WorstConnections {
  readonly tally = new Tally();
  private readonly heap: Kept[] = [];
  private readonly samples = new Map<string, Numbered[]>();
  /** Connections of the first findings of each id (the reports name their endpoints). */
  private readonly related = new Map<string, ConnectionSummary>();
  private arrivals = 0;

  constructor(
    readonly keep: number,
    private readonly perId = FINDINGS_IN_FULL_PER_ID + FINDINGS_LISTED_PER_ID,
  ) {}

  add(conn: ConnectionSummary, findings: readonly Finding[]): void {
    this.tally.add(conn, findings);
    const numbered = findings.map((f) => ({ n: this.arrivals++, f }));
    for (const x of numbered) {
      const key = `${x.f.severity} ${x.f.id}`;
      let list = this.samples.get(key);
      if (list === undefined) this.samples.set(key, (list = []));
      if (list.length >= this.perId) continue;
      list.push(x);
      if (list.length <= FINDINGS_IN_FULL_PER_ID && !this.related.has(conn.id)) {
        // Without its time series: only the kept connections are charted.
        this.related.set(conn.id, conn.timeline ? { ...conn, timeline: undefined } : conn);
      }
    }
    const worst = worstFinding(findings);
    const entry: Kept = {
      conn,
      findings: numbered,
      rank: worst === null ? -1 : SEVERITY_RANK[worst.severity],
      num: connectionNumber(conn.id),
    };
    const heap = this.heap;
    if (heap.length < this.keep) {
      heap.push(entry);
      this.up(heap.length - 1);
    } else if (heap.length > 0 && worse(entry, heap[0]!)) {
      heap[0] = entry;
      this.down(0);
    }
  }

  /** The report model: kept connections in the analysis' order, their findings and the samples, exact totals. */
  report(run: AnalysisRun): AnalysisReport {
    const order = new Map<Finding, number>();
    for (const e of this.heap) for (const x of e.findings) order.set(x.f, x.n);
    for (const list of this.samples.values()) for (const x of list) order.set(x.f, x.n);
    const kept = new Set(this.heap.map((e) => e.conn.id));
    return {
      ...run,
      connections: this.heap.map((e) => e.conn).sort((a, b) => connectionNumber(a.id) - connectionNumber(b.id)),
      findings: [...order].sort((a, b) => a[1] - b[1]).map(([f]) => f),
      totals: this.tally.totals(),
      related: [...this.related.values()].filter((c) => !kept.has(c.id)),
    };
  }

  private up(i: number): void {
    const heap = this.heap;
    const e = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(heap[p]!, e)) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = e;
  }

  private down(i: number): void {
    const heap = this.heap;
    const e = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const c = r < heap.length && worse(heap[l]!, heap[r]!) ? r : l;
      if (!worse(e, heap[c]!)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = e;
  }
}
