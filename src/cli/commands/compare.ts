import type { ChalkInstance } from "chalk";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import type { InputSummary } from "../../analysis/analyze.js";
import { compareCaptures } from "../../compare/compare.js";
import type { CompareFinding, CompareReport, ConnectionMatch, PathDiff } from "../../compare/types.js";
import type { Severity } from "../../findings/finding.js";
import { escapeControl } from "../../report/escape.js";
import { renderJson } from "../../report/json.js";
import { findingsWorstFirst, hostPort, impliedExitStatus, severityCounts } from "../../report/model.js";
import { DEFAULT_WIDTH, printable, renderFinding } from "../../report/table.js";
import { type GridColumn, renderGrid, wrapCell, wrapIndented } from "../../report/text.js";
import { printWarnings } from "../diagnostics.js";
import { EXIT_FINDINGS, EXIT_OK, HELP_EPILOG } from "../exit-codes.js";
import { allFixesOption, colorOption, idleTimeoutOption, single, text } from "../option-values.js";
import { OUTPUT_HELP, openOutput } from "../output.js";
import { restoreStdinArg, STDIN_TOKEN } from "../stdin-arg.js";
import { colorFor } from "../terminal.js";
import { terminalWidth } from "./analyze.js";
import { UsageError } from "./sysctl.js";

export interface CompareArgs {
  a: string;
  b: string;
  format: "table" | "json";
  output?: string;
  failOn: Severity | "never";
  idleTimeout: number;
  color: boolean;
  allFixes?: boolean;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: "compare <a> <b>",
  describe: "Compare two captures of the same traffic (two vantage points): which option changed, where, which way",
  builder: (y: Argv) =>
    y
      .positional("a", {
        type: "string",
        demandOption: true,
        describe: "capture A (pcap, pcapng, gzip, tcpdump text; - for stdin)",
      })
      .positional("b", {
        type: "string",
        demandOption: true,
        describe: "capture B, taken elsewhere on the path (either order: which one is nearer the client is worked out)",
      })
      .option("format", {
        alias: "F",
        choices: ["table", "json"] as const,
        default: "table" as const,
        coerce: single("format", text<CompareArgs["format"]>),
      })
      .option("output", { alias: "o", type: "string", coerce: single("output", text), describe: OUTPUT_HELP })
      .option("fail-on", {
        choices: ["info", "warn", "error", "never"] as const,
        default: "error" as const,
        coerce: single("fail-on", text<Severity | "never">),
        describe: "exit 1 when a finding of this severity or worse is found (compare findings and each capture's own)",
      })
      .option("idle-timeout", idleTimeoutOption)
      .option("color", colorOption)
      .option("all-fixes", allFixesOption)
      .example("$0 compare client-side.pcap server-side.pcap", "what the path changed in each handshake, and where")
      .example("$0 compare fw-inside.pcapng fw-outside.pcap.gz --format json", "the same as one JSON document")
      .example("ssh gw tcpdump -U -w - port 443 | $0 compare local.pcap -", "one of the two on stdin")
      .epilog(
        `Connections are matched by 4-tuple, else by ISN (NAT), else by the SYN's IP ID and TSval (NAT plus ISN rewriting), else by SYN time (a proxy).\nFinding ids: path-stripped-wscale, path-cleared-option (an option overwritten with NOPs), path-rewrote-wscale, path-added-option, path-clamped-mss, path-stripped-option (another option removed), path-rewrote-isn, path-rewrote-window, path-proxy.\n${HELP_EPILOG}`,
      ) as unknown as Argv<CompareArgs>,
  handler: async (args: ArgumentsCamelCase<CompareArgs>) => {
    if (args.a === STDIN_TOKEN && args.b === STDIN_TOKEN)
      throw new UsageError("only one of the two captures can be read from stdin (-)");
    const a = restoreStdinArg(args.a);
    const b = restoreStdinArg(args.b);
    const out = await openOutput(args.output, [a, b]);
    let report: CompareReport;
    try {
      report = await compareCaptures(a, b, { idleTimeout: args.idleTimeout });
      // A guess the two captures refute does not fail the run. The status first: a reader that stops early ends the run with it.
      const standing = report.findings.filter((f) => f.settledBy !== "server-declined");
      process.exitCode = impliedExitStatus(severityCounts(standing), args.failOn) === 1 ? EXIT_FINDINGS : EXIT_OK;
      const toFile = !out.toStdout;
      await out.write(
        args.format === "json"
          ? renderJson(report)
          : renderCompare(
              report,
              colorFor(process.stdout, !args.color || toFile),
              terminalWidth(process.stdout, toFile),
              {
                allFixes: args.allFixes,
              },
            ),
      );
      await out.close();
    } catch (e) {
      await out.abort();
      throw e;
    }
    // Warnings once: the table on stdout already shows them.
    if (args.format !== "table" || !out.toStdout) printWarnings(report.inputs);
  },
};

