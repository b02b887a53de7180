/**
 * The jobs `analyze` hands to worker threads (src/analysis/jobs.ts): each runs the same way on
 * the main thread when its input can only be read there. Arguments and results are plain data.
 */
import { Chalk } from "chalk";
import type { AnalyzeOptions, InputSummary } from "../analysis/analyze.js";
import type { JobHandler } from "../analysis/jobs.js";
import type { CopyDelay } from "../analysis/same-traffic.js";
import { analyseView } from "../analysis/view.js";
import type { OpenedInput } from "../capture/open.js";
import type { ConnectionSummary } from "../connections/summary.js";
import type { Finding, Severity } from "../findings/finding.js";
import { type SeverityCounts, severityCounts } from "../report/model.js";
import { renderTable } from "../report/table.js";
import { type Format, renderReport } from "./commands/analyze.js";

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
  connections: number;
}

/** A batch of finished connections with their findings (the merged NDJSON stream). */
export interface ConnectionBatch {
  items: [ConnectionSummary, Finding[]][];
}

const BATCH = 256;

/** Analyse one input and render its report (the `--each` formats). */
export async function reportJob(
  input: string | OpenedInput,
  options: AnalyzeOptions,
  render: RenderArgs,
): Promise<RenderedReport> {
  const { report } = await analyseView([input], options);
  const text =
    render.format === "table"
      ? renderTable(report, { color: new Chalk({ level: render.colorLevel }), top: render.top, width: render.width })
      : renderReport(report, { format: render.format, top: render.top, failOn: render.failOn, color: false });
  return {
    pieces: typeof text === "string" ? [text] : [...text],
    inputs: report.inputs,
    counts: severityCounts(report.findings),
    connections: report.connections.length,
  };
}

/** Analyse one input and post its connections in batches as they finish (`--each --format ndjson`). */
export async function streamJob(
  input: string | OpenedInput,
  options: AnalyzeOptions,
  post: (batch: ConnectionBatch) => void,
): Promise<InputSummary[]> {
  let items: ConnectionBatch["items"] = [];
  const { report } = await analyseView([input], {
    ...options,
    onConnection(summary, found) {
      items.push([summary, found]);
      if (items.length >= BATCH) {
        post({ items });
        items = [];
      }
    },
  });
  if (items.length > 0) post({ items });
  return report.inputs;
}

export const JOB_HANDLERS: Record<string, JobHandler> = {
  view: (a: { paths: string[]; options: JobAnalyzeOptions; copyDelay: (CopyDelay | null)[] }) =>
    analyseView(a.paths, a.options, a.copyDelay),
  report: (a: { path: string; options: JobAnalyzeOptions; render: RenderArgs }) =>
    reportJob(a.path, a.options, a.render),
  stream: (a: { path: string; options: JobAnalyzeOptions }, post) =>
    streamJob(a.path, a.options, post as (b: ConnectionBatch) => void),
};
