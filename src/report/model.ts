/**
 * What every report format derives from the one AnalysisReport model: each connection's verdict,
 * the worst-first order, counts by severity and by verdict, and the exit status they imply.
 * Nothing here recomputes analysis; these are views of the model.
 */
import type { AnalysisReport, AnalysisRun } from "../analysis/analyze.js";
import { OK, type ReportTotals, type SeverityCounts, Tally, totalsOf, type VerdictCount } from "../analysis/tally.js";
import { connectionNumber, FINDINGS_IN_FULL_PER_ID } from "../analysis/worst-connections.js";
import type { ConnectionSummary, EndpointSummary } from "../connections/summary.js";
import { type Finding, SEVERITY_RANK, type Severity } from "../findings/finding.js";

export type { ReportTotals, SeverityCounts, VerdictCount };
export { connectionNumber, FINDINGS_IN_FULL_PER_ID, OK };

export type FailOn = Severity | "never";

/** Connections with more than this many rows get only the worst ones in the terminal, Markdown and HTML details. */
export const DEFAULT_TOP = 50;

export interface Worst {
  rank: number;
  finding: Finding;
}

/** Each connection's worst finding (the first one of the highest severity, in the analysis' order). */
export function worstByConnection(findings: readonly Finding[]): Map<string, Worst> {
  const m = new Map<string, Worst>();
  for (const f of findings) {
    const rank = SEVERITY_RANK[f.severity];
    const cur = m.get(f.connection);
    if (!cur || rank > cur.rank) m.set(f.connection, { rank, finding: f });
  }
  return m;
}

/** Findings grouped by connection id, in the analysis' order. */
export function findingsByConnection(findings: readonly Finding[]): Map<string, Finding[]> {
  const m = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = m.get(f.connection);
    if (list) list.push(f);
    else m.set(f.connection, [f]);
  }
  return m;
}

/** Worst verdict first (error, warn, info, ok), then in the analysis' order. */
export function worstFirst(connections: readonly ConnectionSummary[], worst: Map<string, Worst>): ConnectionSummary[] {
  return [...connections].sort(
    (a, b) =>
      (worst.get(b.id)?.rank ?? -1) - (worst.get(a.id)?.rank ?? -1) || connectionNumber(a.id) - connectionNumber(b.id),
  );
}

/** Findings worst severity first, then in the analysis' order (a stable sort). */
export function findingsWorstFirst<T extends Finding>(findings: readonly T[]): T[] {
  return [...findings].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
}

/** How many connections to list in full: all of them, or the worst `top` (default: 50 when there are more). */
export function shownCount(total: number, top: number | undefined): number {
  if (top !== undefined && Number.isFinite(top)) return Math.max(0, Math.min(total, Math.floor(top)));
  return total > DEFAULT_TOP ? DEFAULT_TOP : total;
}

export function severityCounts(findings: Iterable<Finding>): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warn: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/**
 * Connections per verdict (each connection's worst finding id, or "ok"), the worst severity first,
 * then the most frequent.
 */
export function verdictCounts(connections: readonly ConnectionSummary[], worst: Map<string, Worst>): VerdictCount[] {
  const tally = new Tally();
  for (const c of connections) {
    const w = worst.get(c.id);
    tally.countConnection(w ? [w.finding] : []);
  }
  return tally.totals().verdicts;
}

/**
 * Exact counts of the whole run: the report's own when it holds only the worst connections (a
 * digest of a long capture), else counted from its connections and findings.
 */
export function reportTotals(report: AnalysisReport): ReportTotals {
  return report.totals ?? totalsOf(report.connections, report.findings);
}

/** Every connection a report can name, by id: those it lists, and (in a digest) those of findings it shows in full. */
export function connectionsById(report: AnalysisReport): Map<string, ConnectionSummary> {
  const m = new Map(report.connections.map((c) => [c.id, c]));
  for (const c of report.related ?? []) if (!m.has(c.id)) m.set(c.id, c);
  return m;
}

/** The counts every machine-readable report closes with: the JSON `summary`, the NDJSON `report` record's. */
export interface ReportSummary {
  connections: number;
  /** Findings by severity, and in all. */
  findings: SeverityCounts & { total: number };
  /** Connections per verdict: their worst finding's id, or "ok" (the worst severity first, then the most frequent). */
  verdicts: Record<string, number>;
  /** Findings per id. */
  findingIds: Record<string, number>;
}

export function reportSummary(totals: ReportTotals): ReportSummary {
  const f = totals.findings;
  const verdicts: Record<string, number> = {};
  for (const v of totals.verdicts) verdicts[v.verdict] = (verdicts[v.verdict] ?? 0) + v.connections;
  const findingIds: Record<string, number> = {};
  for (const c of totals.findingIds) findingIds[c.id] = (findingIds[c.id] ?? 0) + c.count;
  return {
    connections: totals.connections,
    findings: { error: f.error, warn: f.warn, info: f.info, total: f.error + f.warn + f.info },
    verdicts,
    findingIds,
  };
}

