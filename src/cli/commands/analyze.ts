import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { type AnalysisReport, type AnalysisRun, type AnalyzeOptions, analyzeStream } from "../../analysis/analyze.js";
import { type UnreadableInput, unreadableLine } from "../../analysis/inputs.js";
import { defaultJobs, JobPool } from "../../analysis/jobs.js";
import type { ReportTotals, Tally } from "../../analysis/tally.js";
import { WorstConnections } from "../../analysis/worst-connections.js";
import type { OpenedInput } from "../../capture/open.js";
import type { Severity } from "../../findings/finding.js";
import { CsvWriter, renderCsv } from "../../report/csv.js";
import { escapeControl } from "../../report/escape.js";
import { renderHtml } from "../../report/html.js";
import { JsonReportWriter, renderJsonReport } from "../../report/json.js";
import { renderMarkdown } from "../../report/markdown.js";
import { DEFAULT_TOP, type FailOn, impliedExitStatus, plural, reportTotals } from "../../report/model.js";
import { NdjsonWriter, renderNdjson } from "../../report/ndjson.js";
import { annotatedPcapng, annotationInputProblem } from "../../report/pcapng-annotate.js";
import type { ReportWriter } from "../../report/stream.js";
import { DEFAULT_WIDTH, renderTable } from "../../report/table.js";
import { analyseInputs } from "../analyze-inputs.js";
import { printWarnings } from "../diagnostics.js";
import { isDirectoryTarget, runEach } from "../each.js";
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, HELP_EPILOG } from "../exit-codes.js";
import { JOB_HANDLERS } from "../jobs.js";
import {
  allFixesOption,
  colorOption,
  countingNumber,
  idleTimeoutOption,
  single,
  text,
  wholeNumber,
} from "../option-values.js";
import { OUTPUT_HELP, openOutput, type ReportText } from "../output.js";
import { restoreStdinArg } from "../stdin-arg.js";
import { colorFor } from "../terminal.js";
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
  each: boolean;
  jobs: number;
  allFixes: boolean;
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
 * Every format is rendered from the one report model; none recomputes anything. (A single input
 * is streamed instead: json, ndjson and csv through streamedWriter(), the others from the worst
 * connections; these give the same text for a report already in memory.)
 */
export function renderReport(
  report: AnalysisReport,
  args: Pick<AnalyzeArgs, "format" | "output" | "top" | "color" | "failOn" | "files"> & { allFixes?: boolean },
  toStdout = args.output === undefined || args.output === "-",
): ReportText {
  switch (args.format) {
    case "pcapng":
      return annotatedPcapng(report, args.files.map(restoreStdinArg));
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
      const toFile = !toStdout;
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
        describe:
          "pcap, pcapng (optionally gzipped) or tcpdump text; - for stdin. Several are merged by time, except the same traffic seen at two points (analysed as two vantage points) and repeated records (counted once)",
      })
      .option("format", {
        alias: "F",
        choices: FORMATS,
        default: "table" as const,
        coerce: single("format", text<Format>),
        describe:
          'table: for the terminal; json: the whole report (schema/report.schema.json); ndjson: a line per connection and finding, then a summary; csv: a row per connection; md: for a ticket; html: one self-contained file with charts; pcapng: the input\'s packets, each evidence packet with a comment (Wireshark: frame.comment contains "wscale"); needs capture files, not stdin',
      })
      .option("output", {
        alias: "o",
        type: "string",
        coerce: single("output", text),
        describe: `${OUTPUT_HELP}; DIR/ (a directory): one report per input, named after it (implies --each)`,
      })
      .option("each", {
        type: "boolean",
        default: false,
        describe:
          "one report per input, each analysed on its own and in parallel: one after another on stdout, one file each with -o DIR/; --format ndjson: one merged stream whose lines name their input",
      })
      .option("jobs", {
        alias: "j",
        type: "string",
        coerce: single("jobs", countingNumber),
        default: String(defaultJobs()),
        defaultDescription: "the number of cores",
        describe: "inputs analysed at once, in worker threads (--each, and vantage points)",
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
      .option("color", colorOption)
      .option("all-fixes", allFixesOption)
      .example("$0 analyze capture.pcap", "table of connections and findings")
      .example(
        "$0 analyze client.pcapng server.pcap.gz",
        "the same traffic captured at both ends: each end's view, and what the path changed",
      )
      .example(
        "$0 analyze mon-1.pcap mon-2.pcap --format json -o r.json",
        "other traffic, or one capture in parts: merged",
      )
      .example("$0 analyze *.pcap --each -o reports/ --format html", "one report per capture, on all cores")
      .example("$0 analyze *.pcap --each --format ndjson", "one stream for all; each line names its input")
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
    const files = args.files.map(restoreStdinArg);
    if (files.filter((f) => f === "-").length > 1) throw new UsageError("stdin (-) can be given only once");
    if (args.format === "pcapng") {
      // Checked before the analysis: the packets are copied by reading the inputs again.
      if (args.each || isDirectoryTarget(args.output))
        throw new UsageError("--format pcapng annotates the inputs together: one -o file, not --each");
      if ((args.output === undefined || args.output === "-") && process.stdout.isTTY)
        throw new UsageError("--format pcapng writes a binary capture: name a file with -o, or pipe it");
      for (const f of files) {
        const problem = await annotationInputProblem(f);
        if (problem) throw new UsageError(problem);
      }
    }
    const pool = new JobPool(args.jobs, JOB_HANDLERS);
    try {
      process.exitCode =
        args.each || isDirectoryTarget(args.output)
          ? await analyzeEach(files, args, pool)
          : await analyzeAll(files, args, pool);
    } finally {
      await pool.close();
    }
  },
};

