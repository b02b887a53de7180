/**
 * The HTML report: one self-contained file that needs nothing at view time (inline CSS, inline
 * SVG, no script, no font or image to fetch; a Content-Security-Policy forbids any). Summary and
 * inputs, findings with evidence and advice, the connections table, and per connection (the worst
 * ones when there are many) its facts and a chart of windows and bytes in flight over time. Every
 * string from the capture or the command line is escaped.
 */
import type { AnalysisReport } from "../analysis/analyze.js";
import type { ConnectionSummary, EndpointSummary, Timeline } from "../connections/summary.js";
import type { Finding, Severity } from "../findings/finding.js";
import { escapeXml as esc, renderChartSvg, renderSequenceSvg, type ShiftPair } from "./chart-svg.js";
import { escapeControl } from "./escape.js";
import {
  connectionsById,
  findingsByConnection,
  groupFindings,
  hostPort,
  linkNames,
  offeredText,
  plural,
  reportTotals,
  shiftText,
  shownCount,
  type Worst,
  worstByConnection,
  worstFirst,
} from "./model.js";
import { type ReadAs, readAsByConnection } from "./read-as.js";
import { FIXES_SHOWN } from "./table.js";
import { bytes, ceiling, ms, rate } from "./units.js";

export interface HtmlOptions {
  /** Connections shown in detail with a chart: all, or by default the worst 50 when there are more. */
  top?: number;
}

const CSS = `
:root { color-scheme: light; --fg: #202124; --muted: #5f6368; --line: #dadce0; --bg-soft: #f6f8fa;
  --error: #b3261e; --warn: #9a6700; --info: #1a5fb4; --ok: #1e7b34; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 0 0 8px; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
pre { background: var(--bg-soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow-x: auto; margin: 6px 0 12px; white-space: pre; }
p { margin: 6px 0 10px; }
a { color: #1a5fb4; }
.lead { font-size: 17px; margin: 8px 0 14px; }
.muted { color: var(--muted); }
.chips { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0 4px; padding: 0; list-style: none; }
.chip { border: 1px solid var(--line); border-radius: 999px; padding: 2px 12px; background: #fff; white-space: nowrap; }
.badge { display: inline-block; border-radius: 4px; padding: 0 7px; font-size: 12px; font-weight: 600; color: #fff; vertical-align: 1px; text-transform: uppercase; letter-spacing: .03em; }
.sev-error { background: var(--error); } .sev-warn { background: var(--warn); } .sev-info { background: var(--info); } .sev-ok { background: var(--ok); }
.t-error { color: var(--error); } .t-warn { color: var(--warn); } .t-info { color: var(--info); } .t-ok { color: var(--ok); }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-size: 14px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.addr { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; overflow-wrap: anywhere; min-width: 14ch; }
table.conns td { white-space: nowrap; } table.conns td.addr { white-space: normal; }
table.sides { width: auto; min-width: 60%; font-size: 14px; margin: 6px 0 14px; }
table.sides td:first-child { color: var(--muted); padding-right: 28px; }
p.facts { margin: 4px 0 8px; }
tbody tr:nth-child(even) { background: #fbfcfd; }
.table-wrap { overflow-x: auto; }
.finding { border: 1px solid var(--line); border-left: 5px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 14px 0; }
.finding.error { border-left-color: var(--error); } .finding.warn { border-left-color: var(--warn); } .finding.info { border-left-color: var(--info); }
.finding h3 code { font-size: 16px; }
.finding ol.advice { padding-left: 22px; margin: 6px 0; }
.finding ol.advice li { margin: 8px 0; }
.kind { font-weight: 600; }
ul.evidence { margin: 4px 0 10px; padding-left: 20px; }
ul.evidence li { margin: 2px 0; }
.conn { border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin: 18px 0; }
.conn h3 .mono { font-size: 15px; font-weight: 600; overflow-wrap: anywhere; }
figure { margin: 8px 0 0; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
ul.marks { margin: 4px 0 0; padding-left: 20px; font-size: 13px; color: var(--muted); }
.note { background: var(--bg-soft); border: 1px dashed var(--line); border-radius: 6px; padding: 10px 14px; color: var(--muted); }
details { margin: 10px 0; } summary { cursor: pointer; }
nav.toc { font-size: 14px; color: var(--muted); margin-top: 8px; }
footer { margin-top: 40px; font-size: 13px; color: var(--muted); }
.chart-narrow { display: none; }
figure.seq { margin-top: 18px; }
/* A phone: charts drawn for the width (text stays ~11 px), tables as cards, commands wrap. */
@media (max-width: 640px) {
  body { font-size: 14px; }
  main { padding: 14px 12px 32px; }
  h1 { font-size: 22px; } h2 { font-size: 18px; }
  .chart-wide { display: none; } .chart-narrow { display: block; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; }
  .chip { white-space: normal; }
  .finding, .conn { padding: 10px 10px; }
  table.cards thead { display: none; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards tr { border-bottom: 2px solid var(--line); padding: 4px 0; }
  table.cards td { border: 0; padding: 2px 4px; text-align: left; white-space: normal; }
  table.cards td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); }
  table.sides { min-width: 0; width: 100%; }
  table.sides td:first-child { padding-right: 8px; }
  table.sides th .mono { display: none; }
  code { overflow-wrap: anywhere; }
}
`;

