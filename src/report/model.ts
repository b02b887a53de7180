/**
 * What every report format derives from the one AnalysisReport model: each connection's verdict,
 * the worst-first order, counts by severity and by verdict, and the exit status they imply.
 * Nothing here recomputes analysis; these are views of the model.
 */
import type { AnalysisReport } from "../analysis/analyze.js";
import type { ConnectionSummary, EndpointSummary } from "../connections/summary.js";
import { type Finding, SEVERITY_RANK, type Severity } from "../findings/finding.js";

export type FailOn = Severity | "never";

/** The verdict of a connection with no finding at all. */
export const OK = "ok";

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

/** "c12" -> 12, for ordering connections as the analysis numbered them. */
export function connectionNumber(id: string): number {
  const n = Number(id.slice(1));
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
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

export type SeverityCounts = Record<Severity, number>;

export function severityCounts(findings: Iterable<Finding>): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warn: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

export interface VerdictCount {
  /** A finding id, or "ok". */
  verdict: string;
  severity: Severity | null;
  connections: number;
}

/**
 * Connections per verdict (each connection's worst finding id, or "ok"), the worst severity first,
 * then the most frequent.
 */
export function verdictCounts(connections: readonly ConnectionSummary[], worst: Map<string, Worst>): VerdictCount[] {
  const m = new Map<string, VerdictCount>();
  for (const c of connections) {
    const f = worst.get(c.id)?.finding;
    const key = f ? `${f.severity} ${f.id}` : OK;
    const cur = m.get(key);
    if (cur) cur.connections++;
    else m.set(key, { verdict: f ? f.id : OK, severity: f ? f.severity : null, connections: 1 });
  }
  const rank = (v: VerdictCount) => (v.severity === null ? -1 : SEVERITY_RANK[v.severity]);
  return [...m.values()].sort(
    (a, b) => rank(b) - rank(a) || b.connections - a.connections || a.verdict.localeCompare(b.verdict),
  );
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
 * many connections got each verdict.
 */
export function summarySentence(report: AnalysisReport, worst: Map<string, Worst>): string {
  const counts = severityCounts(report.findings);
  const sev = (["error", "warn", "info"] as const).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  const findings = `${plural(report.findings.length, "finding")}${sev.length > 0 ? ` (${sev.join(", ")})` : ""}`;
  const verdicts = verdictCounts(report.connections, worst)
    .map((v) => `${v.connections} ${v.verdict}`)
    .join(", ");
  return `${plural(report.connections.length, "connection")}, ${findings}${verdicts ? `. Verdicts: ${verdicts}` : ""}.`;
}

/** Findings of one id beyond the first few are listed as a group (connection ids only). */
export const FINDINGS_IN_FULL_PER_ID = 3;

export interface FindingGroup {
  id: string;
  severity: Severity;
  /** Shown with message, evidence and advice. */
  full: Finding[];
  /** The same id on further connections, shown as a list. */
  rest: Finding[];
}

/** Findings worst first, grouped by id: the first few of each id in full, the rest as a list. */
export function groupFindings(findings: readonly Finding[], inFull = FINDINGS_IN_FULL_PER_ID): FindingGroup[] {
  const groups = new Map<string, FindingGroup>();
  for (const f of findingsWorstFirst(findings)) {
    const key = `${f.severity}\u0000${f.id}`;
    let g = groups.get(key);
    if (!g) {
      g = { id: f.id, severity: f.severity, full: [], rest: [] };
      groups.set(key, g);
    }
    (g.full.length < inFull ? g.full : g.rest).push(f);
  }
  return [...groups.values()];
}
