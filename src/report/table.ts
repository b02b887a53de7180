import type { ChalkInstance } from "chalk";
import Table from "cli-table3";
import type { AnalysisReport } from "../analysis/analyze.js";
import type { ConnectionSummary, EndpointSummary } from "../connections/summary.js";
import type { Finding } from "../findings/finding.js";
import {
  connectionsById,
  type FindingGroup,
  groupFindings,
  hostPort,
  linkNames,
  offeredText,
  plural,
  reportTotals,
  shiftText,
  shownCount,
  summarySentence,
  type Worst,
  worstByConnection,
  worstFirst,
} from "./model.js";
import { wrapCell, wrapIndented, wrapToken, wrapWords } from "./text.js";
import { bytes, ms, rate } from "./units.js";

export interface TableOptions {
  color: ChalkInstance;
  /** Show at most this many connections in the table (the worst first); default: all, or the worst 50 of more. */
  top?: number;
  /** Terminal width in columns (default 80). The table and the prose are laid out to fit it. */
  width?: number;
}

export const DEFAULT_WIDTH = 80;
/** Prose is not stretched wider than this on a wide terminal. */
const MAX_PROSE = 110;
const GAP = "  ";

/** No borders: at 80 columns every column counts. Rows are separated by a blank line instead. */
const CHARS = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: GAP,
};

/**
 * The terminal report: inputs, a one-line summary (connections per verdict), a table of the worst
 * connections, then findings with evidence and advice (the same finding on many connections is
 * listed once more than a few times).
 */
export function renderTable(report: AnalysisReport, opts: TableOptions): string {
  const c = opts.color;
  const width = Math.max(40, opts.width ?? DEFAULT_WIDTH);
  const prose = Math.min(width, MAX_PROSE);
  const lines: string[] = [];
  for (const input of report.inputs) {
    const links = linkNames(input.linkTypes);
    const what = `${input.format}${input.gzip ? " (gzip)" : ""}${links ? `, ${links}` : ""}, ${input.packets} packets, ${input.tcpSegments} TCP`;
    const path = printable(input.path);
    const head = wrapWords(`${path}: ${what}`, prose);
    lines.push(...head.map((l, i) => (i === 0 && l.startsWith(path) ? c.bold(path) + l.slice(path.length) : l)));
    for (const w of input.warnings)
      lines.push(
        ...wrapIndented(`warning: byte ${w.offset}: ${printable(w.message)}`, prose, "  ", "    ").map((l) =>
          c.yellow(l),
        ),
      );
  }
  const worst = worstByConnection(report.findings);
  lines.push(...wrapWords(summarySentence(report, worst), prose).map((l) => c.bold(l)));
  const rows = worstFirst(report.connections, worst);
  // A long capture's report keeps only its worst connections: count from the totals.
  const total = reportTotals(report).connections;
  const shown = rows.slice(0, shownCount(total, opts.top));
  if (total === 0) lines.push("No TCP connections.");
  else {
    lines.push("");
    if (shown.length > 0) {
      lines.push(connectionTable(shown, worst, c, width));
      const guessed = shown.some((x) => x.rolesGuessed)
        ? " A ? after the client: no SYN seen, the lower port was taken as the server."
        : "";
      lines.push(
        ...wrapWords(
          "wscale: shift offered in the SYN → shift applied to that side's windows (none: no option; ?: not seen). " +
            `Window: largest advertised, scaled. Flight: most bytes sent and not yet acknowledged.${guessed}`,
          prose,
        ).map((l) => c.dim(l)),
      );
    }
    if (shown.length < total) {
      const hint =
        `Showing the ${shown.length} worst of ${total} connections. --top N shows more; ` +
        "every connection is in an exported report: --format csv -o FILE (or json, ndjson, html).";
      lines.push(...wrapWords(hint, prose));
    }
  }
  if (report.findings.length > 0) {
    lines.push("", c.bold("Findings"));
    const conns = connectionsById(report);
    for (const g of groupFindings(report)) {
      for (const f of g.full) lines.push(...renderFinding(f, c, { width, connection: conns.get(f.connection) }));
      if (g.count > g.full.length) lines.push(...groupLine(g, c, prose));
    }
  } else if (total > 0) {
    lines.push("", "No findings: window scaling looks healthy on every connection.");
  }
  return `${lines.join("\n")}\n`;
}

interface Column {
  head: string[];
  /** Lines of each row's cell (per-endpoint columns: the client's line, then the server's). */
  cells: string[][];
  min: number;
  align?: "left" | "right";
}

