import type { ChalkInstance } from "chalk";
import Table from "cli-table3";
import type { AnalysisReport } from "../analysis/analyze.js";
import type { ConnectionSummary, EndpointSummary } from "../connections/summary.js";
import { type Finding, SEVERITY_RANK } from "../findings/finding.js";
import { bytes, ms, rate } from "./units.js";

export interface TableOptions {
  color: ChalkInstance;
  /** Show at most this many connections in the table (the worst first); the rest are counted. */
  top?: number;
}

const LINK_NAMES: Record<number, string> = {
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

/** The terminal report: inputs, a table of connections, then findings with evidence and advice. */
export function renderTable(report: AnalysisReport, opts: TableOptions): string {
  const c = opts.color;
  const lines: string[] = [];
  for (const input of report.inputs) {
    const links = input.linkTypes.map((l) => LINK_NAMES[l] ?? `link type ${l}`).join(", ");
    lines.push(
      `${c.bold(input.path)}: ${input.format}${input.gzip ? " (gzip)" : ""}${links ? `, ${links}` : ""}, ${input.packets} packets, ${input.tcpSegments} TCP`,
    );
    for (const w of input.warnings) lines.push(c.yellow(`  warning: byte ${w.offset}: ${w.message}`));
  }
  const worst = worstByConnection(report.findings);
  const rows = [...report.connections].sort((a, b) => (worst.get(b.id)?.rank ?? -1) - (worst.get(a.id)?.rank ?? -1));
  const shown = opts.top === undefined ? rows : rows.slice(0, opts.top);
  if (rows.length === 0) lines.push("No TCP connections.");
  else {
    const table = new Table({
      head: [
        "id",
        "client -> server",
        "wscale c/s",
        "max window c/s",
        "in flight",
        "RTT",
        "throughput / ceiling",
        "verdict",
      ],
      style: { head: c.level > 0 ? ["cyan"] : [], border: c.level > 0 ? ["grey"] : [] },
      wordWrap: true,
    });
    for (const conn of shown) table.push(row(conn, worst.get(conn.id)?.finding, c));
    lines.push(table.toString());
    if (shown.length < rows.length)
      lines.push(`(${rows.length - shown.length} more connections not shown; use --top or export with --format)`);
  }
  if (report.findings.length > 0) {
    lines.push("", c.bold("Findings"));
    for (const f of [...report.findings].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])) {
      lines.push(...renderFinding(f, c));
    }
  } else if (rows.length > 0) {
    lines.push("", "No findings: window scaling looks healthy on every connection.");
  }
  return `${lines.join("\n")}\n`;
}

function row(conn: ConnectionSummary, finding: Finding | undefined, c: ChalkInstance): string[] {
  const flight = Math.max(conn.client.maxInFlight, conn.server.maxInFlight);
  const verdict = finding ? paint(c, finding.severity, finding.id) : c.green("ok");
  return [
    conn.id,
    `${conn.client.ip}:${conn.client.port}${conn.rolesGuessed ? "?" : ""}\n-> ${conn.server.ip}:${conn.server.port}`,
    `${offer(conn.client)} / ${offer(conn.server)}\n${scaling(conn)}`,
    `${bytes(conn.client.maxWindow)} / ${bytes(conn.server.maxWindow)}`,
    bytes(flight),
    ms(conn.rttMs),
    `${rate(conn.throughputBps)}\n/ ${rate(conn.ceilingBps)}`,
    verdict,
  ];
}

function offer(e: EndpointSummary): string {
  if (e.wscaleOffered === "unknown") return "?";
  return e.wscaleOffered === null ? "-" : String(e.wscaleOffered);
}

function scaling(conn: ConnectionSummary): string {
  if (conn.scaling === "on") return `on ${conn.client.shift}/${conn.server.shift}`;
  return conn.scaling;
}

export function renderFinding(f: Finding, c: ChalkInstance): string[] {
  const out = [
    `${paint(c, f.severity, `[${f.severity}]`)} ${c.bold(f.id)} (${f.confidence}) ${f.connection}: ${f.message}`,
  ];
  for (const e of f.evidence)
    out.push(c.dim(`    frame ${e.frame}${e.input !== undefined ? ` (input ${e.input + 1})` : ""}: ${e.note}`));
  for (const a of f.advice) out.push(`    ${c.cyan("fix")} (${a.kind}): ${a.command}\n        ${c.dim(a.why)}`);
  return out;
}

function paint(c: ChalkInstance, severity: Finding["severity"], text: string): string {
  return severity === "error" ? c.red(text) : severity === "warn" ? c.yellow(text) : c.blue(text);
}

function worstByConnection(findings: Finding[]): Map<string, { rank: number; finding: Finding }> {
  const m = new Map<string, { rank: number; finding: Finding }>();
  for (const f of findings) {
    const rank = SEVERITY_RANK[f.severity];
    const cur = m.get(f.connection);
    if (!cur || rank > cur.rank) m.set(f.connection, { rank, finding: f });
  }
  return m;
}
