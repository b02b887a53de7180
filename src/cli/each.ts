/**
 * `analyze --each` (or `-o DIR/`): every input analysed on its own, in parallel worker threads,
 * one report per input: one after another on stdout, or one file each in the directory, named
 * after the input. With `--format ndjson` and no directory, one merged stream: every connection
 * line says which input it came from (`input`, an index into the closing report line's
 * `inputs`), connection ids are unique across the stream, and one `report` line closes it.
 */
import { mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { type InputSummary, SCHEMA_VERSION } from "../analysis/analyze.js";
import { type PeekedInput, peekInputs, type UnreadableInput } from "../analysis/inputs.js";
import type { JobPool } from "../analysis/jobs.js";
import { Tally } from "../analysis/tally.js";
import { reportEnd, type SeverityCounts } from "../report/model.js";
import { ndjsonLine } from "../report/ndjson.js";
import type { AnalyzeArgs, Format } from "./commands/analyze.js";
import {
  type JobAnalyzeOptions,
  type RenderArgs,
  type RenderedReport,
  reportJob,
  type StreamResult,
  streamJob,
} from "./jobs.js";
import { openOutput, writeReport } from "./output.js";

const EXTENSIONS: Record<Format, string> = {
  table: "txt",
  json: "json",
  ndjson: "ndjson",
  csv: "csv",
  md: "md",
  html: "html",
  pcapng: "pcapng",
};

export interface EachResult {
  inputs: InputSummary[];
  unreadable: UnreadableInput[];
  counts: SeverityCounts;
  /** Files written (with -o DIR/). */
  written: string[];
}

/** `-o DIR/`: a name ending with a slash is a directory for one report per input (an existing directory without it is refused by openOutput, not guessed at). */
export function isDirectoryTarget(output: string | undefined): boolean {
  return output !== undefined && output !== "-" && output.endsWith("/");
}

/**
 * File names in the directory: the input's own name plus the format's extension ("-" is
 * "stdin"); a name given twice gets "-2", "-3", ... before the extension.
 */
export function reportNames(paths: string[], format: Format): string[] {
  const used = new Map<string, number>();
  return paths.map((p) => {
    const base = p === "-" ? "stdin" : basename(p);
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return `${base}${n > 1 ? `-${n}` : ""}.${EXTENSIONS[format]}`;
  });
}

export async function runEach(
  paths: string[],
  args: Pick<AnalyzeArgs, "format" | "output" | "top" | "failOn">,
  render: RenderArgs,
  options: JobAnalyzeOptions,
  pool: JobPool,
  stdin?: NodeJS.ReadableStream,
): Promise<EachResult> {
  const dir = isDirectoryTarget(args.output) ? args.output! : undefined;
  // Only to tell unreadable inputs from the others before anything is written.
  const { inputs, unreadable } = await peekInputs(paths, { stdin, segments: 1 });
  if (args.format === "ndjson" && dir === undefined) {
    const summaries = await mergedStream(inputs, unreadable, options, pool, args, paths);
    return { inputs: summaries.inputs, unreadable, counts: summaries.counts, written: [] };
  }
  if (dir !== undefined) await mkdir(dir, { recursive: true });
  const names = reportNames(
    inputs.map((i) => i.path),
    args.format,
  );
  const jobs = inputs.map((input) =>
    run<RenderedReport>(pool, input, "report", { render, options }, (opened) =>
      reportJob(opened, { ...options }, render),
    ),
  );
  // Files are written as their reports come (one write at a time); stdout takes them in the
  // order given. Either way a report is dropped as soon as it is written.
  const results: (RenderedReport | null)[] = new Array(jobs.length).fill(null);
  const written: string[] = [];
  let writing = Promise.resolve();
  const write = (i: number, r: RenderedReport) => {
    const target = dir === undefined ? args.output : join(dir, names[i]!);
    writing = writing.then(() => writeReport(r.pieces, target, paths));
    if (target !== undefined && target !== "-") written.push(target);
    results[i] = { ...r, pieces: [] };
    return writing;
  };
  if (dir !== undefined) {
    await Promise.all(
      jobs.map((job, i) =>
        job.then(
          (r) => write(i, r),
          (e: unknown) => lateFailure(e, inputs[i]!, unreadable),
        ),
      ),
    );
  } else {
    for (const [i, job] of jobs.entries()) {
      const r = await job.catch((e: unknown) => lateFailure(e, inputs[i]!, unreadable));
      if (r !== null) await write(i, r);
    }
  }
  const counts: SeverityCounts = { error: 0, warn: 0, info: 0 };
  for (const r of results) {
    if (r === null) continue;
    for (const s of ["error", "warn", "info"] as const) counts[s] += r.counts[s];
  }
  return { inputs: results.flatMap((r) => r?.inputs ?? []), unreadable, counts, written };
}

/**
 * Run a job on one input: in a worker when the input is a regular file (it is opened again
 * there), else here on the input the look-ahead kept open.
 */
function run<R>(
  pool: JobPool,
  input: PeekedInput,
  kind: string,
  args: object,
  here: (opened: NonNullable<PeekedInput["opened"]>) => Promise<R>,
  onEvent?: (event: unknown) => void,
): Promise<R> {
  if (input.opened === null) return pool.run<R>(kind, { ...args, path: input.path }, { onEvent });
  const opened = input.opened;
  return pool.runHere(() => here(opened));
}

/** An input that failed after the look-ahead (nothing readable before damage): named with the others. */
function lateFailure(e: unknown, input: PeekedInput, unreadable: UnreadableInput[]): null {
  const err = e as { path?: string; offset?: number | null; detail?: string; name?: string };
  if (err.name !== "InputError") throw e;
  unreadable.push({ path: input.path, offset: err.offset ?? null, message: err.detail ?? String(e) });
  return null;
}

/** One NDJSON stream for every input: lines as connections finish, whichever input they come from. */
async function mergedStream(
  inputs: PeekedInput[],
  unreadable: UnreadableInput[],
  options: JobAnalyzeOptions,
  pool: JobPool,
  args: Pick<AnalyzeArgs, "output" | "failOn">,
  paths: readonly string[],
): Promise<{ inputs: InputSummary[]; counts: SeverityCounts }> {
  // Lines are written as they come (to a file: a temporary one, put in place at the end).
  const out = await openOutput(args.output, paths);
  let pending = Promise.resolve();
  const write = (text: string) => {
    pending = pending.then(() => out.write(text));
  };
  try {
    const results = await Promise.all(
      inputs.map((input) => {
        const slot = { input: input.index, inputs: inputs.length };
        return run<StreamResult | null>(
          pool,
          input,
          "stream",
          { options, slot },
          (opened) => streamJob(opened, { ...options }, slot, write),
          (lines) => write(lines as string),
        ).catch((e: unknown) => lateFailure(e, input, unreadable));
      }),
    );
    const tally = new Tally();
    const all: InputSummary[] = [];
    for (const r of results) {
      if (r === null) continue;
      all.push(...r.inputs);
      tally.merge(r.totals);
    }
    // The same closing record as one input's stream (schema/report.record.schema.json).
    const end = { schemaVersion: SCHEMA_VERSION, inputs: all, ...(unreadable.length > 0 ? { unreadable } : {}) };
    write(ndjsonLine("report", reportEnd(end, tally.totals(), args.failOn)));
    await pending;
    await out.close();
    return { inputs: all, counts: { ...tally.findings } };
  } catch (e) {
    await pending.catch(() => {});
    await out.abort();
    throw e;
  }
}
