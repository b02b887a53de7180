/**
 * Markdown (GitHub flavour) for pasting into a ticket: the summary, the inputs, a table of the
 * worst connections, and each finding with its evidence and commands in code blocks. Everything
 * taken from the capture or the command line is escaped, so a path or a message cannot turn into
 * markup, a link or HTML.
 */
import type { AnalysisReport } from "../analysis/analyze.js";
import type { ConnectionSummary } from "../connections/summary.js";
import type { Finding } from "../findings/finding.js";
import {
  connectionsById,
  groupFindings,
  hostPort,
  linkNames,
  offeredText,
  plural,
  reportTotals,
  shiftText,
  shownCount,
  summarySentence,
  worstByConnection,
  worstFirst,
} from "./model.js";
import { bytes, ms, rate } from "./units.js";

export interface MarkdownOptions {
  /** Connections in the table: all, or by default the worst 50 when there are more. */
  top?: number;
}

/**
 * Prose: Markdown's active characters are escaped outside of `code spans` (which the analysis uses
 * on purpose, e.g. `win 63`); with an odd number of backticks every backtick is escaped.
 */
export function mdText(text: string): string {
  const balanced = (text.match(/`/g)?.length ?? 0) % 2 === 0;
  const parts = balanced ? text.split(/(`[^`]*`)/) : [text];
  return parts
    .map((p, i) => (balanced && i % 2 === 1 ? p : escapeProse(p)))
    .join("")
    .replace(/\r?\n/g, " ");
}

function escapeProse(s: string): string {
  return (
    s
      .replace(/[\\*|`~]/g, (ch) => `\\${ch}`)
      // A bracket only where it could open a link or an image: tcp_rmem[2] stays as it is.
      .replace(/\[(?=[^\]]*\][([:])/g, "\\[")
      // Only what could open an HTML tag, comment or entity: "<<" and "a < b" stay as they are.
      .replace(/<(?=[A-Za-z/!?])/g, "\\<")
      .replace(/&(?=[A-Za-z#])/g, "&amp;")
      // Emphasis with underscores needs a word boundary: tcp_rmem stays as it is.
      .replace(/(^|[^A-Za-z0-9])_/g, "$1\\_")
      .replace(/_(?=[^A-Za-z0-9]|$)/g, "\\_")
      // What would start a heading, a quote, a list or a rule at the start of the text.
      .replace(/^(\s*)([#>+-])(?=\s|$)/, "$1\\$2")
      .replace(/^(\s*)>/, "$1\\>")
      .replace(/^(\s*)(\d{1,9})([.)])(?=\s|$)/, "$1$2\\$3")
  );
}

/** A code span holding any text: a fence longer than any backtick run inside, `|` escaped for tables. */
export function mdCode(text: string): string {
  const flat = text.replace(/\r?\n/g, "\\n").replace(/\|/g, "\\|");
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A fenced code block that no line of the content can close early. */
export function mdBlock(text: string, lang = ""): string {
  const longest = Math.max(0, ...(text.match(/`{3,}/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}

function cell(text: string): string {
  return mdText(text);
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

export function renderMarkdown(report: AnalysisReport, opts: MarkdownOptions = {}): string {
  const worst = worstByConnection(report.findings);
  const out: string[] = ["# wscale report", "", `**${mdText(summarySentence(report, worst))}**`, "", "## Inputs", ""];
  out.push(
    row(["file", "format", "link types", "packets", "TCP segments"]),
    row(["---", "---", "---", "---:", "---:"]),
  );
  for (const i of report.inputs) {
    out.push(
      row([
        mdCode(i.path),
        `${i.format}${i.gzip ? " (gzip)" : ""}`,
        cell(linkNames(i.linkTypes) || "-"),
        String(i.packets),
        String(i.tcpSegments),
      ]),
    );
  }
  const warnings = report.inputs.flatMap((i) => i.warnings.map((w) => ({ path: i.path, ...w })));
  if (warnings.length > 0) {
    out.push("", "Warnings:", "");
    for (const w of warnings) out.push(`- ${mdCode(w.path)}: byte ${w.offset}: ${mdText(w.message)}`);
  }

  out.push("", "## Connections", "");
  const rows = worstFirst(report.connections, worst);
  // A long capture's report keeps only its worst connections: count from the totals.
  const total = reportTotals(report).connections;
  const shown = rows.slice(0, shownCount(total, opts.top));
  if (total === 0) out.push("No TCP connections.");
  else {
    out.push(
      row([
        "id",
        "client",
        "server",
        "wscale offered c/s",
        "shift applied c/s",
        "max window c/s",
        "max in flight c/s",
        "RTT",
        "throughput",
        "ceiling",
        "verdict",
      ]),
      row(["---", "---", "---", "---", "---", "---:", "---:", "---:", "---:", "---:", "---"]),
    );
    for (const c of shown) out.push(connectionRow(c, worst.get(c.id)?.finding));
    out.push("");
    if (shown.length < total)
      out.push(
        `Showing the ${shown.length} worst of ${total} connections; every connection is in \`--format csv\`.`,
        "",
      );
    out.push(
      "Windows are scaled (bytes); a shift offered as *none* means the SYN carried no window-scale option, *?* that it was not seen. " +
        "Throughput and ceiling (the largest window per RTT) are in bits per second.",
    );
  }

  out.push("", "## Findings", "");
  if (report.findings.length === 0) {
    out.push(total > 0 ? "No findings: window scaling looks healthy on every connection." : "No findings.");
  }
  const conns = connectionsById(report);
  for (const g of groupFindings(report)) {
    for (const f of g.full) out.push(...findingSection(f, conns.get(f.connection)));
    const more = g.count - g.full.length;
    if (more > 0) {
      const ids = [...new Set(g.rest.map((f) => f.connection))].slice(0, 30);
      const listedIds = new Set(ids);
      const unlisted = more - g.rest.filter((f) => listedIds.has(f.connection)).length;
      const listed = ids.map(mdText).join(", ") + (unlisted > 0 ? `, and ${unlisted} more` : "");
      out.push(`… and ${plural(more, `more ${mdCode(g.id)} finding`)} (${g.severity}, as above) on ${listed}.`, "");
    }
  }
  while (out[out.length - 1] === "") out.pop();
  return `${out.join("\n")}\n`;
}

function connectionRow(c: ConnectionSummary, worst: Finding | undefined): string {
  const both = (a: string, b: string) => `${a} / ${b}`;
  return row([
    cell(c.id),
    mdCode(hostPort(c.client)) + (c.rolesGuessed ? " (guessed)" : ""),
    mdCode(hostPort(c.server)),
    both(offeredText(c.client), offeredText(c.server)),
    both(shiftText(c.client), shiftText(c.server)),
    both(bytes(c.client.maxWindow), bytes(c.server.maxWindow)),
    both(bytes(c.client.maxInFlight), bytes(c.server.maxInFlight)),
    ms(c.rttMs),
    rate(c.throughputBps),
    rate(c.ceilingBps),
    worst ? `**${mdText(worst.id)}** (${worst.severity})` : "ok",
  ]);
}

function findingSection(f: Finding, conn: ConnectionSummary | undefined): string[] {
  const where = conn
    ? `${mdText(f.connection)}: ${mdCode(hostPort(conn.client))} → ${mdCode(hostPort(conn.server))}`
    : mdText(f.connection);
  const out = [
    `### ${f.severity}: ${mdCode(f.id)} on ${mdText(f.connection)} (${f.confidence})`,
    "",
    where,
    "",
    mdText(f.message),
    "",
  ];
  if (f.evidence.length > 0) {
    const lines = f.evidence.map(
      (e) =>
        `frame ${e.frame}${e.input !== undefined ? ` (input ${e.input + 1})` : ""}: ${e.note.replace(/\r?\n/g, " ")}`,
    );
    out.push("Evidence:", "", mdBlock(lines.join("\n"), "text"), "");
  }
  if (f.advice.length > 0) {
    out.push("Advice, the most targeted first:", "");
    f.advice.forEach((a, i) => {
      if (a.kind === "path") {
        out.push(`**Fix ${i + 1} (${a.kind})**: ${mdText(a.command)} — ${mdText(a.why)}`, "");
      } else {
        out.push(`**Fix ${i + 1} (${a.kind})**: ${mdText(a.why)}`, "", mdBlock(a.command, "sh"), "");
      }
    });
  }
  return out;
}
