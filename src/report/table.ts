import type { ChalkInstance } from "chalk";
import type { AnalysisReport, InputSummary } from "../analysis/analyze.js";
import type { ConnectionSummary, EndpointSummary } from "../connections/summary.js";
import { catalogueEntry } from "../findings/catalogue.js";
import type { Advice, Finding } from "../findings/finding.js";
import { escapeControl } from "./escape.js";
import {
  connectionsById,
  type FindingGroup,
  groupFindings,
  hostPort,
  linkNames,
  plural,
  reportTotals,
  shownCount,
  summarySentence,
  type Worst,
  worstByConnection,
  worstFirst,
} from "./model.js";
import { type ReadAs, readAsByConnection } from "./read-as.js";
import { type GridColumn, renderGrid, wrapCell, wrapIndented, wrapWords } from "./text.js";
import { bytes, ceilingShort, ms, rateShort } from "./units.js";

export interface TableOptions {
  color: ChalkInstance;
  /** Show at most this many connections in the table (the worst first); default: all, or the worst 50 of more. */
  top?: number;
  /** Terminal width in columns (default 80). The table and the prose are laid out to fit it. */
  width?: number;
  /** Every fix of every finding; by default the first two of each (`--all-fixes`, `-v`). */
  allFixes?: boolean;
  /** Findings already printed in full (live mode): named by id only, as "(above)". */
  printedAbove?: (f: Finding) => boolean;
}

export const DEFAULT_WIDTH = 80;
/** Prose is not stretched wider than this on a wide terminal. */
const MAX_PROSE = 110;
/** Fixes shown per finding unless --all-fixes: the most targeted ones come first. */
export const FIXES_SHOWN = 2;

/**
 * The terminal report: inputs, a one-line summary (connections per verdict), a table of the worst
 * connections, findings with evidence and their first fixes (the same finding on many connections
 * is listed once more than a few times), and last the bottom line: what is wrong, how sure, the
 * first fix, so that it is what stays on the screen.
 */
