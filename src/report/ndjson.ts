/**
 * NDJSON: one JSON object per line, each with a `type`, so that a pipeline can act on each line as
 * it comes. `wscale analyze --format ndjson` prints each connection followed by its findings, and
 * last one "report" line (a summary, not the whole document). The line builders are pure so that
 * live mode can stream the same lines as connections and findings happen.
 */
import { type AnalysisReport, type InputSummary, SCHEMA_VERSION } from "../analysis/analyze.js";
import type { ConnectionSummary } from "../connections/summary.js";
import { type Finding, SEVERITY_RANK } from "../findings/finding.js";
import { type FailOn, findingsByConnection, impliedExitStatus, OK, type SeverityCounts } from "./model.js";

export type NdjsonType = "connection" | "finding" | "handshake" | "report";

/** Any object as one NDJSON line with its `type` first (the line ends with "\n"). */
export function ndjsonLine(type: NdjsonType, value: object): string {
  return `${JSON.stringify({ type, ...value })}\n`;
}

/** A finished connection: the connection object of the JSON report (SPEC section 7), with `type: "connection"`. */
export function connectionLine(conn: ConnectionSummary): string {
  return ndjsonLine("connection", conn);
}

/** A finding: the finding object of the JSON report, with `type: "finding"`. */
export function findingLine(f: Finding): string {
  return ndjsonLine("finding", f);
}

/** The closing line: what was read, how much was found, and the exit status that implies. */
export interface ReportSummaryLine {
  type: "report";
  schemaVersion: number;
  inputs: InputSummary[];
  connections: number;
  /** Findings by severity, and in all. */
  findings: SeverityCounts & { total: number };
  /** Connections per verdict: their worst finding's id, or "ok". */
  verdicts: Record<string, number>;
  failOn: FailOn;
  /** The exit status these findings imply with this --fail-on (SPEC section 1): 0 or 1. */
  exitStatus: 0 | 1;
}

/** Counts for the closing line, kept as connections and findings stream by (nothing else is kept). */
export class ReportTally {
  connections = 0;
  readonly findings: SeverityCounts = { error: 0, warn: 0, info: 0 };
  readonly verdicts: Record<string, number> = {};

  /** One finished connection and its findings. */
  add(conn: ConnectionSummary | null, findings: readonly Finding[]): void {
    let worst: Finding | null = null;
    for (const f of findings) {
      this.findings[f.severity]++;
      if (worst === null || SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst.severity]) worst = f;
    }
    if (conn === null) return;
    this.connections++;
    const verdict = worst === null ? OK : worst.id;
    this.verdicts[verdict] = (this.verdicts[verdict] ?? 0) + 1;
  }
}

export function reportSummary(inputs: InputSummary[], tally: ReportTally, failOn: FailOn): ReportSummaryLine {
  const f = tally.findings;
  return {
    type: "report",
    schemaVersion: SCHEMA_VERSION,
    inputs,
    connections: tally.connections,
    findings: { ...f, total: f.error + f.warn + f.info },
    verdicts: { ...tally.verdicts },
    failOn,
    exitStatus: impliedExitStatus(f, failOn),
  };
}

export function reportLine(inputs: InputSummary[], tally: ReportTally, failOn: FailOn): string {
  return `${JSON.stringify(reportSummary(inputs, tally, failOn))}\n`;
}

export interface NdjsonOptions {
  failOn: FailOn;
}

/** The whole report as NDJSON: each connection then its findings, and the "report" line last. */
export function renderNdjson(report: AnalysisReport, opts: NdjsonOptions): string {
  const byConn = findingsByConnection(report.findings);
  const tally = new ReportTally();
  const out: string[] = [];
  for (const conn of report.connections) {
    const found = byConn.get(conn.id) ?? [];
    byConn.delete(conn.id);
    out.push(connectionLine(conn));
    for (const f of found) out.push(findingLine(f));
    tally.add(conn, found);
  }
  // Findings that name no reported connection (none today) still get their line.
  for (const found of byConn.values()) {
    for (const f of found) out.push(findingLine(f));
    tally.add(null, found);
  }
  out.push(reportLine(report.inputs, tally, opts.failOn));
  return out.join("");
}