/** The connections table, laid out to `width` columns: the verdict and address columns wrap first. */
function connectionTable(shown: ConnectionSummary[], worst: Map<string, Worst>, c: ChalkInstance, width: number) {
  const side = (f: (e: EndpointSummary) => string) => shown.map((x) => [f(x.client), f(x.server)]);
  const cols = {
    id: { head: ["id"], cells: shown.map((x) => [x.id]), min: 2 } as Column,
    ep: {
      head: ["client", "server"],
      cells: shown.map((x) => [hostPort(x.client) + (x.rolesGuessed ? "?" : ""), hostPort(x.server)]),
      min: 16,
    } as Column,
    ws: { head: ["wscale"], cells: side((e) => `${offeredText(e)}→${shiftText(e)}`), min: 6 } as Column,
    win: { head: ["window"], cells: side((e) => bytes(e.maxWindow)), min: 6, align: "right" } as Column,
    flight: { head: ["flight"], cells: side((e) => bytes(e.maxInFlight)), min: 6, align: "right" } as Column,
    rate: {
      head: ["RTT", "throughput", "/ ceiling"],
      cells: shown.map((x) => [ms(x.rttMs), rate(x.throughputBps), `/ ${rate(x.ceilingBps)}`]),
      min: 10,
    } as Column,
    verdict: {
      head: ["verdict"],
      cells: shown.map((x) => {
        const f = worst.get(x.id)?.finding;
        return f ? [f.id, `(${f.severity})`] : ["ok"];
      }),
      min: 9,
    } as Column,
  };
  const list = [cols.id, cols.ep, cols.ws, cols.win, cols.flight, cols.rate, cols.verdict];
  const natural = (col: Column) => Math.max(...col.head.map((h) => h.length), ...col.cells.flat().map((l) => l.length));
  const widths = new Map(list.map((col) => [col, natural(col)]));
  const total = () => [...widths.values()].reduce((a, b) => a + b, 0) + GAP.length * (list.length - 1);
  // Shrink what wraps gracefully: long (IPv6) addresses at colons, finding ids at hyphens, then any address.
  const idParts = shown.flatMap((x) => (worst.get(x.id)?.finding.id ?? "").split("-").map((p) => p.length + 1));
  const steps: [Column, number][] = [
    [cols.ep, 21],
    [cols.verdict, Math.max(cols.verdict.min, ...idParts)],
    [cols.ep, cols.ep.min],
  ];
  for (const [col, min] of steps) {
    const over = total() - width;
    if (over > 0) widths.set(col, Math.max(Math.min(min, widths.get(col)!), widths.get(col)! - over));
  }
  const wrapped = (col: Column, i: number) => wrapCell(col.cells[i]!, widths.get(col)!);
  const table = new Table({
    head: list.map((col) => col.head.join("\n")),
    colWidths: list.map((col) => widths.get(col)!),
    colAligns: list.map((col) => col.align ?? "left"),
    chars: CHARS,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
    wordWrap: false,
  });
  shown.forEach((x, i) => {
    // Client lines of every per-endpoint column line up with the client's address, server lines with the server's.
    const ep = [
      wrapCell([cols.ep.cells[i]![0]!], widths.get(cols.ep)!),
      wrapCell([cols.ep.cells[i]![1]!], widths.get(cols.ep)!),
    ];
    const perSide = [cols.ws, cols.win, cols.flight].map((col) => col.cells[i]!);
    const clientHeight = Math.max(ep[0]!.length, 1);
    const sideCell = (pair: string[]) => [pair[0]!, ...Array(clientHeight - 1).fill(""), pair[1]!];
    const f = worst.get(x.id)?.finding;
    const verdictLines = f
      ? [...wrapToken(f.id, widths.get(cols.verdict)!, "-"), `(${f.severity})`]
      : wrapped(cols.verdict, i);
    const paintVerdict = (l: string) => (f ? paint(c, f.severity, l) : c.green(l));
    const cells = [
      wrapped(cols.id, i),
      [...ep[0]!, ...ep[1]!],
      ...perSide.map(sideCell),
      wrapped(cols.rate, i),
      verdictLines.map(paintVerdict),
    ];
    const height = Math.max(...cells.map((cell) => cell.length));
    // A blank line after each row but the last keeps multi-line rows apart without borders.
    const last = i === shown.length - 1;
    table.push(
      cells.map((cell, k) =>
        k === cells.length - 1 && !last
          ? [...cell, ...Array(height + 1 - cell.length).fill("")].join("\n")
          : cell.join("\n"),
      ),
    );
  });
  const text = table
    .toString()
    .split("\n")
    .map((l) => l.trimEnd());
  const headHeight = Math.max(...list.map((col) => col.head.length));
  const rule = list.map((col) => "─".repeat(widths.get(col)!)).join(GAP);
  text.splice(headHeight, 0, c.dim(rule));
  return text.map((l, k) => (k < headHeight && c.level > 0 ? c.cyan(l) : l)).join("\n");
}

