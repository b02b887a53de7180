import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { type AnalysisReport, type AnalyzeOptions, analyze } from "../../analysis/analyze.js";
import type { Severity } from "../../findings/finding.js";
import { renderCsv } from "../../report/csv.js";
import { renderHtml } from "../../report/html.js";
import { renderJson } from "../../report/json.js";
import { renderMarkdown } from "../../report/markdown.js";
import { impliedExitStatus, plural, severityCounts } from "../../report/model.js";
import { renderNdjson } from "../../report/ndjson.js";
import { annotatedPcapng, annotationInputProblem } from "../../report/pcapng-annotate.js";
import { DEFAULT_WIDTH, renderTable } from "../../report/table.js";
import { EXIT_FINDINGS, EXIT_OK, HELP_EPILOG } from "../exit-codes.js";
import { restoreStdinArg } from "../stdin-arg.js";
import { colorFor, emit, type ReportText } from "../terminal.js";
import { UsageError } from "./sysctl.js";

export const FORMATS = ["table", "json", "ndjson", "csv", "md", "html", "pcapng"] as const;
export type Format = (typeof FORMATS)[number];

export interface AnalyzeArgs {
  files: string[];
  format: Format;
  output?: string;
  failOn: Severity | "never";
  idleTimeout: number;
  top?: number;
  color: boolean;
  allFixes: boolean;
}

/** Columns to lay the table out in: the terminal's width, else $COLUMNS, else 80. */
export function terminalWidth(stream: NodeJS.WriteStream, toFile: boolean): number {
  if (!toFile && stream.isTTY && stream.columns > 0) return stream.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : DEFAULT_WIDTH;
}

/** Every format is rendered from the one report model; none recomputes anything. */
export function renderReport(
  report: AnalysisReport,
  args: Pick<AnalyzeArgs, "format" | "output" | "top" | "color" | "failOn" | "files"> & { allFixes?: boolean },
): ReportText {
  switch (args.format) {
    case "pcapng":
      return annotatedPcapng(report, args.files.map(restoreStdinArg));
    case "json":
      return renderJson(report);
    case "ndjson":
      return renderNdjson(report, { failOn: args.failOn });
    case "csv":
      return renderCsv(report);
    case "md":
      return renderMarkdown(report, { top: args.top });
    case "html":
      return renderHtml(report, { top: args.top });
    case "table": {
      const toFile = args.output !== undefined && args.output !== "-";
      return renderTable(report, {
        color: colorFor(process.stdout, !args.color || toFile),
        top: args.top,
        width: terminalWidth(process.stdout, toFile),
        allFixes: args.allFixes,
      });
    }
  }
}

