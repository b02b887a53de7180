/**
 * The jobs `analyze` hands to worker threads (src/analysis/jobs.ts): each runs the same way on
 * the main thread when its input can only be read there. Arguments and results are plain data.
 */
import { Chalk } from "chalk";
import { type AnalysisReport, type AnalyzeOptions, analyzeStream, type InputSummary } from "../analysis/analyze.js";
import type { JobHandler } from "../analysis/jobs.js";
import type { CopyDelay } from "../analysis/same-traffic.js";
import { type ReportTotals, Tally } from "../analysis/tally.js";
import { analyseView } from "../analysis/view.js";
import type { OpenedInput } from "../capture/open.js";
import type { Severity } from "../findings/finding.js";
import type { SeverityCounts } from "../report/model.js";
import { ndjsonLine } from "../report/ndjson.js";
import { renderTable } from "../report/table.js";
import { type Format, renderReport, reportRun } from "./commands/analyze.js";
import type { ReportText } from "./output.js";

/** What of AnalyzeOptions crosses to a worker (no callbacks, no streams). */
export interface JobAnalyzeOptions {
  idleTimeout: number;
  timeline: boolean;
}

/** How to render a report in a job: the terminal's properties are the main thread's. */
export interface RenderArgs {
  format: Format;
  top?: number;
  failOn: Severity | "never";
  /** Table only: chalk colour level (0: none) and width, as stdout or the output file asks. */
  colorLevel: 0 | 1;
  width: number;
}

export interface RenderedReport {
  pieces: (string | Uint8Array)[];
  inputs: InputSummary[];
  counts: SeverityCounts;
}

const BATCH = 256;

/**
 * Analyse one input and render its report (the `--each` formats), as the single-input `analyze`
 * does: json, ndjson and csv written as connections finish, the others from the worst
 * connections (a bounded heap). The pieces are what the file will hold.
 */
export async function reportJob(
  input: string | OpenedInput,
  options: AnalyzeOptions,
  render: RenderArgs,
): Promise<RenderedReport> {
  const pieces: (string | Uint8Array)[] = [];
  // Kept, never released to the writer: they cross to the main thread as they are.
  const keep = async (text: ReportText) => {
    if (typeof text === "string") pieces.push(text);
    else for await (const piece of text) pieces.push(piece);
  };
  const asText = (report: AnalysisReport) =>
    render.format === "table"
      ? renderTable(report, { color: new Chalk({ level: render.colorLevel }), top: render.top, width: render.width })
      : renderReport(report, {
          format: render.format,
          top: render.top,
          failOn: render.failOn,
          color: false,
          files: [],
        });
  const { run, tally } = await reportRun(input, render, options, { write: keep }, asText);
  return { pieces, inputs: run.inputs, counts: { ...tally.findings } };
}

/** Where one input's lines go in the merged NDJSON stream: it is input `input` of `inputs`. */
export interface StreamSlot {
  input: number;
  inputs: number;
}

export interface StreamResult {
  inputs: InputSummary[];
  /** The counts of the closing `report` line, for this input. */
  totals: ReportTotals;
}

/**
 * Analyse one input and post its NDJSON lines in batches as connections finish (`--each
 * --format ndjson`). Its k-th connection is c((k - 1) * inputs + input + 1) in the stream: ids are
 * unique across the inputs and the same on every run, whichever thread finishes first.
 */
export async function streamJob(
  input: string | OpenedInput,
  options: AnalyzeOptions,
  slot: StreamSlot,
  post: (lines: string) => void,
): Promise<StreamResult> {
  const tally = new Tally();
  let lines = "";
  const run = await analyzeStream([input], {
    ...options,
    onConnection(summary, found) {
      const id = `c${(Number(summary.id.slice(1)) - 1) * slot.inputs + slot.input + 1}`;
      lines += ndjsonLine("connection", { ...summary, id, input: slot.input });
      for (const f of found) lines += ndjsonLine("finding", { ...f, connection: id });
      tally.add(summary, found);
      if (tally.connections % BATCH === 0) {
        post(lines);
        lines = "";
      }
    },
  });
  if (lines !== "") post(lines);
  return { inputs: run.inputs, totals: tally.totals() };
}

export const JOB_HANDLERS: Record<string, JobHandler> = {
  view: (a: { paths: string[]; options: JobAnalyzeOptions; copyDelay: (CopyDelay | null)[] }) =>
    analyseView(a.paths, a.options, a.copyDelay),
  report: (a: { path: string; options: JobAnalyzeOptions; render: RenderArgs }) =>
    reportJob(a.path, a.options, a.render),
  stream: (a: { path: string; options: JobAnalyzeOptions; slot: StreamSlot }, post) =>
    streamJob(a.path, a.options, a.slot, post as (lines: string) => void),
};
