/**
 * NDJSON: one JSON object per line, each with a `type`, so that a pipeline can act on each line as
 * it comes. One record shape per type, the same from `analyze` and `live` (schema/*.record.schema.json):
 *   handshake   the connection object of the JSON report as known when its handshake completed (live)
 *   finding     a finding object of the JSON report
 *   connection  the connection object of the JSON report, once the connection is finished
 *   report      last: the JSON document without its connections and findings arrays (their
 *               elements were the records before it): inputs, summary counts, exit status
 * `analyze` writes each connection followed by its findings; `live` writes each finding as soon
 * as it is established, which may be before its connection is finished.
 */
import type { AnalysisReport, AnalysisRun } from "../analysis/analyze.js";
import { Tally } from "../analysis/tally.js";
import type { ConnectionSummary } from "../connections/summary.js";
import type { Finding } from "../findings/finding.js";
import { type FailOn, type ReportEnd, reportEnd } from "./model.js";
import { PieceWriter } from "./pieces.js";
import { piecesText, type ReportWriter, writeReport } from "./stream.js";

export type HandshakeRecord = { type: "handshake" } & ConnectionSummary;
export type ConnectionRecord = { type: "connection" } & ConnectionSummary;
export type FindingRecord = { type: "finding" } & Finding;
export type ReportRecord = { type: "report" } & ReportEnd;
export type NdjsonRecord = HandshakeRecord | ConnectionRecord | FindingRecord | ReportRecord;
export type NdjsonType = NdjsonRecord["type"];

/** One record as a line: `type` first, then the object's own fields (no copy of the object is made). */
export function ndjsonLine(type: NdjsonType, value: object): string {
  const json = JSON.stringify(value);
  return json === "{}" ? `{"type":"${type}"}\n` : `{"type":"${type}",${json.slice(1)}\n`;
}

export class NdjsonWriter implements ReportWriter {
  readonly tally = new Tally();
  private readonly out = new PieceWriter();

  constructor(private readonly failOn: FailOn) {}

  handshake(conn: ConnectionSummary): void {
    this.out.text(ndjsonLine("handshake", conn));
  }

  finding(f: Finding): void {
    this.out.text(ndjsonLine("finding", f));
  }

  /** A finished connection's record alone (live mode writes its findings as they are established). */
  connection(conn: ConnectionSummary): void {
    this.out.text(ndjsonLine("connection", conn));
  }

  add(conn: ConnectionSummary, findings: readonly Finding[]): void {
    this.connection(conn);
    for (const f of findings) this.finding(f);
    this.tally.add(conn, findings);
  }

  take(all = true): Uint8Array[] {
    return all ? this.out.take() : this.out.takeFull();
  }

  release(piece: Uint8Array): void {
    this.out.release(piece);
  }

  end(run: AnalysisRun): Uint8Array[] {
    this.out.text(ndjsonLine("report", reportEnd(run, this.tally.totals(), this.failOn)));
    return this.out.take();
  }
}

/** A report in memory as the NDJSON `analyze --format ndjson` writes. */
export function renderNdjson(report: AnalysisReport, opts: { failOn: FailOn }): string {
  return piecesText(writeReport(new NdjsonWriter(opts.failOn), report));
}
