/**
 * CSV: one row per connection (RFC 4180: CRLF line ends, fields with a comma, quote or line break
 * quoted, quotes doubled). Every column holds one type: numbers are raw (bytes, bytes per second,
 * milliseconds, shifts) and an empty field is an unknown or absent value; booleans are true/false;
 * the rest are words from a fixed set. Whether a SYN carried the window-scale option is its own
 * column, `*_wscale_offered_state` (present, absent or unknown: no SYN seen, or its options cut
 * by the snapshot length), beside the numeric `*_wscale_offered`.
 */
import type { AnalysisReport, AnalysisRun } from "../analysis/analyze.js";
import { Tally, worstFinding } from "../analysis/tally.js";
import type { ConnectionSummary, EndpointSummary } from "../connections/summary.js";
import type { Finding } from "../findings/finding.js";
import { PieceWriter } from "./pieces.js";
import { piecesText, type ReportWriter, writeReport } from "./stream.js";

type Cell = string | number | boolean | null;
type Side = "client" | "server";

interface CsvColumn {
  name: string;
  value(conn: ConnectionSummary, findings: readonly Finding[]): Cell;
}

function perEndpoint(name: string, f: (e: EndpointSummary, side: Side, findings: readonly Finding[]) => Cell) {
  return (["client", "server"] as const).map(
    (side): CsvColumn => ({ name: `${side}_${name}`, value: (c, found) => f(c[side], side, found) }),
  );
}

/** The shift the peer reads this side's windows with, when a finding proved it differs from the one applied. */
function readAs(side: Side, findings: readonly Finding[]): number | null {
  for (const f of findings) for (const m of f.readAs ?? []) if (m.side === side) return m.readWith;
  return null;
}

const COLUMNS: CsvColumn[] = [
  { name: "id", value: (c) => c.id },
  { name: "client_ip", value: (c) => c.client.ip },
  { name: "client_port", value: (c) => c.client.port },
  { name: "server_ip", value: (c) => c.server.ip },
  { name: "server_port", value: (c) => c.server.port },
  { name: "roles_guessed", value: (c) => c.rolesGuessed },
  { name: "first_frame", value: (c) => c.firstFrame },
  { name: "start_time", value: (c) => c.startTime },
  { name: "duration_s", value: (c) => c.durationS },
  { name: "handshake", value: (c) => c.handshake },
  { name: "scaling", value: (c) => c.scaling },
  ...perEndpoint("wscale_offered_state", (e) =>
    e.wscaleOffered === "unknown" ? "unknown" : e.wscaleOffered === null ? "absent" : "present",
  ),
  ...perEndpoint("wscale_offered", (e) => (typeof e.wscaleOffered === "number" ? e.wscaleOffered : null)),
  ...perEndpoint("shift", (e) => e.shift),
  ...perEndpoint("read_as_shift", (_e, side, found) => readAs(side, found)),
  ...perEndpoint("max_window_raw", (e) => e.maxWindowRaw),
  ...perEndpoint("max_window", (e) => e.maxWindow),
  ...perEndpoint("max_in_flight", (e) => e.maxInFlight),
  ...perEndpoint("data_bytes", (e) => e.dataBytes),
  ...perEndpoint("retransmissions", (e) => e.retransmissions),
  ...perEndpoint("window_full", (e) => e.windowFull),
  { name: "rtt_ms", value: (c) => c.rttMs },
  { name: "throughput_bytes_per_s", value: (c) => c.throughputBps },
  { name: "ceiling_bytes_per_s", value: (c) => c.ceilingBps },
  { name: "findings", value: (_c, found) => found.length },
  { name: "worst_finding", value: (_c, found) => worstFinding(found)?.id ?? null },
  { name: "worst_severity", value: (_c, found) => worstFinding(found)?.severity ?? null },
];

/** The column names, in order. */
export const CSV_COLUMNS: readonly string[] = COLUMNS.map((c) => c.name);

/** One field per RFC 4180. */
export function csvField(v: Cell): string {
  if (v === null) return "";
  // Most cells: no quoting to look for (a million rows of 37 columns made this count).
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvRecord(fields: readonly Cell[]): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}

/** The header row, then a row per connection as each one finishes. */
export class CsvWriter implements ReportWriter {
  readonly tally = new Tally();
  private readonly out = new PieceWriter();
  private headed = false;

  add(conn: ConnectionSummary, findings: readonly Finding[]): void {
    this.tally.add(conn, findings);
    this.head();
    let row = "";
    for (let i = 0; i < COLUMNS.length; i++) {
      if (i > 0) row += ",";
      row += csvField(COLUMNS[i]!.value(conn, findings));
    }
    this.out.text(`${row}\r\n`);
  }

  take(all = true): Uint8Array[] {
    return all ? this.out.take() : this.out.takeFull();
  }

  release(piece: Uint8Array): void {
    this.out.release(piece);
  }

  end(_run: AnalysisRun): Uint8Array[] {
    this.head();
    return this.out.take();
  }

  /** Written with the first row (or at the end): nothing is written for an input that cannot be read. */
  private head(): void {
    if (this.headed) return;
    this.headed = true;
    this.out.text(csvRecord(CSV_COLUMNS));
  }
}

/** A report in memory as the CSV `analyze --format csv` writes. */
export function renderCsv(report: AnalysisReport): string {
  return piecesText(writeReport(new CsvWriter(), report));
}
