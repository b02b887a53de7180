/**
 * `analyze` with several inputs (SPEC section 2): independent ones are merged by time, as one
 * capture; copies of one capture count once; inputs holding the same traffic seen at several
 * points are analysed as vantage points, each on its own (in parallel where a worker thread can
 * read it), plus the path between them as `compare` finds it. An input that cannot be read is
 * set aside and named; the others are analysed.
 */
import { type AnalysisReport, type AnalyzeOptions, analyze } from "../analysis/analyze.js";
import { type PeekedInput, peekInputs, type UnreadableInput } from "../analysis/inputs.js";
import type { JobPool } from "../analysis/jobs.js";
import { type Plan, planViews } from "../analysis/same-traffic.js";
import { analyseView } from "../analysis/view.js";
import { type AnalysedView, combineVantages } from "../compare/vantages.js";
import { plural } from "../report/model.js";
import type { JobAnalyzeOptions } from "./jobs.js";

export interface InputsResult {
  /** null when no input could be read. */
  report: AnalysisReport | null;
  unreadable: UnreadableInput[];
  /** What the command made of the inputs ("warning: ..." or "note: ...", one line each, for stderr). */
  notices: string[];
}

export async function analyseInputs(paths: string[], opts: AnalyzeOptions, pool: JobPool): Promise<InputsResult> {
  if (paths.length === 1) return { report: await analyze(paths, opts), unreadable: [], notices: [] };
  const { inputs, unreadable } = await peekInputs(paths, { stdin: opts.stdin });
  const done = (report: AnalysisReport | null, notices: string[] = []): InputsResult => {
    if (report && unreadable.length > 0) report.unreadable = unreadable;
    return { report, unreadable, notices: [...notices, ...duplicateNotices(report)] };
  };
  if (inputs.length === 0) return done(null);
  const plan = planViews(inputs.map((i) => i.probes));
  if (plan.pairs.length === 0) {
    const view = plan.views[0]!;
    return done(
      await analyseView(
        inputs.map((i) => i.opened!),
        { ...opts, mergeDelay: view.mergeDelay },
      ),
    );
  }
  const views = await Promise.all(
    plan.views.map(async (view): Promise<AnalysedView> => {
      const mine = view.inputs.map((i) => inputs[i]!);
      const jobOptions = {
        idleTimeout: opts.idleTimeout,
        timeline: opts.timeline === true,
        mergeDelay: view.mergeDelay,
      };
      return { inputs: view.inputs, report: await runView(mine, { ...opts, ...jobOptions }, jobOptions, pool) };
    }),
  );
  return done(combineVantages(views, plan.pairs), vantageNotices(plan, inputs));
}

/** A view of regular files can go to a worker thread (which opens them again); others stay here. */
async function runView(
  inputs: PeekedInput[],
  opts: AnalyzeOptions,
  jobOptions: JobAnalyzeOptions,
  pool: JobPool,
): Promise<AnalysisReport> {
  if (pool.jobs > 1 && inputs.every((i) => i.rereadable)) {
    await Promise.all(inputs.map((i) => i.opened?.close()));
    return pool.run<AnalysisReport>("view", { paths: inputs.map((i) => i.path), options: jobOptions });
  }
  return pool.run("view", null, {
    here: () =>
      analyseView(
        inputs.map((i) => i.opened!),
        opts,
      ),
  });
}

function vantageNotices(plan: Plan, inputs: PeekedInput[]): string[] {
  const viewOf = new Map<number, number>();
  plan.views.forEach((v, vi) => {
    for (const i of v.inputs) viewOf.set(i, vi);
  });
  return plan.relations
    .filter((r) => r.evidence.relation === "vantage" && viewOf.get(r.a) !== viewOf.get(r.b))
    .map(
      (r) =>
        `note: ${inputs[r.a]!.path} and ${inputs[r.b]!.path} hold the same traffic seen at two points (${r.evidence.shared} of the first ${plural(r.evidence.compared, "TCP segment")} are the same packets): each is analysed on its own, and the handshakes compared between them`,
    );
}

function duplicateNotices(report: AnalysisReport | null): string[] {
  if (!report) return [];
  return report.inputs.flatMap((input) =>
    input.duplicates
      ? [
          `warning: ${input.path}: ${input.duplicates.records} of its ${plural(input.tcpSegments, "TCP record")} are the same records as in ${report.inputs[input.duplicates.of]?.path} (the same capture, or overlapping ones): counted once`,
        ]
      : [],
  );
}