/** Escaped text in which `balanced backtick spans` (the analysis marks commands and options so) become <code>. */
export function escText(text: string): string {
  const parts = text.split("`");
  if (parts.length % 2 === 0) return esc(text);
  return parts.map((p, i) => (i % 2 === 1 ? `<code>${esc(p)}</code>` : esc(p))).join("");
}

export function renderHtml(report: AnalysisReport, opts: HtmlOptions = {}): string {
  const worst = worstByConnection(report.findings);
  const rows = worstFirst(report.connections, worst);
  // A long capture's report keeps only its worst connections: count from the totals.
  const total = reportTotals(report).connections;
  const detailed = rows.slice(0, shownCount(total, opts.top));
  const detailedIds = new Set(detailed.map((c) => c.id));
  const conns = connectionsById(report);
  const byConn = findingsByConnection(report.findings);
  const readAs = readAsByConnection(report.findings);
  const names = report.inputs.map((i) => escapeControl(i.path.split("/").pop() || i.path)).join(", ");
  const out: string[] = [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="wscale">',
    `<title>${esc(`wscale report: ${names}`)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    "<main>",
    '<header id="summary">',
    "<h1>wscale report</h1>",
    `<p class="lead">${summaryHtml(report)}</p>`,
    verdictChips(report),
    `<nav class="toc">Jump to <a href="#findings">findings</a> · <a href="#connections">connections</a>${detailed.length > 0 ? ' · <a href="#charts">charts over time</a>' : ""}</nav>`,
    "</header>",
    ...inputsSection(report),
    ...findingsSection(report, conns, detailedIds),
    ...connectionsSection(rows, total, worst, detailedIds, readAs),
    ...detailSection(detailed, total, rows.length, worst, byConn, readAs),
    "<footer>Generated by wscale. Windows and byte counts are in bytes (KiB = 1024 bytes); rates in bits per second. ",
    "The window each side advertised is shown scaled by the shift it applies (raw window &lt;&lt; shift); where a finding proved that its peer reads it with another shift, that reading is drawn too.</footer>",
    "</main>",
    "</body>",
    "</html>",
  ];
  return `${out.join("\n")}\n`;
}

function summaryHtml(report: AnalysisReport): string {
  const totals = reportTotals(report);
  const counts = totals.findings;
  const sev = (["error", "warn", "info"] as const)
    .filter((s) => counts[s] > 0)
    .map((s) => `<span class="t-${s}">${counts[s]} ${s}</span>`);
  const bad = totals.verdicts.filter((v) => v.severity === "error" || v.severity === "warn");
  const headline =
    totals.connections === 0
      ? "No TCP connections in the input."
      : bad.length === 0
        ? "Window scaling looks healthy: no finding of severity warn or error."
        : `Problems found: ${bad.map((v) => `<code>${esc(v.verdict)}</code> on ${plural(v.connections, "connection")}`).join(", ")}.`;
  return `<strong>${headline}</strong> ${plural(totals.connections, "connection")}, ${plural(counts.error + counts.warn + counts.info, "finding")}${sev.length > 0 ? ` (${sev.join(", ")})` : ""}.`;
}

function verdictChips(report: AnalysisReport): string {
  const chips = reportTotals(report).verdicts.map(
    (v) =>
      `<li class="chip"><span class="badge sev-${v.severity ?? "ok"}">${v.severity ?? "ok"}</span> <code>${esc(v.verdict)}</code>: ${plural(v.connections, "connection")}</li>`,
  );
  return chips.length > 0 ? `<ul class="chips" aria-label="connections per verdict">${chips.join("")}</ul>` : "";
}

function inputsSection(report: AnalysisReport): string[] {
  const out = [
    '<section id="inputs">',
    "<h2>Inputs</h2>",
    '<div class="table-wrap"><table class="cards">',
    '<thead><tr><th>file</th><th>format</th><th>link types</th><th class="num">packets</th><th class="num">TCP segments</th><th>skipped (no TCP segment)</th></tr></thead>',
    "<tbody>",
  ];
  for (const i of report.inputs) {
    const skipped = Object.entries(i.skipped)
      .filter(([, n]) => n > 0)
      .map(([why, n]) => `${n} ${why}`)
      .join(", ");
    out.push(
      `<tr><td class="addr">${esc(i.path === "-" ? "stdin" : escapeControl(i.path))}</td><td data-label="format">${esc(i.format)}${i.gzip ? " (gzip)" : ""}</td><td data-label="link types">${esc(linkNames(i.linkTypes) || "-")}</td><td class="num" data-label="packets">${i.packets}</td><td class="num" data-label="TCP segments">${i.tcpSegments}</td><td data-label="skipped">${esc(skipped || "none")}</td></tr>`,
    );
  }
  out.push("</tbody></table></div>");
  const warnings = report.inputs.flatMap((i) =>
    i.warnings.map((w) => ({ ...w, path: escapeControl(i.path), message: escapeControl(w.message) })),
  );
  if (warnings.length > 0) {
    out.push("<ul>");
    for (const w of warnings)
      out.push(
        `<li class="t-warn">warning: <span class="mono">${esc(w.path)}</span>: ${w.offset >= 0 ? `byte ${w.offset}: ` : ""}${esc(w.message)}</li>`,
      );
    out.push("</ul>");
  }
  out.push("</section>");
  return out;
}

function connLink(id: string, detailed: Set<string>): string {
  return detailed.has(id) ? `<a href="#${anchor(id)}">${esc(id)}</a>` : esc(id);
}

function anchor(id: string): string {
  return `conn-${id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

function badge(severity: Severity | "ok"): string {
  return `<span class="badge sev-${severity}">${severity}</span>`;
}

function findingsSection(
  report: AnalysisReport,
  conns: Map<string, ConnectionSummary>,
  detailed: Set<string>,
): string[] {
  const out = ['<section id="findings">', "<h2>Findings</h2>"];
  if (report.findings.length === 0) out.push("<p>No findings.</p>");
  for (const g of groupFindings(report)) {
    for (const f of g.full) out.push(findingArticle(f, conns.get(f.connection), detailed));
    const more = g.count - g.full.length;
    if (more > 0) {
      const unlisted = more - g.rest.length;
      out.push(
        `<details><summary>${plural(more, `more <code>${esc(g.id)}</code> finding`)} (${g.severity}) on other connections</summary>`,
        '<div class="table-wrap"><table><thead><tr><th>connection</th><th>confidence</th><th>message</th></tr></thead><tbody>',
        ...g.rest.map(
          (f) =>
            `<tr><td>${connLink(f.connection, detailed)}</td><td>${esc(f.confidence)}</td><td>${escText(f.message)}</td></tr>`,
        ),
        unlisted > 0
          ? `<tr><td colspan="3">… and ${unlisted} more (every one: <code>--format json</code>)</td></tr>`
          : "",
        "</tbody></table></div></details>",
      );
    }
  }
  out.push("</section>");
  return out;
}

function findingArticle(f: Finding, conn: ConnectionSummary | undefined, detailed: Set<string>): string {
  const where = conn ? ` <span class="mono">${esc(hostPort(conn.client))} → ${esc(hostPort(conn.server))}</span>` : "";
  const out = [
    `<article class="finding ${f.severity}">`,
    `<h3>${badge(f.severity)} <code>${esc(f.id)}</code> <span class="muted">(${esc(f.confidence)})</span> on ${connLink(f.connection, detailed)}${where}</h3>`,
    `<p>${escText(f.message)}</p>`,
  ];
  if (f.evidence.length > 0) {
    out.push('<p class="muted">Evidence:</p><ul class="evidence">');
    for (const e of f.evidence)
      out.push(
        `<li><span class="mono">frame ${e.frame}${e.input !== undefined ? ` (input ${e.input + 1})` : ""}</span>: ${escText(e.note)}</li>`,
      );
    out.push("</ul>");
  }
  if (f.advice.length > 0) {
    const item = (a: Finding["advice"][number]) =>
      a.kind === "path"
        ? `<li><span class="kind">${esc(a.kind)}</span>: ${escText(a.command)} — <span class="muted">${escText(a.why)}</span></li>`
        : `<li><span class="kind">${esc(a.kind)}</span>: <span class="muted">${escText(a.why)}</span><pre><code>${esc(a.command)}</code></pre></li>`;
    out.push('<p class="muted">Advice, the most targeted first:</p><ol class="advice">');
    out.push(...f.advice.slice(0, FIXES_SHOWN).map(item), "</ol>");
    if (f.advice.length > FIXES_SHOWN)
      out.push(
        `<details><summary>${plural(f.advice.length - FIXES_SHOWN, "more fix", "more fixes")}, blunter</summary><ol class="advice" start="${FIXES_SHOWN + 1}">`,
        ...f.advice.slice(FIXES_SHOWN).map(item),
        "</ol></details>",
      );
  }
  out.push("</article>");
  return out.join("\n");
}

/** Two lines in one cell: the client's value over the server's. */
function sides(c: ConnectionSummary, f: (e: EndpointSummary) => string): string {
  return `${esc(f(c.client))}<br>${esc(f(c.server))}`;
}

/** The shift each side applies, and the one its peer reads its windows with where a finding proved another. */
function shiftCell(c: ConnectionSummary, ra: ReadAs | undefined): string {
  const one = (e: EndpointSummary, m: ReadAs["client"]) =>
    m === undefined
      ? esc(shiftText(e))
      : `${esc(m.applied === null ? shiftText(e) : String(m.applied))} <strong class="t-error">read as ${m.readWith}</strong>`;
  return `${one(c.client, ra?.client)}<br>${one(c.server, ra?.server)}`;
}

function connectionsSection(
  rows: ConnectionSummary[],
  total: number,
  worst: Map<string, Worst>,
  detailed: Set<string>,
  readAs: Map<string, ReadAs>,
): string[] {
  const out = ['<section id="connections">', "<h2>Connections</h2>"];
  if (total === 0) {
    out.push("<p>No TCP connections.</p></section>");
    return out;
  }
  if (rows.length < total)
    out.push(
      `<p class="note">The ${rows.length} worst of ${total} connections; every connection is in <code>--format csv</code> or <code>json</code>.</p>`,
    );
  out.push(
    '<div class="table-wrap"><table class="conns cards">',
    "<thead><tr><th>id</th><th>client<br>server</th><th>wscale<br>offered</th><th>shift<br>applied</th>" +
      '<th class="num">max<br>window</th><th class="num">max in<br>flight</th><th class="num">RTT</th>' +
      '<th class="num">throughput<br>/ ceiling</th><th>verdict</th></tr></thead>',
    "<tbody>",
  );
  for (const c of rows) {
    const f = worst.get(c.id)?.finding;
    out.push(
      `<tr><td>${connLink(c.id, detailed)}</td><td class="addr">${esc(hostPort(c.client))}${c.rolesGuessed ? " (guessed)" : ""}<br>${esc(hostPort(c.server))}</td>` +
        `<td data-label="wscale offered">${sides(c, offeredText)}</td><td data-label="shift applied">${shiftCell(c, readAs.get(c.id))}</td>` +
        `<td class="num" data-label="max window">${sides(c, (e) => bytes(e.maxWindow))}</td><td class="num" data-label="max in flight">${sides(c, (e) => bytes(e.maxInFlight))}</td>` +
        `<td class="num" data-label="RTT">${ms(c.rttMs)}</td><td class="num" data-label="throughput / ceiling">${rate(c.throughputBps)}<br>/ ${ceiling(c.ceilingBps, c.throughputBps)}</td>` +
        `<td data-label="verdict">${f ? `${badge(f.severity)} <code>${esc(f.id)}</code>` : badge("ok")}</td></tr>`,
    );
  }
  out.push(
    "</tbody></table></div>",
    `<p class="muted">Each cell holds the client's value over the server's. wscale offered: the shift in that side's SYN (none: no window-scale option; ?: not seen, or cut by the snapshot length). Shift applied: what scales the windows that side advertises${rows.some((c) => readAs.has(c.id)) ? "; read as N: its peer reads them with shift N, as a finding proved" : ""}. Max window: the largest it advertised, scaled. Max in flight: the most bytes it had sent and not yet seen acknowledged.</p>`,
    "</section>",
  );
  return out;
}

function detailSection(
  detailed: ConnectionSummary[],
  total: number,
  listed: number,
  worst: Map<string, Worst>,
  byConn: Map<string, Finding[]>,
  readAs: Map<string, ReadAs>,
): string[] {
  if (detailed.length === 0) return [];
  const out = ['<section id="charts">', "<h2>Windows and bytes in flight over time</h2>"];
  if (detailed.length < total)
    out.push(
      `<p class="note">Charts for the ${detailed.length} worst of ${total} connections; ${listed === total ? "every connection is in the table above" : "every connection is in --format csv or json"}.</p>`,
    );
  for (const c of detailed)
    out.push(connectionArticle(c, worst.get(c.id)?.finding, byConn.get(c.id) ?? [], readAs.get(c.id)));
  out.push("</section>");
  return out;
}

function connectionArticle(
  c: ConnectionSummary,
  worst: Finding | undefined,
  findings: Finding[],
  readAs: ReadAs | undefined,
): string {
  const verdict = worst ? `${badge(worst.severity)} <code>${esc(worst.id)}</code>` : badge("ok");
  const zero = (e: EndpointSummary) =>
    e.zeroWindows.advertisements === 0
      ? "none"
      : `${plural(e.zeroWindows.episodes, "episode")}, ${Number(e.zeroWindows.seconds.toFixed(3))} s`;
  const rawWin = (e: EndpointSummary) => (e.maxWindowRaw === null ? "?" : String(e.maxWindowRaw));
  const sideRows: [string, (e: EndpointSummary) => string][] = [
    ["wscale offered in its SYN", offeredText],
    ["shift applied to its windows", shiftText],
    ["max window advertised (raw)", (e) => `${bytes(e.maxWindow)} (${rawWin(e)})`],
    ["max bytes in flight", (e) => bytes(e.maxInFlight)],
    ["data sent", (e) => bytes(e.dataBytes)],
    ["retransmissions", (e) => String(e.retransmissions)],
    ["zero windows advertised", zero],
  ];
  const facts = [
    `handshake ${esc(c.handshake)}`,
    `scaling ${esc(c.scaling)}`,
    `RTT ${ms(c.rttMs)} (handshake ${ms(c.handshakeRttMs)})`,
    `lasted ${c.durationS === null ? "?" : `${Number(c.durationS.toFixed(3))} s`}`,
    `throughput ${rate(c.throughputBps)} of a ${ceiling(c.ceilingBps, c.throughputBps)} ceiling (window / RTT)`,
  ];
  const out = [
    `<article class="conn" id="${anchor(c.id)}">`,
    `<h3>${esc(c.id)} <span class="mono">${esc(hostPort(c.client))}${c.rolesGuessed ? " (guessed)" : ""} → ${esc(hostPort(c.server))}</span> ${verdict}</h3>`,
    `<p class="facts">${facts.join(" · ")}</p>`,
    '<table class="sides"><thead><tr><th></th>' +
      `<th class="num">client <span class="mono">${esc(hostPort(c.client))}</span></th>` +
      `<th class="num">server <span class="mono">${esc(hostPort(c.server))}</span></th></tr></thead><tbody>`,
    ...sideRows.map(
      ([name, f]) =>
        `<tr><td>${esc(name)}</td><td class="num">${esc(f(c.client))}</td><td class="num">${esc(f(c.server))}</td></tr>`,
    ),
    "</tbody></table>",
  ];
  if (c.timeline) out.push(chartFigure(c, c.timeline, readAs), ...sequenceFigures(c, c.timeline, readAs));
  else
    out.push(
      '<p class="note">No timeline was recorded for this connection, so there is no chart: the analysis ran without recording windows and bytes in flight over time.</p>',
    );
  if (findings.length > 0)
    out.push(
      `<p>Findings on this connection: ${findings.map((f) => `${badge(f.severity)} <code>${esc(f.id)}</code>`).join(", ")} (see <a href="#findings">Findings</a>).</p>`,
    );
  out.push("</article>");
  return out.join("\n");
}

const MAX_MARKS_LISTED = 12;

/** Chart widths: the page's, and a phone's (CSS shows one of the two). */
const WIDE = 960;
const NARROW = 380;

/** The same SVG drawn for a wide page and for a phone; CSS shows the one that fits. */
function bothWidths(draw: (width: number, suffix: string) => string): string {
  return `<div class="chart-wide">${draw(WIDE, "")}</div>\n<div class="chart-narrow">${draw(NARROW, "-n")}</div>`;
}

/** For the chart: the shift its window series are drawn with, the one each side applies, and the one its peer reads. */
function shiftPairs(c: ConnectionSummary, ra: ReadAs | undefined): { client?: ShiftPair; server?: ShiftPair } {
  const pair = (e: EndpointSummary, m: ReadAs["client"]): ShiftPair | undefined =>
    m === undefined ? undefined : { shown: e.shift ?? 0, applied: m.applied ?? e.shift ?? 0, readWith: m.readWith };
  return { client: pair(c.client, ra?.client), server: pair(c.server, ra?.server) };
}

function chartFigure(c: ConnectionSummary, tl: Timeline, ra: ReadAs | undefined): string {
  const svg = bothWidths((width, suffix) =>
    renderChartSvg(tl, {
      id: `chart-${c.id}${suffix}`,
      width,
      durationS: c.durationS,
      labels: { client: `client ${hostPort(c.client)}`, server: `server ${hostPort(c.server)}` },
      readAs: shiftPairs(c, ra),
    }),
  );
  // Only the sides whose windows are drawn: a side's windows matter where its peer sent data.
  const sent = (flight: [number, number][]) => flight.some(([, v]) => v > 0);
  const sp = shiftPairs(c, ra);
  const pairs = [
    sent(tl.serverInFlight) ? sp.client : undefined,
    sent(tl.clientInFlight) ? sp.server : undefined,
  ].filter((p): p is ShiftPair => p !== undefined);
  const readNote =
    (pairs.some((p) => p.readWith !== p.shown)
      ? " Red dashes: that window as the sender really reads it (a finding proved the shift it uses); the bytes in flight follow this line, not the blue one."
      : "") +
    (pairs.some((p) => p.applied !== p.shown)
      ? " Purple dots: that window as the receiver means it (the shift it really applies, which the capture does not show)."
      : "");
  const t = (s: number) => (s < 1 ? `${Number((s * 1000).toFixed(3))} ms` : `${Number(s.toFixed(3))} s`);
  const events = [...tl.events].sort((a, b) => a.t - b.t);
  const marks = events
    .slice(0, MAX_MARKS_LISTED)
    .map((e) => `<li>${esc(e.kind)} at ${t(e.t)} (frame ${e.frame}): ${esc(e.label)}</li>`);
  if (events.length > MAX_MARKS_LISTED) marks.push(`<li>and ${events.length - MAX_MARKS_LISTED} more marks</li>`);
  return [
    "<figure>",
    svg,
    `<figcaption>Blue: the receive window the receiving side advertised, scaled by the shift it applies; orange: the sending side's bytes in flight; red shading: the receiver's window was zero.${readNote} Times from the connection's first packet.</figcaption>`,
    marks.length > 0 ? `<ul class="marks">${marks.join("")}</ul>` : "",
    "</figure>",
  ].join("\n");
}

/** Round trips the zoomed time-sequence graph spans. */
const ZOOM_ROUND_TRIPS = 8;

/** tcptrace-style time-sequence graphs, one per direction that carried data (and a zoom on its start). */
function sequenceFigures(c: ConnectionSummary, tl: Timeline, ra: ReadAs | undefined): string[] {
  const out: string[] = [];
  const dirs = [
    { data: tl.serverData, sender: "server", receiver: "client", rx: c.client, m: ra?.client },
    { data: tl.clientData, sender: "client", receiver: "server", rx: c.server, m: ra?.server },
  ] as const;
  const rtt = c.rttMs !== null && c.rttMs > 0 ? c.rttMs / 1000 : null;
  for (const d of dirs) {
    if (!d.data || d.data.segments.length === 0) continue;
    const data = d.data;
    const graph = (zoom?: { from: number; to: number }) =>
      bothWidths((width, suffix) =>
        renderSequenceSvg(data, {
          id: `seq-${c.id}-${d.sender}${zoom ? "-zoom" : ""}${suffix}`,
          width,
          durationS: c.durationS,
          sender: d.sender,
          receiver: d.receiver,
          // Where a finding proved it, the shift the receiver really applies (the capture may show another).
          shift: d.m?.applied ?? d.rx.shift,
          readWith: d.m?.readWith,
          zoom,
        }),
      );
    out.push(
      '<figure class="seq">',
      graph(),
      `<figcaption>Each blue bar: a segment the ${d.sender} sent (its sequence numbers over time); red bars: retransmissions. Green: the ${d.receiver}'s ACKs; olive: the window edge it advertised (ACK + window). ${d.m !== undefined ? `Red dashes: that edge as the ${d.sender} reads it (shift ${d.m.readWith}); the bars stop at it, round trip after round trip: the crawl.` : "Bars that reach the edge: the window limits the transfer; bars far below it: something else does."}</figcaption>`,
      "</figure>",
    );
    // A long transfer seen whole is a line: the first round trips, close up, show how each one ends.
    const first = data.segments[0]![0];
    if (rtt !== null && c.durationS !== null && c.durationS > ZOOM_ROUND_TRIPS * 3 * rtt) {
      out.push(
        '<figure class="seq">',
        graph({ from: Math.max(0, first - rtt / 4), to: first + ZOOM_ROUND_TRIPS * rtt }),
        `<figcaption>The same, the first ${ZOOM_ROUND_TRIPS} round trips of data (RTT ${ms(c.rttMs)}).</figcaption>`,
        "</figure>",
      );
    }
  }
  return out;
}
