/**
 * Markdown (GitHub flavour) for pasting into a ticket: the summary and the bottom line, the
 * inputs, a short table of the worst connections, and each finding with its evidence, its fixes
 * folded in a <details> block (commands in code blocks). Everything taken from the capture or the
 * command line is escaped, so a path or a message cannot turn into markup, a link or HTML.
 */
import type { AnalysisReport } from "../analysis/analyze.js";
import type { ConnectionSummary } from "../connections/summary.js";
import { catalogueEntry } from "../findings/catalogue.js";
import type { Finding } from "../findings/finding.js";
import { escapeControl } from "./escape.js";
import {
  connectionsById,
  groupFindings,
  hostPort,
  linkNames,
  plural,
  reportTotals,
  shownCount,
  summarySentence,
  worstByConnection,
  worstFirst,
} from "./model.js";
import { type ReadAs, readAsByConnection } from "./read-as.js";
import { wscaleText } from "./table.js";
import { bytes, ceiling, ms, rate } from "./units.js";

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
  const out: string[] = ["# wscale report", "", `**${mdText(summarySentence(report, worst))}**`, ""];
  const bottom = bottomLine(report);
  if (bottom) out.push(bottom, "");
  out.push("## Inputs", "");
  out.push(
    row(["file", "format", "link types", "packets", "TCP segments", "skipped"]),
    row(["---", "---", "---", "---:", "---:", "---"]),
  );
  for (const i of report.inputs) {
    const skipped = Object.entries(i.skipped)
      .filter(([, n]) => n > 0)
      .map(([why, n]) => `${n} ${why}`)
      .join(", ");
    out.push(
      row([
        mdCode(i.path === "-" ? "stdin" : escapeControl(i.path)),
        `${i.format}${i.gzip ? " (gzip)" : ""}`,
        cell(linkNames(i.linkTypes) || "-"),
        String(i.packets),
        String(i.tcpSegments),
        cell(skipped || "none"),
      ]),
    );
  }
  const warnings = report.inputs.flatMap((i) =>
    i.warnings.map((w) => ({ ...w, path: escapeControl(i.path), message: escapeControl(w.message) })),
  );
  if (warnings.length > 0) {
    out.push("", "Warnings:", "");
    for (const w of warnings)
      out.push(`- ${mdCode(w.path)}: ${w.offset >= 0 ? `byte ${w.offset}: ` : ""}${mdText(w.message)}`);
  }

  out.push("", "## Connections", "");
  const rows = worstFirst(report.connections, worst);
  // A long capture's report keeps only its worst connections: count from the totals.
  const total = reportTotals(report).connections;
  const shown = rows.slice(0, shownCount(total, opts.top));
  const readAs = readAsByConnection(report.findings);
  if (total === 0) out.push("No TCP connections.");
  else {
    out.push(
      row(["id", "client → server", "wscale c / s", "window c / s", "throughput / ceiling", "verdict"]),
      row(["---", "---", "---", "---:", "---:", "---"]),
    );
    for (const c of shown) out.push(connectionRow(c, worst.get(c.id)?.finding, readAs.get(c.id)));
    out.push("");
    if (shown.length < total)
      out.push(
        `Showing the ${shown.length} worst of ${total} connections; every connection is in \`--format csv\`.`,
        "",
      );
    out.push(
      "wscale: the shift each side offered in its SYN (*none*: no option; *?*: not seen), →N where the shift applied differs" +
        `${readAs.size > 0 ? ", *read as N*: its peer reads that side's windows with shift N" : ""}. ` +
        "Windows: the largest advertised, scaled. Throughput and ceiling (the largest window per RTT) in bits per second.",
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

/** The worst problem in one sentence, as the terminal's bottom line says it; null when all is well. */
function bottomLine(report: AnalysisReport): string | null {
  const problems = groupFindings(report, Number.POSITIVE_INFINITY).filter((g) => g.severity !== "info");
  if (problems.length === 0) return null;
  const top = problems.find((g) => g.severity === "error") ?? problems[0]!;
  // A digest of a long capture holds only some of the findings: its count is exact.
  const n = report.totals ? top.count : new Set(top.full.map((f) => f.connection)).size;
  const summary = catalogueEntry(top.id)?.summary;
  const sure = [...new Set(top.full.map((f) => f.confidence))].join(" or ");
  const what = summary ? ` ${mdText(summary.charAt(0).toUpperCase() + summary.slice(1))}.` : "";
  return `**Bottom line**: ${mdCode(top.id)} (${top.severity}, ${sure}) on ${plural(n, "connection")}.${what}`;
}

function connectionRow(c: ConnectionSummary, worst: Finding | undefined, ra: ReadAs | undefined): string {
  const both = (a: string, b: string) => `${a} / ${b}`;
  const rtt = c.rttMs === null ? "" : ` at ${ms(c.rttMs)}`;
  return row([
    cell(c.id),
    `${mdCode(hostPort(c.client))}${c.rolesGuessed ? " (guessed)" : ""} → ${mdCode(hostPort(c.server))}`,
    cell(both(wscaleText(c.client, ra?.client), wscaleText(c.server, ra?.server))),
    both(bytes(c.client.maxWindow), bytes(c.server.maxWindow)),
    `${rate(c.throughputBps)} / ${ceiling(c.ceilingBps, c.throughputBps)}${rtt}`,
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
    // Folded: a ticket reader sees the diagnosis first; the fixes open with a click.
    const kinds = [...new Set(f.advice.map((a) => a.kind))].join(", ");
    out.push(
      "<details>",
      `<summary>${plural(f.advice.length, "fix", "fixes")} (${kinds}), the most targeted first</summary>`,
      "",
    );
    f.advice.forEach((a, i) => {
      if (a.kind === "path") {
        out.push(`**Fix ${i + 1} (${a.kind})**: ${mdText(a.command)} — ${mdText(a.why)}`, "");
      } else {
        out.push(`**Fix ${i + 1} (${a.kind})**: ${mdText(a.why)}`, "", mdBlock(a.command, "sh"), "");
      }
    });
    out.push("</details>", "");
  }
  return out;
}
