import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { type AnalysisReport, type AnalysisRun, analyzeStream } from "../../analysis/analyze.js";
import { WorstConnections } from "../../analysis/worst-connections.js";
import type { Severity } from "../../findings/finding.js";
import { CsvWriter, renderCsv } from "../../report/csv.js";
import { renderHtml } from "../../report/html.js";
import { JsonReportWriter, renderJsonReport } from "../../report/json.js";
import { renderMarkdown } from "../../report/markdown.js";
import { DEFAULT_TOP, type FailOn, impliedExitStatus, plural } from "../../report/model.js";
import { NdjsonWriter, renderNdjson } from "../../report/ndjson.js";
import type { ReportWriter } from "../../report/stream.js";
import { DEFAULT_WIDTH, renderTable } from "../../report/table.js";
import { EXIT_FINDINGS, EXIT_OK, HELP_EPILOG } from "../exit-codes.js";
import { restoreStdinArg } from "../stdin-arg.js";
import { colorFor, openOutput, type ReportText } from "../terminal.js";

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

/** The formats written while the analysis runs, a connection at a time: nothing is kept. */
export function streamedWriter(format: Format, failOn: FailOn): (ReportWriter & { abort?(): void }) | null {
  switch (format) {
    case "json":
      return new JsonReportWriter(failOn);
    case "ndjson":
      return new NdjsonWriter(failOn);
    case "csv":
      return new CsvWriter();
    default:
      return null;
  }
}

/**
 * Every format is rendered from the one report model; none recomputes anything. (The CLI streams
 * json, ndjson and csv through streamedWriter() instead; these give the same text for a report
 * already in memory.)
 */
export function renderReport(
  report: AnalysisReport,
  args: Pick<AnalyzeArgs, "format" | "output" | "top" | "color" | "failOn">,
): ReportText {
  switch (args.format) {
    case "json":
      return renderJsonReport(report, args.failOn);
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
          "table: for the terminal; json: the whole report (schema/report.schema.json); ndjson: a line per connection and finding, then a summary; csv: a row per connection; md: for a ticket; html: one self-contained file with charts",
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
      .example("$0 analyze big.pcap --top 20", "only the 20 worst connections in the table")
      .example("tcpdump -w - -U tcp | $0 analyze -", "read a capture from stdin")
      .epilog(HELP_EPILOG) as unknown as Argv<AnalyzeArgs>,
  handler: async (args: ArgumentsCamelCase<AnalyzeArgs>) => {
    // json, ndjson and csv are written as connections finish; table, md and html need the worst
    // connections first, so only those are kept (a bounded heap) with exact counts of the rest.
    const toStdout = args.output === undefined || args.output === "-";
    const writer = streamedWriter(args.format, args.failOn);
    const worst = writer === null ? new WorstConnections(args.top ?? DEFAULT_TOP) : null;
    // Progress goes to stderr, only when a person is watching it (and not into records streaming
    // to the same terminal), at most four times a second.
    let shown = false;
    let lastShown = Date.now();
    const progress =
      process.stderr.isTTY && !(writer !== null && toStdout && process.stdout.isTTY)
        ? (packets: number, connections: number) => {
            if (Date.now() - lastShown < 250) return;
            lastShown = Date.now();
            shown = true;
            process.stderr.write(`\r\x1b[Kwscale: ${packets} packets, ${connections} connections`);
          }
        : undefined;
    const out = openOutput(args.output);
    let run: AnalysisRun;
    try {
      run = await analyzeStream(args.files.map(restoreStdinArg), {
        idleTimeout: args.idleTimeout,
        // The HTML report charts each connection over time: ask the analysis to record a timeline.
        timeline: args.format === "html",
        onProgress: progress,
        onConnection: writer ? (summary, found) => writer.add(summary, found) : (s, f) => worst!.add(s, f),
        drain: writer ? () => out.write(writer.take(false), (p) => writer.release(p)) : undefined,
      });
      if (shown) process.stderr.write("\r\x1b[K");
      shown = false;
      if (writer) await out.write(writer.end(run), (p) => writer.release(p));
      else await out.write(toPieces(renderReport(worst!.report(run.inputs), args)));
      await out.close();
    } catch (e) {
      if (shown) process.stderr.write("\r\x1b[K");
      writer?.abort?.();
      await out.abort();
      throw e;
    }
    for (const input of run.inputs) {
      for (const w of input.warnings)
        process.stderr.write(`wscale: warning: ${input.path}: byte ${w.offset}: ${w.message}\n`);
    }
    const tally = (writer ?? worst!).tally;
    if (args.output !== undefined && args.output !== "-" && process.stderr.isTTY) {
      const found = tally.findings.error + tally.findings.warn + tally.findings.info;
      process.stderr.write(
        `wscale: wrote ${args.output} (${args.format}: ${plural(tally.connections, "connection")}, ${plural(found, "finding")})\n`,
      );
    }
    process.exitCode = impliedExitStatus(tally.findings, args.failOn) === 1 ? EXIT_FINDINGS : EXIT_OK;
  },
};

function toPieces(text: ReportText): Iterable<string | Uint8Array> {
  return typeof text === "string" ? [text] : text;
}
