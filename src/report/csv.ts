/**
 * CSV: one row per connection (RFC 4180: CRLF line ends, fields with a comma, quote or line break
 * quoted, quotes doubled). Numbers are raw (bytes, bytes per second, milliseconds); an empty field
 * is an unknown value. `*_wscale_offered` is the shift in the SYN, "none" (option absent) or
 * "unknown" (no SYN seen, or its options cut by the snapshot length).
 */
import type { AnalysisReport } from "../analysis/analyze.js";
import type { ConnectionSummary, EndpointSummary } from "../connections/summary.js";
import { findingsByConnection, worstByConnection } from "./model.js";

type Cell = string | number | boolean | null;

interface CsvColumn {
  name: string;
  value(conn: ConnectionSummary): Cell;
}

function offered(e: EndpointSummary): Cell {
  if (e.wscaleOffered === "unknown") return "unknown";
  return e.wscaleOffered === null ? "none" : e.wscaleOffered;
}

function perEndpoint(name: string, f: (e: EndpointSummary) => Cell): CsvColumn[] {
  return [
    { name: `client_${name}`, value: (c) => f(c.client) },
    { name: `server_${name}`, value: (c) => f(c.server) },
  ];
}

const BASE_COLUMNS: CsvColumn[] = [
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
  ...perEndpoint("wscale_offered", offered),
  ...perEndpoint("shift", (e) => e.shift),
  ...perEndpoint("max_window_raw", (e) => e.maxWindowRaw),
  ...perEndpoint("max_window", (e) => e.maxWindow),
  ...perEndpoint("max_in_flight", (e) => e.maxInFlight),
  ...perEndpoint("data_bytes", (e) => e.dataBytes),
  { name: "rtt_ms", value: (c) => c.rttMs },
  { name: "throughput_bytes_per_s", value: (c) => c.throughputBps },
  { name: "ceiling_bytes_per_s", value: (c) => c.ceilingBps },
];

/** The column names, in order. */
export const CSV_COLUMNS: readonly string[] = [
  ...BASE_COLUMNS.map((c) => c.name),
  "findings",
  "worst_finding",
  "worst_severity",
];

/** One field per RFC 4180. */
export function csvField(v: Cell): string {
  if (v === null) return "";
  const s = typeof v === "boolean" ? (v ? "true" : "false") : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRecord(fields: readonly Cell[]): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}

/** The header row, then one row per connection in the analysis' order. */
export function renderCsv(report: AnalysisReport): string {
  const worst = worstByConnection(report.findings);
  const byConn = findingsByConnection(report.findings);
  const out = [csvRecord(CSV_COLUMNS)];
  for (const conn of report.connections) {
    const w = worst.get(conn.id)?.finding;
    out.push(
      csvRecord([
        ...BASE_COLUMNS.map((col) => col.value(conn)),
        byConn.get(conn.id)?.length ?? 0,
        w ? w.id : null,
        w ? w.severity : null,
      ]),
    );
  }
  return out.join("");
}
