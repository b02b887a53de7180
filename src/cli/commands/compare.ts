import type { ChalkInstance } from "chalk";
import Table from "cli-table3";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import type { InputSummary } from "../../analysis/analyze.js";
import { compareCaptures } from "../../compare/compare.js";
import type { CompareFinding, CompareReport, ConnectionMatch, PathDiff } from "../../compare/types.js";
import type { Severity } from "../../findings/finding.js";
import { escapeControl } from "../../report/escape.js";
import { renderJson } from "../../report/json.js";
import { findingsWorstFirst, impliedExitStatus, severityCounts } from "../../report/model.js";
import { renderFinding } from "../../report/table.js";
import { printWarnings } from "../diagnostics.js";
import { EXIT_FINDINGS, EXIT_OK, HELP_EPILOG } from "../exit-codes.js";
import { idleTimeoutOption, single, text } from "../option-values.js";
import { OUTPUT_HELP, openOutput } from "../output.js";
import { restoreStdinArg, STDIN_TOKEN } from "../stdin-arg.js";
import { colorFor } from "../terminal.js";
import { UsageError } from "./sysctl.js";

export interface CompareArgs {
  a: string;
  b: string;
  format: "table" | "json";
  output?: string;
  failOn: Severity | "never";
  idleTimeout: number;
  color: boolean;
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
      .option("color", {
        type: "boolean",
        default: true,
        describe: "colour on a terminal (--no-color, or NO_COLOR, turns it off)",
      })
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
      const failed = impliedExitStatus(severityCounts(report.findings), args.failOn) === 1;
      process.exitCode = failed ? EXIT_FINDINGS : EXIT_OK;
      await out.write(
        args.format === "json"
          ? renderJson(report)
          : renderCompare(report, colorFor(process.stdout, !args.color || !out.toStdout)),
      );
      await out.close();
    } catch (e) {
      await out.abort();
      throw e;
    }
    printWarnings(report.inputs);
  },
};

const LETTER = ["A", "B"] as const;

/** The terminal report: both inputs, a table of matched connections with their diffs, notes, findings. */
export function renderCompare(report: CompareReport, c: ChalkInstance): string {
  const lines: string[] = [];
  report.inputs.forEach((input, i) => {
    const side = i === 0 ? report.vantage.a : report.vantage.b;
    lines.push(`${c.bold(`Capture ${LETTER[i]}`)} (input ${i + 1}): ${describeInput(input)}: ${side}`);
    for (const w of input.warnings) lines.push(c.yellow(`  warning: byte ${w.offset}: ${escapeControl(w.message)}`));
  });
  const compareFindings = report.findings.filter((f) => f.input === undefined);
  const byA = new Map(report.connections.map((x) => [x.id, x]));
  if (report.matches.length === 0) {
    lines.push("No connection is in both captures.");
  } else {
    const table = new Table({
      head: [
        "A / B",
        "client -> server (in A)",
        "matched by",
        "SYN client -> server",
        "SYN-ACK server -> client",
        "verdict",
      ],
      style: { head: c.level > 0 ? ["cyan"] : [], border: c.level > 0 ? ["grey"] : [] },
      wordWrap: true,
    });
    for (const m of report.matches) {
      const conn = byA.get(m.a);
      const tuple = conn ? `${conn.client.ip}:${conn.client.port}\n-> ${conn.server.ip}:${conn.server.port}` : "?";
      table.push([
        `${m.a} / ${m.b}`,
        tuple,
        matchedBy(m),
        diffCell(m, "SYN"),
        diffCell(m, "SYN-ACK"),
        verdictCell(m, compareFindings, c),
      ]);
    }
    lines.push(table.toString());
  }
  const notes = report.matches.flatMap((m) => m.notes.map((n) => `  ${m.a} / ${m.b}: ${n}`));
  if (notes.length > 0) lines.push("", c.bold("Notes"), ...notes);
  if (report.unmatched.length > 0) {
    lines.push("", c.bold("Not in the other capture"));
    for (const u of report.unmatched)
      lines.push(`  ${LETTER[u.input]} ${u.connection}: ${u.client} -> ${u.server} (handshake ${u.handshake})`);
  }
  lines.push("", c.bold("Path changes (two vantage points)"));
  if (compareFindings.length === 0) {
    lines.push(
      report.matches.length > 0
        ? "  None: every handshake packet arrived as it was sent."
        : "  None: no connection to compare.",
    );
  }
  for (const f of findingsWorstFirst(compareFindings)) lines.push(...renderFinding(f, c));
  const own = findingsWorstFirst(report.findings.filter((f) => f.input !== undefined));
  if (own.length > 0) {
    lines.push("", c.bold("Each capture on its own"), c.dim("  (wscale analyze <file> for evidence and advice)"));
    for (const f of own)
      lines.push(
        ...renderFinding({ ...f, connection: `${LETTER[f.input!]} ${f.connection}`, evidence: [], advice: [] }, c),
      );
  }
  return `${lines.join("\n")}\n`;
}

function describeInput(input: InputSummary): string {
  return `${escapeControl(input.path)} (${input.format}${input.gzip ? ", gzip" : ""}, ${input.packets} packets, ${input.tcpSegments} TCP)`;
}

function matchedBy(m: ConnectionMatch): string {
  const out: string[] = [m.by];
  if (m.translated?.client) out.push(`NAT client\n${m.translated.client.a}\n= ${m.translated.client.b}`);
  if (m.translated?.server) out.push(`NAT server\n${m.translated.server.a}\n= ${m.translated.server.b}`);
  out.push(m.aSide === "unknown" ? "A: side unknown" : `A: ${m.aSide} side`);
  return out.join("\n");
}

function diffCell(m: ConnectionMatch, packet: PathDiff["packet"]): string {
  if (m.verdict === "no-handshake") return "?";
  const ds = m.diffs.filter((d) => d.packet === packet);
  if (ds.length === 0) return m.verdict === "proxy" ? "(other connection)" : "=";
  return ds.map(diffText).join("\n");
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

function verdictCell(m: ConnectionMatch, findings: CompareFinding[], c: ChalkInstance): string {
  const mine = findingsWorstFirst(findings.filter((f) => f.connection === m.a));
  if (mine.length === 0)
    return m.verdict === "unchanged" ? c.green("unchanged") : m.verdict === "no-handshake" ? "no handshake" : m.verdict;
  return mine
    .map((f) => (f.severity === "error" ? c.red(f.id) : f.severity === "warn" ? c.yellow(f.id) : c.blue(f.id)))
    .filter((x, i, all) => all.indexOf(x) === i)
    .join("\n");
}