function groupLine(g: FindingGroup, c: ChalkInstance, width: number): string[] {
  const MAX_IDS = 12;
  const more = g.count - g.full.length;
  const ids = [...new Set(g.rest.map((f) => f.connection))].slice(0, MAX_IDS);
  const listedIds = new Set(ids);
  const unlisted = more - g.rest.filter((f) => listedIds.has(f.connection)).length;
  const listed = ids.join(", ") + (unlisted > 0 ? `, and ${unlisted} more` : "");
  const text =
    `... and ${plural(more, `more ${g.id} finding`)} (${g.severity}, as above) on ${listed}. ` +
    "All of them in full: --format json, md or html.";
  return wrapIndented(text, width, "  ", "    ").map((l) => paint(c, g.severity, l));
}

export interface FindingOptions {
  /** Width to wrap prose to (default 80). Commands are never wrapped: they are meant to be copied. */
  width?: number;
  /** The finding's connection, to name its endpoints. */
  connection?: ConnectionSummary;
}

/** One finding: a header line, the explanation, the evidence, and each piece of advice with its command. */
export function renderFinding(f: Finding, c: ChalkInstance, opts: FindingOptions = {}): string[] {
  const width = Math.min(Math.max(40, opts.width ?? DEFAULT_WIDTH), MAX_PROSE);
  const conn = opts.connection;
  const head = `${paint(c, f.severity, `[${f.severity}]`)} ${c.bold(f.id)} (${f.confidence}) on ${f.connection}`;
  const headLength = `[${f.severity}] ${f.id} (${f.confidence}) on ${f.connection}`.length;
  const out: string[] = [];
  if (!conn) out.push(head);
  else {
    // The endpoints on the same line when they fit, else on the next.
    const where = `${hostPort(conn.client)} -> ${hostPort(conn.server)}`;
    if (headLength + 1 + where.length <= width) out.push(`${head} ${where}`);
    else out.push(head, ...wrapIndented(where, width, "  "));
  }
  out.push(...wrapIndented(printable(f.message, true), width, "  "));
  for (const e of f.evidence) {
    const note = `frame ${e.frame}${e.input !== undefined ? ` (input ${e.input + 1})` : ""}: ${printable(e.note)}`;
    out.push(...wrapIndented(note, width, "    ", "      ").map((l) => c.dim(l)));
  }
  f.advice.forEach((advice, i) => {
    const a = { kind: advice.kind, command: printable(advice.command, true), why: printable(advice.why, true) };
    const head = `  ${c.cyan(`fix ${i + 1}`)} (${a.kind}):`;
    const headLen = `  fix ${i + 1} (${a.kind}): `.length;
    if (a.command.includes("\n")) {
      // A heredoc: printed flush left, so that it still works when copied (an indented EOF would not end it).
      out.push(head, ...a.command.split("\n"));
    } else if (a.kind === "path") {
      // Not a command but what to do on the path: prose, wrapped.
      const lines = wrapWords(a.command, width - headLen);
      out.push(`${head} ${lines[0]}`, ...lines.slice(1).map((l) => `${" ".repeat(headLen)}${l}`));
    } else if (headLen + a.command.length <= width) out.push(`${head} ${a.command}`);
    else out.push(head, `    ${a.command}`);
    out.push(...wrapIndented(a.why, width, "      ").map((l) => c.dim(l)));
  });
  return out;
}

/**
 * Control characters from a file name or a capture shown as escapes, so that they cannot move the
 * cursor or change colours on the terminal (line breaks kept only where asked).
 */
export function printable(text: string, keepNewlines = false): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) =>
    keepNewlines && ch === "\n" ? ch : `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

function paint(c: ChalkInstance, severity: Finding["severity"], text: string): string {
  return severity === "error" ? c.red(text) : severity === "warn" ? c.yellow(text) : c.blue(text);
}