/** One report for every input (merged, deduplicated, or vantage points): the exit code. */
async function analyzeAll(files: string[], args: AnalyzeArgs, pool: JobPool): Promise<number> {
  // Records streaming to the terminal are not mixed with a progress line.
  const streamsToTerminal =
    files.length === 1 && ["json", "ndjson", "csv"].includes(args.format) && args.output === undefined;
  // Progress goes to stderr, only when a person is watching it, at most four times a second.
  let shown = false;
  let lastShown = Date.now();
  const progress =
    process.stderr.isTTY && !(streamsToTerminal && process.stdout.isTTY)
      ? (packets: number, connections: number) => {
          if (Date.now() - lastShown < 250) return;
          lastShown = Date.now();
          shown = true;
          process.stderr.write(`\r\x1b[Kwscale: ${packets} packets, ${connections} connections`);
        }
      : undefined;
  const endProgress = () => {
    if (shown) process.stderr.write("\r\x1b[K");
    shown = false;
  };
  const options: AnalyzeOptions = {
    idleTimeout: args.idleTimeout,
    // The HTML report charts each connection over time: ask the analysis to record a timeline.
    timeline: args.format === "html",
    onProgress: progress,
  };
  // Before reading anything: an output that cannot be written, or that is one of the inputs, fails now.
  const out = await openOutput(args.output, files);
  let result: {
    run: AnalysisRun | null;
    totals: ReportTotals | null;
    notices: string[];
    unreadable: UnreadableInput[];
  };
  try {
    try {
      // One input (the usual case, and the longest captures) is streamed: memory follows its live
      // connections. Several are analysed together in memory (same traffic, copies, vantage points).
      if (files.length === 1 && args.format !== "pcapng") {
        const render = (report: AnalysisReport) => renderReport(report, args, out.toStdout);
        const { run, tally } = await reportRun(files[0]!, args, options, out, render, endProgress);
        result = { run, totals: tally.totals(), notices: [], unreadable: [] };
      } else {
        const { report, notices, unreadable } = await analyseInputs(files, options, pool);
        endProgress();
        result = { run: report, totals: report ? reportTotals(report) : null, notices, unreadable };
        if (report) await out.write(renderReport(report, args, out.toStdout));
      }
    } finally {
      endProgress();
    }
    if (result.run) await out.close();
    else await out.abort();
  } catch (e) {
    await out.abort();
    throw e;
  }
  const { run, totals } = result;
  // Warnings once: the table on stdout already shows them; any other report gets them on stderr.
  if (args.format !== "table" || !out.toStdout) printWarnings(run?.inputs ?? []);
  for (const n of result.notices) process.stderr.write(`wscale: ${escapeControl(n)}\n`);
  for (const u of result.unreadable) process.stderr.write(`wscale: ${escapeControl(unreadableLine(u))}\n`);
  if (totals && !out.toStdout && process.stderr.isTTY) {
    const found = totals.findings.error + totals.findings.warn + totals.findings.info;
    process.stderr.write(
      `wscale: wrote ${escapeControl(args.output ?? "-")} (${args.format}: ${plural(totals.connections, "connection")}, ${plural(found, "finding")})\n`,
    );
  }
  if (result.unreadable.length > 0 || !totals) return EXIT_USAGE;
  return impliedExitStatus(totals.findings, args.failOn) === 1 ? EXIT_FINDINGS : EXIT_OK;
}