const LETTER = ["A", "B"] as const;

/**
 * The terminal report, laid out to `width` columns: both inputs, a table of matched connections
 * with their diffs, short notes, the path findings, then each capture's own findings, except the
 * ones the two vantage points settle (named once, with what settles them).
 */
export function renderCompare(
  report: CompareReport,
  c: ChalkInstance,
  width = DEFAULT_WIDTH,
  opts: { allFixes?: boolean } = {},
): string {
  const prose = Math.min(Math.max(40, width), 110);
  const lines: string[] = [];
  report.inputs.forEach((input, i) => {
    const side = i === 0 ? report.vantage.a : report.vantage.b;
    const head = `Capture ${LETTER[i]} (input ${i + 1}): ${describeInput(input)}: ${side}`;
    lines.push(
      ...wrapIndented(head, Math.max(40, width), "", "  ").map((l, k) =>
        k === 0 ? c.bold(l.slice(0, 9)) + l.slice(9) : l,
      ),
    );
    for (const w of input.warnings) {
      const at = w.offset >= 0 ? `byte ${w.offset}: ` : "";
      lines.push(...wrapIndented(`warning: ${at}${printable(w.message)}`, prose, "  ", "    ").map((l) => c.yellow(l)));
    }
  });
  const compareFindings = report.findings.filter((f) => f.input === undefined);
  if (report.matches.length === 0) lines.push("No connection is in both captures.");
  else lines.push("", ...matchTable(report, compareFindings, c, width));
  const notes = report.matches.flatMap((m) => m.notes.map((n) => `${m.a}/${m.b}: ${printable(n)}`));
  if (notes.length > 0) {
    lines.push("", c.bold("Notes"));
    for (const n of notes) lines.push(...wrapIndented(n, prose, "  ", "    "));
  }
  if (report.unmatched.length > 0) {
    lines.push("", c.bold("Not in the other capture"));
    for (const u of report.unmatched)
      lines.push(
        ...wrapIndented(
          `${LETTER[u.input]} ${u.connection}: ${u.client} -> ${u.server} (handshake ${u.handshake})`,
          prose,
          "  ",
          "    ",
        ),
      );
  }
  lines.push("", c.bold("Path changes (two vantage points)"));
  if (compareFindings.length === 0) {
    lines.push(
      report.matches.length > 0
        ? "  None: every handshake packet arrived as it was sent."
        : "  None: no connection to compare.",
    );
  }
  const inputLabel = (i: number) => LETTER[i] ?? `input ${i + 1}`;
  for (const f of findingsWorstFirst(compareFindings))
    lines.push(...renderFinding(f, c, { width, inputLabel, allFixes: opts.allFixes }));
  const own = findingsWorstFirst(report.findings.filter((f) => f.input !== undefined));
  const open = own.filter((f) => f.settledBy === undefined);
  const settled = own.filter((f) => f.settledBy !== undefined);
  if (own.length > 0) {
    lines.push("", c.bold("Each capture on its own"), c.dim("  (wscale analyze <file> for evidence and advice)"));
    for (const f of open)
      lines.push(
        ...renderFinding({ ...f, connection: `${LETTER[f.input!]} ${f.connection}`, evidence: [], advice: [] }, c, {
          width,
        }),
      );
    for (const f of settled) {
      const by =
        f.settledBy === "server-declined"
          ? "refuted: the server itself declined (see Notes)"
          : `settled by ${f.settledBy} above, which is certain`;
      lines.push(
        ...wrapIndented(
          `${LETTER[f.input!]} ${f.connection} ${f.id} (${f.confidence}): ${by}`,
          prose,
          "  ",
          "    ",
        ).map((l) => c.dim(l)),
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Matched connections, one row each: ids, endpoints (in A), how they matched, what changed in the
 * SYN and in the SYN-ACK, the verdict. Wordy cells wrap until the table fits; finding ids never break.
 */
function matchTable(report: CompareReport, compareFindings: CompareFinding[], c: ChalkInstance, width: number) {
  const byA = new Map(report.connections.map((x) => [x.id, x]));
  // Where A sits is said in the header lines; per row only when the captures do not agree throughout.
  const perRowSide = report.vantage.a === "mixed" || report.vantage.a === "unknown";
  const rows = report.matches.map((m) => {
    const conn = byA.get(m.a);
    const ids = verdictIds(m, compareFindings);
    return {
      cells: [
        [`${m.a}/${m.b}`],
        conn ? [hostPort(conn.client), `-> ${hostPort(conn.server)}`] : ["?"],
        matchedBy(m, perRowSide),
        diffCell(m, "SYN"),
        diffCell(m, "SYN-ACK"),
        ids.map((f) => f.id),
      ],
      ids,
    };
  });
  const paintVerdict = (l: string, r: number) => {
    const f = rows[r]!.ids.find((x) => x.id === l);
    if (f) return f.severity === "error" ? c.red(l) : f.severity === "warn" ? c.yellow(l) : c.blue(l);
    return l === "unchanged" ? c.green(l) : l;
  };
  const columns: GridColumn[] = [
    { head: ["A/B"] },
    { head: ["client -> server", "(in A)"] },
    { head: ["matched"] },
    { head: ["SYN", "c -> s"] },
    { head: ["SYN-ACK", "s -> c"] },
    { head: ["verdict"], paint: paintVerdict },
  ];
  // Columns that may wrap, with the narrowest they go: the match and the diffs first (at
  // spaces), the endpoints last (at colons).
  const minWidth = [0, 16, 8, 10, 10, 0];
  const order = [[2, 3, 4], [1]];
  const natural = (k: number) =>
    Math.max(
      ...columns[k]!.head.map((h) => h.length),
      ...rows.map((r) => Math.max(0, ...r.cells[k]!.map((l) => l.length))),
    );
  const limit = columns.map((_, k) => natural(k));
  const gaps = [2, 2, 2, 2, 2];
  const layout = () =>
    renderGrid(
      columns,
      rows.map((r) => r.cells.map((cell, k) => (minWidth[k] ? wrapCell(cell, limit[k]!) : cell))),
      gaps,
    );
  let grid = layout();
  for (const group of order) {
    while (grid.width > width) {
      // Narrow the widest column of this group that may still wrap.
      const k = group.filter((j) => limit[j]! > minWidth[j]!).sort((x, y) => grid.widths[y]! - grid.widths[x]!)[0];
      if (k === undefined) break;
      limit[k] = Math.min(limit[k]!, grid.widths[k]!) - 1;
      grid = layout();
    }
  }
  const head = grid.head.map((h) => (c.level > 0 ? c.cyan(h) : h));
  return [...head, c.dim(grid.rule), ...grid.body.flatMap((r, i) => (i > 0 ? ["", ...r] : r))];
}

function describeInput(input: InputSummary): string {
  return `${escapeControl(input.path)} (${input.format}${input.gzip ? ", gzip" : ""}, ${input.packets} packets, ${input.tcpSegments} TCP)`;
}

function matchedBy(m: ConnectionMatch, side: boolean): string[] {
  const out: string[] = [m.by];
  if (m.translated?.client) out.push(`NAT client ${m.translated.client.a} = ${m.translated.client.b}`);
  if (m.translated?.server) out.push(`NAT server ${m.translated.server.a} = ${m.translated.server.b}`);
  if (side) out.push(m.aSide === "unknown" ? "A: side unknown" : `A: ${m.aSide} side`);
  return out;
}

function diffCell(m: ConnectionMatch, packet: PathDiff["packet"]): string[] {
  if (m.verdict === "no-handshake") return ["?"];
  const ds = m.diffs.filter((d) => d.packet === packet);
  if (ds.length === 0) return [m.verdict === "proxy" ? "(another connection)" : "="];
  return ds.map(diffText);
}

export function diffText(d: PathDiff): string {
  const v = (x: PathDiff["from"]) => (typeof x === "number" ? ` ${x}` : "");
  switch (d.field) {
    case "isn":
      return "ISN rewritten";
    case "tsVal":
      return "TSval rewritten";
    case "options":
      return "options reordered";
    default:
      if (d.change === "changed") return `${d.field} ${d.from} -> ${d.to}`;
      if (d.change === "cleared") return `${d.field}${v(d.from)} -> NOPs`;
      if (d.change === "removed") return `${d.field}${v(d.from)} removed`;
      if (d.change === "added") return `+ ${d.field}${v(d.to)}`;
      return `${d.field} ${d.change}`;
  }
}

/** The compare findings on a match (worst first, one per id), or its verdict word. */
function verdictIds(m: ConnectionMatch, findings: CompareFinding[]): { id: string; severity: Severity | null }[] {
  const mine = findingsWorstFirst(findings.filter((f) => f.connection === m.a));
  if (mine.length === 0) return [{ id: m.verdict === "no-handshake" ? "no handshake" : m.verdict, severity: null }];
  const seen = new Set<string>();
  return mine.filter((f) => !seen.has(f.id) && seen.add(f.id));
}