/**
 * The end of a machine-readable report: what was read, the counts, and the exit status they
 * imply. The JSON document is this plus its `connections` and `findings` arrays; the NDJSON
 * `report` record is this alone (the connections and findings were the records before it).
 */
export interface ReportEnd extends AnalysisRun {
  summary: ReportSummary;
  failOn: FailOn;
  /** The exit status these findings imply with this --fail-on (SPEC section 1): 0 or 1. */
  exitStatus: 0 | 1;
}

/** `run` may be a whole report (or a vantage report): all but its connections and findings arrays is kept. */
export function reportEnd(run: AnalysisRun, totals: ReportTotals, failOn: FailOn): ReportEnd {
  const {
    connections: _connections,
    findings: _findings,
    totals: _totals,
    related: _related,
    ...rest
  } = run as Partial<AnalysisReport> & AnalysisRun;
  return {
    ...rest,
    summary: reportSummary(totals),
    failOn,
    exitStatus: impliedExitStatus(totals.findings, failOn),
  };
}

/** SPEC section 1: 1 when a finding is at or above --fail-on, else 0 (2 is for usage and input errors). */
export function impliedExitStatus(counts: SeverityCounts, failOn: FailOn): 0 | 1 {
  if (failOn === "never") return 0;
  const threshold = SEVERITY_RANK[failOn];
  return (Object.keys(counts) as Severity[]).some((s) => SEVERITY_RANK[s] >= threshold && counts[s] > 0) ? 1 : 0;
}

/** "198.18.1.2:80", "[2001:db8::2]:80": an IPv6 address is bracketed so that the port stays readable. */
export function hostPort(e: Pick<EndpointSummary, "ip" | "port">): string {
  return e.ip.includes(":") ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** The shift an endpoint offered in its SYN: "10", "none" (option absent) or "?" (not seen, or cut). */
export function offeredText(e: EndpointSummary): string {
  if (e.wscaleOffered === "unknown") return "?";
  return e.wscaleOffered === null ? "none" : String(e.wscaleOffered);
}

/** The shift applied to an endpoint's windows: "10", "0", or "?" when unknown. */
export function shiftText(e: EndpointSummary): string {
  return e.shift === null ? "?" : String(e.shift);
}

export const LINK_NAMES: Record<number, string> = {
  0: "BSD loopback",
  1: "Ethernet",
  12: "raw IP",
  14: "raw IP",
  101: "raw IP",
  108: "OpenBSD loopback",
  113: "Linux cooked",
  228: "raw IPv4",
  229: "raw IPv6",
  276: "Linux cooked v2",
};

export function linkNames(linkTypes: readonly number[]): string {
  return [...new Set(linkTypes.map((l) => LINK_NAMES[l] ?? `link type ${l}`))].join(", ");
}

/** "1 connection", "3 connections". */
export function plural(n: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : pluralNoun}`;
}

/**
 * One sentence for the top of every human report: how many connections and findings, and how
 * many connections got each verdict (exact counts, however few connections the report keeps).
 */
export function summarySentence(report: AnalysisReport, _worst?: Map<string, Worst>): string {
  const totals = reportTotals(report);
  const counts = totals.findings;
  const total = counts.error + counts.warn + counts.info;
  const sev = (["error", "warn", "info"] as const).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  const findings = `${plural(total, "finding")}${sev.length > 0 ? ` (${sev.join(", ")})` : ""}`;
  const verdicts = totals.verdicts.map((v) => `${v.connections} ${v.verdict}`).join(", ");
  return `${plural(totals.connections, "connection")}, ${findings}${verdicts ? `. Verdicts: ${verdicts}` : ""}.`;
}

export interface FindingGroup {
  id: string;
  severity: Severity;
  /** Findings of this id and severity in the whole run. */
  count: number;
  /** Shown with message, evidence and advice. */
  full: Finding[];
  /**
   * The same id on further connections, shown as a list: all of them, or in a report that keeps
   * only the worst connections the first few (`count - full.length` is how many there are).
   */
  rest: Finding[];
}

/**
 * Findings worst first, grouped by id: the first few of each id in full, the rest as a list. Given
 * a report, each group's `count` is exact even when the report keeps only some of the findings.
 */
export function groupFindings(
  from: AnalysisReport | readonly Finding[],
  inFull = FINDINGS_IN_FULL_PER_ID,
): FindingGroup[] {
  const findings = isFindings(from) ? from : from.findings;
  const groups = new Map<string, FindingGroup>();
  for (const f of findingsWorstFirst(findings)) {
    const key = `${f.severity} ${f.id}`;
    let g = groups.get(key);
    if (!g) {
      g = { id: f.id, severity: f.severity, count: 0, full: [], rest: [] };
      groups.set(key, g);
    }
    g.count++;
    (g.full.length < inFull ? g.full : g.rest).push(f);
  }
  if (!isFindings(from) && from.totals) {
    for (const c of from.totals.findingIds) {
      const g = groups.get(`${c.severity} ${c.id}`);
      if (g) g.count = c.count;
    }
  }
  return [...groups.values()];
}

function isFindings(x: AnalysisReport | readonly Finding[]): x is readonly Finding[] {
  return Array.isArray(x);
}