export const analyzeCommand: CommandModule<object, AnalyzeArgs> = {
  command: "analyze <files..>",
  describe: "Analyse captures: connections, window scaling per direction, findings and fixes",
  builder: (y: Argv) =>
    y
      .positional("files", {
        type: "string",
        array: true,
        demandOption: true,
        describe: "pcap, pcapng (optionally gzipped) or tcpdump text; - for stdin. Several are merged by time.",
      })
      .option("format", {
        alias: "F",
        choices: FORMATS,
        default: "table" as const,
        describe:
          'table: for the terminal; json: the whole report (schema/report.schema.json); ndjson: a line per connection and finding, then a summary; csv: a row per connection; md: for a ticket; html: one self-contained file with charts; pcapng: the input\'s packets, each evidence packet with a comment (Wireshark: frame.comment contains "wscale"); needs capture files, not stdin',
      })
      .option("output", {
        alias: "o",
        type: "string",
        describe: "write the report to this file (atomically: a temporary file, then renamed)",
      })
      .option("fail-on", {
        choices: ["info", "warn", "error", "never"] as const,
        default: "error" as const,
        describe: "exit 1 when a finding of this severity or worse is found",
      })
      .option("idle-timeout", {
        type: "number",
        default: 300,
        describe: "seconds of capture time before an idle connection is finalised",
      })
      .option("top", {
        type: "number",
        describe:
          "table, md and html: show the worst N connections (default: all, or the worst 50 when there are more); csv, json and ndjson always have all",
      })
      .option("color", {
        type: "boolean",
        default: true,
        describe: "colour on a terminal (--no-color, or NO_COLOR, turns it off)",
      })
      .option("all-fixes", {
        alias: "v",
        type: "boolean",
        default: false,
        describe: "table: every fix of every finding (by default the first two, the most targeted)",
      })
      .check((a) => {
        const top = a.top as number | undefined;
        // A string is a usage error (one line, exit 2), not a crash.
        return top === undefined || (Number.isInteger(top) && top >= 0) ? true : "--top needs a whole number >= 0";
      })
      .example("$0 analyze capture.pcap", "table of connections and findings")
      .example(
        "$0 analyze client.pcapng server.pcap.gz --format json -o report.json",
        "merge two captures, JSON report",
      )
      .example("$0 analyze capture.pcap --format html -o report.html", "one self-contained page with charts")
      .example("$0 analyze big.pcap --format csv -o connections.csv", "every connection, one row each")
      .example(
        "$0 analyze in.pcap --format pcapng -o annotated.pcapng",
        "the packets, the evidence commented for Wireshark",
      )
      .example("$0 analyze big.pcap --top 20", "only the 20 worst connections in the table")
      .example("tcpdump -w - -U tcp | $0 analyze -", "read a capture from stdin")
      .epilog(HELP_EPILOG) as unknown as Argv<AnalyzeArgs>,
  handler: async (args: ArgumentsCamelCase<AnalyzeArgs>) => {
    if (args.format === "pcapng") {
      // Checked before the analysis: the packets are copied by reading the inputs again.
      if ((args.output === undefined || args.output === "-") && process.stdout.isTTY)
        throw new UsageError("--format pcapng writes a binary capture: name a file with -o, or pipe it");
      for (const f of args.files) {
        const problem = await annotationInputProblem(restoreStdinArg(f));
        if (problem) throw new UsageError(problem);
      }
    }
    // The HTML report charts each connection over time: ask the analysis to record a timeline.
    // Progress goes to stderr, only when a person is watching it, at most four times a second.
    let shown = false;
    let lastShown = Date.now();
    const progress = process.stderr.isTTY
      ? (packets: number, connections: number) => {
          if (Date.now() - lastShown < 250) return;
          lastShown = Date.now();
          shown = true;
          process.stderr.write(`\r\x1b[Kwscale: ${packets} packets, ${connections} connections`);
        }
      : undefined;
    const options: AnalyzeOptions & { timeline?: boolean } = {
      idleTimeout: args.idleTimeout,
      timeline: args.format === "html",
      onProgress: progress,
    };
    let report: Awaited<ReturnType<typeof analyze>>;
    try {
      report = await analyze(args.files.map(restoreStdinArg), options);
    } finally {
      if (shown) process.stderr.write("\r\x1b[K");
    }
    await emit(renderReport(report, args), args.output);
    // Warnings once: the table on stdout already shows them; any other report gets them on stderr.
    if (args.format !== "table" || (args.output !== undefined && args.output !== "-")) {
      for (const input of report.inputs) {
        for (const w of input.warnings)
          process.stderr.write(`wscale: warning: ${input.path}: byte ${w.offset}: ${w.message}\n`);
      }
    }
    const counts = severityCounts(report.findings);
    if (args.output !== undefined && args.output !== "-" && process.stderr.isTTY) {
      process.stderr.write(
        `wscale: wrote ${args.output} (${args.format}: ${plural(report.connections.length, "connection")}, ${plural(report.findings.length, "finding")})\n`,
      );
    }
    process.exitCode = impliedExitStatus(counts, args.failOn) === 1 ? EXIT_FINDINGS : EXIT_OK;
  },
};
