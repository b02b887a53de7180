import type { AnalysisReport, AnalysisRun } from "../analysis/analyze.js";
import type { Tally } from "../analysis/tally.js";
import type { ConnectionSummary } from "../connections/summary.js";
import type { Finding } from "../findings/finding.js";
import { findingsByConnection } from "./model.js";

/**
 * A report written while the analysis runs (JSON, NDJSON, CSV): each finished connection is
 * rendered at once and forgotten, so memory follows the live connections whatever the length of
 * the capture. Rendering is synchronous and buffered; the caller writes what take() returns to
 * its output between reads, waiting for the output to drain (backpressure).
 */
export interface ReportWriter {
  /** Exact counts of everything added: the exit status and the closing summary come from here. */
  readonly tally: Tally;
  /** A finished connection and its findings. */
  add(conn: ConnectionSummary, findings: readonly Finding[]): void;
  /**
   * What was rendered since the last take(), to be written now; with `all` false only whole
   * pieces (about 512 KiB), so that frequent calls do not make many small writes.
   */
  take(all?: boolean): Uint8Array[];
  /** A piece from take() or end() has been written: its memory may be reused. */
  release(piece: Uint8Array): void;
  /** The rest of the report, once the run is over. */
  end(run: AnalysisRun): Iterable<Uint8Array>;
}

/** A report that is already in memory, through a writer: each connection with its findings, in order. */
export function* writeReport(writer: ReportWriter, report: AnalysisReport): Generator<Uint8Array> {
  const byConn = findingsByConnection(report.findings);
  for (const conn of report.connections) {
    writer.add(conn, byConn.get(conn.id) ?? []);
    byConn.delete(conn.id);
    yield* writer.take();
  }
  // Findings that name no reported connection (none from analyze) are still counted.
  for (const found of byConn.values()) writer.tally.countFindings(found);
  yield* writer.end(report);
}

/** All pieces as one string (tests, and small reports). */
export function piecesText(pieces: Iterable<Uint8Array>): string {
  return Buffer.concat([...pieces]).toString("utf8");
}