export function renderTable(report: AnalysisReport, opts: TableOptions): string {
  const c = opts.color;
  const width = Math.max(40, opts.width ?? DEFAULT_WIDTH);
  const prose = Math.min(width, MAX_PROSE);
  const several = report.inputs.length > 1;
  const lines: string[] = [];
  report.inputs.forEach((input, i) => {
    lines.push(...inputLines(input, several ? inputLabel(i) : null, c, prose));
  });
  const worst = worstByConnection(report.findings);
  lines.push(...wrapWords(summarySentence(report, worst), prose).map((l) => c.bold(l)));
  const rows = worstFirst(report.connections, worst);
  // A long capture's report keeps only its worst connections: count from the totals.
  const total = reportTotals(report).connections;
  const shown = rows.slice(0, shownCount(total, opts.top));
  const readAs = readAsByConnection(report.findings);
  if (total === 0) lines.push("No TCP connections.");
  else {
    lines.push("");
    if (shown.length > 0) {
      const table = connectionTable(shown, worst, readAs, c, width, several);
      lines.push(...table.lines);
      lines.push(...wrapWords(legend(table.layout, shown, readAs.size > 0), prose).map((l) => c.dim(l)));
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
    const findingOpts = (f: Finding): FindingOptions => ({
      width,
      connection: conns.get(f.connection),
      allFixes: opts.allFixes,
      inputLabel: several ? (i) => inputLabel(i) : undefined,
      above: opts.printedAbove?.(f),
    });
    for (const g of groupFindings(report)) {
      for (const f of g.full) lines.push(...renderFinding(f, c, findingOpts(f)));
      if (g.count > g.full.length) lines.push(...groupLine(g, c, prose));
    }
  } else if (total > 0) {
    lines.push("", "No findings: window scaling looks healthy on every connection.");
  }
  if (total > 0) lines.push("", ...bottomLine(report, c, prose));
  return `${lines.join("\n")}\n`;
}

/** "#1", "#2": how several inputs are told apart in the table and the evidence. */
export function inputLabel(index: number): string {
  return `#${index + 1}`;
}

/** An input's line (format, link types, packets), what was skipped, and each of its warnings once. */
export function inputLines(input: InputSummary, label: string | null, c: ChalkInstance, width: number): string[] {
  const links = linkNames(input.linkTypes);
  const what = `${input.format}${input.gzip ? " (gzip)" : ""}${links ? `, ${links}` : ""}, ${plural(input.packets, "packet")}, ${input.tcpSegments} TCP`;
  const path = input.path === "-" ? "stdin" : printable(input.path);
  const name = label ? `${label} ${path}` : path;
  const out = wrapWords(`${name}: ${what}`, width).map((l, i) =>
    i === 0 && l.startsWith(name) ? c.bold(name) + l.slice(name.length) : l,
  );
  const skipped = Object.entries(input.skipped)
    .filter(([, n]) => n > 0)
    .map(([why, n]) => `${n} ${printable(why)}`);
  if (skipped.length > 0)
    out.push(
      ...wrapIndented(`skipped (no TCP segment): ${skipped.join(", ")}`, width, "  ", "    ").map((l) => c.dim(l)),
    );
  for (const w of input.warnings) {
    const at = w.offset >= 0 ? `byte ${w.offset}: ` : "";
    out.push(...wrapIndented(`warning: ${at}${printable(w.message)}`, width, "  ", "    ").map((l) => c.yellow(l)));
  }
  return out;
}

/** What one connection shows, as text, before it is laid out. */
interface RowText {
  file: string;
  id: string;
  client: string;
  server: string;
  ws: [string, string];
  win: [string, string];
  flight: [string, string];
  rtt: string;
  rate: string;
  verdict: string;
  finding: Finding | undefined;
}

export type TableLayout = "one-line" | "two-line";

/**
 * The connections table, one line per connection when the width allows (120 columns do for IPv4
 * and the common verdicts), else two (the client's values over the server's). Pairs read
 * client / server; the verdict is never broken. Gaps shrink to one space before anything wraps.
 */
function connectionTable(
  shown: ConnectionSummary[],
  worst: Map<string, Worst>,
  readAs: Map<string, ReadAs>,
  c: ChalkInstance,
  width: number,
  several: boolean,
): { lines: string[]; layout: TableLayout } {
  const rows: RowText[] = shown.map((x) => {
    const ra = readAs.get(x.id) ?? {};
    return {
      file: inputLabel(x.input ?? 0),
      id: x.id,
      client: hostPort(x.client) + (x.rolesGuessed ? "?" : ""),
      server: hostPort(x.server),
      ws: [wscaleText(x.client, ra.client), wscaleText(x.server, ra.server)],
      win: [bytes(x.client.maxWindow), bytes(x.server.maxWindow)],
      flight: [bytes(x.client.maxInFlight), bytes(x.server.maxInFlight)],
      rtt: ms(x.rttMs),
      rate: `${rateShort(x.throughputBps)} / ${ceilingShort(x.ceilingBps, x.throughputBps)}`,
      verdict: worst.get(x.id)?.finding.id ?? "ok",
      finding: worst.get(x.id)?.finding,
    };
  });
  const paintVerdict = (l: string, r: number) => {
    const f = rows[r]!.finding;
    return f ? paint(c, f.severity, l) : c.green(l);
  };
  // The roomiest layout that fits: one line with " / " between a pair, then "/", then gaps of one
  // space where columns stay apart anyway (after the id first); then two lines the same way.
  const attempts: (() => Grid)[] = [() => oneLine(rows, several, " / ", gapsOf(several, 0), paintVerdict)];
  for (let k = 0; k <= ONE_LINE_GAP_ORDER.length; k++)
    attempts.push(() => oneLine(rows, several, "/", gapsOf(several, k), paintVerdict));
  for (let k = 0; k <= TWO_LINE_GAP_ORDER.length; k++)
    attempts.push(() => twoLine(rows, several, gapsOf(several, k, TWO_LINE_GAP_ORDER), paintVerdict, null));
  let grid = attempts[0]!();
  for (const attempt of attempts) {
    grid = attempt();
    if (grid.width <= width) break;
  }
  if (grid.width > width) {
    // Still too wide (long IPv6 addresses on a narrow terminal): wrap the addresses.
    const fixed = grid.width - grid.widths[several ? 2 : 1]!;
    const gaps = gapsOf(several, TWO_LINE_GAP_ORDER.length, TWO_LINE_GAP_ORDER);
    grid = twoLine(rows, several, gaps, paintVerdict, Math.max(16, width - fixed));
    // Then "· read as N" under the shift it qualifies.
    if (grid.width > width) grid = twoLine(rows, several, gaps, paintVerdict, Math.max(16, width - fixed), true);
  }
  const rule = c.dim(grid.rule);
  const body = grid.layout === "two-line" ? grid.body.flatMap((r, i) => (i > 0 ? ["", ...r] : r)) : grid.body.flat();
  return { lines: [...grid.head.map((h) => (c.level > 0 ? c.cyan(h) : h)), rule, ...body], layout: grid.layout };
}

type Grid = ReturnType<typeof renderGrid> & { layout: TableLayout };

/**
 * Gaps (after each column, without the file column) narrowed to one space in this order: after
 * the id, between the numbers (right-aligned, so still apart), then the rest.
 */
const ONE_LINE_GAP_ORDER = [0, 5, 6, 4, 3, 7, 2, 1];
const TWO_LINE_GAP_ORDER = [0, 3, 4, 2, 1];

function gapsOf(several: boolean, narrowed: number, order = ONE_LINE_GAP_ORDER): number[] {
  const gaps = Array(order.length + 1).fill(2);
  for (const k of order.slice(0, narrowed)) gaps[k] = 1;
  return several ? [1, ...gaps] : gaps;
}

function oneLine(
  rows: RowText[],
  several: boolean,
  sep: string,
  gaps: number[],
  paintVerdict: (l: string, r: number) => string,
): Grid {
  const pair = (p: [string, string][], align: "left" | "right") => {
    const a = Math.max(...p.map((x) => x[0].length));
    const b = Math.max(...p.map((x) => x[1].length));
    return p.map(([x, y]) =>
      align === "right" ? `${x.padStart(a)}${sep}${y.padStart(b)}` : `${x.padEnd(a)}${sep}${y}`.trimEnd(),
    );
  };
  // A shift pair keeps its spaces: "10 · read as 0/10" would read as "0/10".
  const ws = rows
    .map((r) => r.ws)
    .map(([x, y], _, all) => `${x.padEnd(Math.max(...all.map((p) => p[0].length)))} / ${y}`.trimEnd());
  const win = pair(
    rows.map((r) => r.win),
    "right",
  );
  const flight = pair(
    rows.map((r) => r.flight),
    "right",
  );
  const columns: GridColumn[] = [
    ...(several ? [{ head: ["in"] }] : []),
    { head: ["id"] },
    { head: ["client"] },
    { head: ["server"] },
    { head: ["wscale"] },
    { head: ["window"], align: "right" },
    { head: ["flight"], align: "right" },
    { head: ["RTT"], align: "right" },
    { head: ["bit/s"], align: "right" },
    { head: ["verdict"], paint: paintVerdict },
  ];
  const cells = rows.map((r, i) => [
    ...(several ? [[r.file]] : []),
    [r.id],
    [r.client],
    [r.server],
    [ws[i]!],
    [win[i]!],
    [flight[i]!],
    [r.rtt],
    [r.rate],
    [r.verdict],
  ]);
  return { ...renderGrid(columns, cells, gaps), layout: "one-line" };
}

/** Two lines per connection: the client's address and values, then the server's; RTT and rates under the verdict. */
function twoLine(
  rows: RowText[],
  several: boolean,
  gaps: number[],
  paintVerdict: (l: string, r: number) => string,
  addressWidth: number | null,
  splitReadAs = false,
): Grid {
  const addr = (a: string) => (addressWidth === null ? [a] : wrapCell([a], addressWidth));
  const shift = (w: string) => (splitReadAs ? w.replace(" · read as ", "\n· read as ").split("\n") : [w]);
  const columns: GridColumn[] = [
    ...(several ? [{ head: ["in"] }] : []),
    { head: ["id"] },
    { head: ["client", "server"] },
    { head: ["wscale"] },
    { head: ["window"], align: "right" },
    { head: ["flight"], align: "right" },
    {
      head: ["verdict", "RTT · bit/s"],
      paint: (l, r) => (l === rows[r]!.verdict ? paintVerdict(l, r) : l),
    },
  ];
  const cells = rows.map((r) => {
    const client = addr(r.client);
    const server = addr(r.server);
    // Each side's values on the line where its address starts.
    const side = (p: [string, string]) => [p[0], ...Array(client.length - 1).fill(""), p[1]];
    return [
      ...(several ? [[r.file]] : []),
      [r.id],
      [...client, ...server],
      // Only the server's (last) line may take a line more: the client's values stay level with its address.
      [...side(r.ws).slice(0, -1), ...shift(r.ws[1])],
      side(r.win),
      side(r.flight),
      [r.verdict, ...Array(client.length - 1).fill(""), `${r.rtt} · ${r.rate}`],
    ];
  });
  return { ...renderGrid(columns, cells, gaps), layout: "two-line" };
}

/**
 * A side's window-scale cell: the shift it offered ("none": no option, "?": not seen), then the
 * shift applied to its windows only where that differs (scaling off: "10→0"; above 14: "15→14";
 * a finding proved another than the capture shows: "none→10"), then the shift its peer really
 * reads its windows with, where a finding proved it ("10 · read as 0").
 */
export function wscaleText(e: EndpointSummary, ra: ReadAs["client"] | undefined): string {
  const o = e.wscaleOffered;
  const applied = ra?.applied ?? e.shift;
  let text: string;
  if (o === null) text = applied === null || applied === 0 ? "none" : `none→${applied}`;
  else if (o === "unknown") text = applied === null ? "?" : `?→${applied}`;
  else text = applied === o ? String(o) : `${o}→${applied ?? "?"}`;
  return ra === undefined ? text : `${text} · read as ${ra.readWith}`;
}

function legend(layout: TableLayout, shown: ConnectionSummary[], anyReadAs: boolean): string {
  const pairs = layout === "one-line" ? " Pairs are client / server." : "";
  const readAs = anyReadAs ? " read as N: its peer reads that side's windows with shift N (see the finding)." : "";
  const guessed = shown.some((x) => x.rolesGuessed)
    ? " A ? after the client: no SYN seen, the lower port was taken as the server."
    : "";
  return (
    `wscale: the shift offered in each SYN (none: no option; ?: not seen; →N: the shift applied, where it differs).${readAs}` +
    ` Window: largest advertised, scaled. Flight: most bytes unacknowledged.${pairs}` +
    ` bit/s: throughput / ceiling (window / RTT).${guessed}`
  );
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
  /** Every fix; by default the first two and a line saying how many more. */
  allFixes?: boolean;
  /** With several inputs: how to name input i in the evidence ("#2"). */
  inputLabel?: (index: number) => string;
  /** Printed in full before (live mode's final report): the header line only, marked "(above)". */
  above?: boolean;
}

/** One finding: a header line, the explanation, the evidence, and its first fixes with their commands. */
export function renderFinding(f: Finding, c: ChalkInstance, opts: FindingOptions = {}): string[] {
  const width = Math.min(Math.max(40, opts.width ?? DEFAULT_WIDTH), MAX_PROSE);
  const conn = opts.connection;
  const head = `${paint(c, f.severity, `[${f.severity}]`)} ${c.bold(f.id)} (${f.confidence}) on ${f.connection}`;
  const headLength = `[${f.severity}] ${f.id} (${f.confidence}) on ${f.connection}`.length;
  const out: string[] = [];
  const above = opts.above ? c.dim(" (above)") : "";
  const aboveLength = opts.above ? " (above)".length : 0;
  if (!conn) out.push(head + above);
  else {
    // The endpoints on the same line when they fit, else on the next.
    const where = `${hostPort(conn.client)} -> ${hostPort(conn.server)}`;
    if (headLength + 1 + where.length + aboveLength <= width) out.push(`${head} ${where}${above}`);
    else out.push(head, ...wrapIndented(where, width, "  ").map((l, i, all) => (i === all.length - 1 ? l + above : l)));
  }
  if (opts.above) return out;
  out.push(...wrapIndented(printable(f.message, true), width, "  "));
  for (const e of f.evidence) {
    const input = e.input ?? conn?.input ?? 0;
    const where = opts.inputLabel && input !== undefined ? `${opts.inputLabel(input)} ` : "";
    const note = `${where}frame ${e.frame}: ${printable(e.note)}`;
    out.push(...wrapIndented(note, width, "    ", "      ").map((l) => c.dim(l)));
  }
  const shown = opts.allFixes ? f.advice : f.advice.slice(0, FIXES_SHOWN);
  shown.forEach((advice, i) => {
    out.push(...fixLines(advice, i, c, width));
  });
  const more = f.advice.length - shown.length;
  if (more > 0) {
    const kinds = [...new Set(f.advice.slice(shown.length).map((a) => a.kind))].join(", ");
    out.push(c.dim(`  ${plural(more, "more fix", "more fixes")} (${kinds}): --all-fixes (-v)`));
  }
  return out;
}

function fixLines(advice: Advice, i: number, c: ChalkInstance, width: number): string[] {
  const out: string[] = [];
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
  return out;
}

/**
 * The last lines of the report: the worst problem (what it is, on how many connections, how
 * sure), its first fix, and what else was found; or that nothing is wrong.
 */
export function bottomLine(report: AnalysisReport, c: ChalkInstance, width: number): string[] {
  // Exact counts, also for a digest of a long capture (which keeps only some connections and findings).
  const totals = reportTotals(report);
  const problems = groupFindings(report, Number.POSITIVE_INFINITY).filter((g) => g.severity !== "info");
  const total = totals.connections;
  if (problems.length === 0) {
    const notes = totals.findings.info;
    const info = notes > 0 ? ` (${plural(notes, "note")}, info only)` : "";
    return wrapWords(
      `Bottom line: no window-scaling problem found on ${plural(total, "connection")}${info}.`,
      width,
    ).map((l) => c.bold(c.green(l)));
  }
  // The worst severity first; among equals, the one on the most connections.
  const connectionsOf = (g: (typeof problems)[number]) =>
    report.totals ? g.count : new Set(g.full.map((f) => f.connection)).size;
  const top = [...problems].sort((a, b) =>
    a.severity === b.severity ? connectionsOf(b) - connectionsOf(a) : a.severity === "error" ? -1 : 1,
  )[0]!;
  const first = top.full[0]!;
  const confidences = [...new Set(top.full.map((f) => f.confidence))].join(" or ");
  const summary = catalogueEntry(top.id)?.summary;
  const n = connectionsOf(top);
  const where = n === 1 ? first.connection : n === total ? `all ${n} connections` : `${n} of ${total} connections`;
  const what = summary ? ` ${summary.charAt(0).toUpperCase()}${summary.slice(1)}.` : "";
  const out = wrapWords(`Bottom line: ${top.id} (${top.severity}, ${confidences}) on ${where}.${what}`, width).map(
    (l) => c.bold(paint(c, top.severity, l)),
  );
  const fix = first.advice[0];
  if (fix) {
    const cmd = printable(fix.command, true);
    const label = `First fix (${fix.kind}, ${first.connection}):`;
    if (cmd.includes("\n")) out.push(`${label} fix 1 of ${first.id} on ${first.connection} above.`);
    else if (fix.kind === "path") out.push(...wrapIndented(`${label} ${cmd}`, width, ""));
    else out.push(label, `    ${cmd}`);
  }
  const others = problems.filter((g) => g !== top);
  if (others.length > 0) {
    const list = others.map((g) => `${g.id} (${g.severity}) on ${plural(connectionsOf(g), "connection")}`);
    out.push(...wrapWords(`Also: ${list.join(", ")}.`, width));
  }
  return out;
}

/**
 * Control characters from a file name or a capture shown as escapes, so that they cannot move the
 * cursor or change colours on the terminal (line breaks kept only where asked).
 */
export const printable = escapeControl;

export function paint(c: ChalkInstance, severity: Finding["severity"], text: string): string {
  return severity === "error" ? c.red(text) : severity === "warn" ? c.yellow(text) : c.blue(text);
}
