import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { type AnalysisReport, type AnalyzeOptions, analyze } from "../../analysis/analyze.js";
import type { Severity } from "../../findings/finding.js";
import { renderCsv } from "../../report/csv.js";
import { escapeControl } from "../../report/escape.js";
import { renderHtml } from "../../report/html.js";
import { renderJson } from "../../report/json.js";
import { renderMarkdown } from "../../report/markdown.js";
import { impliedExitStatus, plural, severityCounts } from "../../report/model.js";
import { renderNdjson } from "../../report/ndjson.js";
import { DEFAULT_WIDTH, renderTable } from "../../report/table.js";
import { printWarnings } from "../diagnostics.js";
import { EXIT_FINDINGS, EXIT_OK, HELP_EPILOG } from "../exit-codes.js";
import { idleTimeoutOption, single, text, wholeNumber } from "../option-values.js";
import { OUTPUT_HELP, openOutput, type ReportText } from "../output.js";
import { restoreStdinArg } from "../stdin-arg.js";
import { colorFor } from "../terminal.js";

export const FORMATS = ["table", "json", "ndjson", "csv", "md", "html"] as const;
export type Format = (typeof FORMATS)[number];

export interface AnalyzeArgs {
  files: string[];
  format: Format;
  output?: string;
  failOn: Severity | "never";
  idleTimeout: number;
  top?: number;
  color: boolean;
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
  args: Pick<AnalyzeArgs, "format" | "output" | "top" | "color" | "failOn">,
  toStdout = args.output === undefined || args.output === "-",
): ReportText {
  switch (args.format) {
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
      const toFile = !toStdout;
      return renderTable(report, {
        color: colorFor(process.stdout, !args.color || toFile),
        top: args.top,
        width: terminalWidth(process.stdout, toFile),
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
        coerce: single("format", text<Format>),
        describe:
          "table: for the terminal; json: the whole report (schema/report.schema.json); ndjson: a line per connection and finding, then a summary; csv: a row per connection; md: for a ticket; html: one self-contained file with charts",
      })
      .option("output", {
        alias: "o",
        type: "string",
        coerce: single("output", text),
        describe: OUTPUT_HELP,
      })
      .option("fail-on", {
        choices: ["info", "warn", "error", "never"] as const,
        default: "error" as const,
        coerce: single("fail-on", text<Severity | "never">),
        describe: "exit 1 when a finding of this severity or worse is found",
      })
      .option("idle-timeout", idleTimeoutOption)
      .option("top", {
        type: "string",
        coerce: single("top", wholeNumber),
        describe:
          "table, md and html: show the worst N connections (default: all, or the worst 50 when there are more); csv, json and ndjson always have all",
      })
      .option("color", {
        type: "boolean",
        default: true,
        describe: "colour on a terminal (--no-color, or NO_COLOR, turns it off)",
      })
      .example("$0 analyze capture.pcap", "table of connections and findings")
      .example(
        "$0 analyze client.pcapng server.pcap.gz --format json -o report.json",
        "merge two captures, JSON report",
      )
      .example("$0 analyze capture.pcap --format html -o report.html", "one self-contained page with charts")
      .example("$0 analyze big.pcap --format csv -o connections.csv", "every connection, one row each")
      .example("$0 analyze big.pcap --top 20", "only the 20 worst connections in the table")
      .example("tcpdump -w - -U tcp | $0 analyze -", "read a capture from stdin")
      .epilog(HELP_EPILOG) as unknown as Argv<AnalyzeArgs>,
  handler: async (args: ArgumentsCamelCase<AnalyzeArgs>) => {
    const files = args.files.map(restoreStdinArg);
    // Before reading anything: an output that cannot be written, or that is one of the inputs, fails now.
    const out = await openOutput(args.output, files);
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
    let report: AnalysisReport;
    try {
      try {
        report = await analyze(files, options);
      } finally {
        if (shown) process.stderr.write("\r\x1b[K");
      }
      // The status first: a reader that stops early (`| head`) ends the run with it.
      const failed = impliedExitStatus(severityCounts(report.findings), args.failOn) === 1;
      process.exitCode = failed ? EXIT_FINDINGS : EXIT_OK;
      await out.write(renderReport(report, args, out.toStdout));
      await out.close();
    } catch (e) {
      await out.abort();
      throw e;
    }
    printWarnings(report.inputs);
    if (!out.toStdout && process.stderr.isTTY) {
      process.stderr.write(
        `wscale: wrote ${escapeControl(args.output ?? "-")} (${args.format}: ${plural(report.connections.length, "connection")}, ${plural(report.findings.length, "finding")})\n`,
      );
    }
  },
};