/** Where a report goes as it is made: our output (stdout or a file), or a job's pieces. */
export interface ReportSink {
  /** `written` is called with each Uint8Array piece once it is no longer needed (the writer reuses it). */
  write(text: ReportText, written?: (piece: Uint8Array) => void): Promise<void> | undefined;
}

/**
 * One input, reported as it is read, by the single-input `analyze` and by each `--each` job:
 * json, ndjson and csv are written as connections finish; table, md and html need the worst
 * connections first, so only those are kept (a bounded heap) with exact counts of the rest, and
 * `render` makes the report of them. `analysed` is called when the reading is done.
 */
export async function reportRun(
  input: string | OpenedInput,
  how: { format: Format; failOn: FailOn; top?: number },
  options: AnalyzeOptions,
  sink: ReportSink,
  render: (report: AnalysisReport) => ReportText,
  analysed: () => void = () => {},
): Promise<{ run: AnalysisRun; tally: Tally }> {
  const writer = streamedWriter(how.format, how.failOn);
  const worst = writer === null ? new WorstConnections(how.top ?? DEFAULT_TOP) : null;
  const release = writer ? (p: Uint8Array) => writer.release(p) : undefined;
  try {
    const run = await analyzeStream([input], {
      ...options,
      onConnection: writer ? (summary, found) => writer.add(summary, found) : (s, f) => worst!.add(s, f),
      drain: writer ? () => sink.write(writer.take(false), release) : undefined,
    });
    analysed();
    if (writer) await sink.write(writer.end(run), release);
    else await sink.write(render(worst!.report(run)));
    return { run, tally: (writer ?? worst!).tally };
  } catch (e) {
    // The JSON writer's findings spilled to a temporary file are dropped.
    writer?.abort?.();
    throw e;
  }
}

/** --each, or -o DIR/: one report per input, analysed in parallel; the exit code. */
async function analyzeEach(files: string[], args: AnalyzeArgs, pool: JobPool): Promise<number> {
  const toDir = isDirectoryTarget(args.output);
  const toFile = args.output !== undefined && args.output !== "-";
  if (toFile && !toDir && args.format !== "ndjson")
    throw new UsageError(
      `--each writes one report per input: give -o a directory (${args.output}/), or --format ndjson for one stream`,
    );
  const result = await runEach(
    files,
    args,
    {
      format: args.format,
      top: args.top,
      failOn: args.failOn,
      colorLevel: colorFor(process.stdout, !args.color || toFile).level > 0 ? 1 : 0,
      width: terminalWidth(process.stdout, toFile),
    },
    { idleTimeout: args.idleTimeout, timeline: args.format === "html" },
    pool,
  );
  printWarnings(result.inputs);
  for (const u of result.unreadable) process.stderr.write(`wscale: ${escapeControl(unreadableLine(u))}\n`);
  if (result.written.length > 0 && process.stderr.isTTY)
    process.stderr.write(
      `wscale: wrote ${plural(result.written.length, "report")} in ${escapeControl(args.output ?? "")}\n`,
    );
  if (result.unreadable.length > 0) return EXIT_USAGE;
  return impliedExitStatus(result.counts, args.failOn) === 1 ? EXIT_FINDINGS : EXIT_OK;
}
