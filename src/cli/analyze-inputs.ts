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
import { type Plan, planViews, type View } from "../analysis/same-traffic.js";
import type { LateMatch } from "../analysis/vantage-watch.js";
import { analyseView, type ViewResult } from "../analysis/view.js";
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
  for (const i of inputs) i.probes = []; // decided: memory for the analysis
  if (plan.pairs.length > 0) return done(await runVantages(plan, inputs, opts, pool), vantageNotices(plan, inputs));

  const view = plan.views[0]!;
  const merged = await analyseView(
    inputs.map((i) => i.opened ?? i.path),
    opts,
    view.copyDelay,
  );
  if (merged.late.length === 0) return done(merged.report);
  // Vantage points the look-ahead did not reach (one capture started long after the other).
  // Files can be read again as what they are; a stream cannot: say what the merge did.
  const late = lateNotices(merged.late, inputs);
  if (!inputs.every((i) => i.rereadable))
    return done(
      merged.report,
      late.map(
        (n) =>
          `warning: ${n}: merged into one stream, so the connections seen at both are counted twice; give them as files, or to \`wscale compare\``,
      ),
    );
  const again = await peekInputs(inputs.map((i) => i.path));
  const known = merged.late.map((m) => ({
    a: m.a,
    b: m.b,
    evidence: { relation: "vantage" as const, shared: m.packets, sameRecord: 0, skew: 0, compared: 0 },
  }));
  const replan = planViews(
    again.inputs.map((i) => i.probes),
    known,
  );
  return done(
    await runVantages(replan, again.inputs, opts, pool),
    late.map((n) => `note: ${n}: analysed again as two vantage points, each on its own, and the handshakes compared`),
  );
}

/** Each view on its own, then one report with the path between consecutive vantage points. */
async function runVantages(plan: Plan, inputs: PeekedInput[], opts: AnalyzeOptions, pool: JobPool) {
  const views = await Promise.all(
    plan.views.map(async (view): Promise<AnalysedView> => {
      const result = await runView(view, inputs, opts, pool);
      return { inputs: view.inputs, report: result.report };
    }),
  );
  return combineVantages(views, plan.pairs);
}

/** A view of regular files can go to a worker thread (which opens them again); others stay here. */
async function runView(view: View, all: PeekedInput[], opts: AnalyzeOptions, pool: JobPool): Promise<ViewResult> {
  const inputs = view.inputs.map((i) => all[i]!);
  if (pool.jobs > 1 && inputs.every((i) => i.rereadable)) {
    const options: JobAnalyzeOptions = { idleTimeout: opts.idleTimeout, timeline: opts.timeline === true };
    return pool.run<ViewResult>("view", { paths: inputs.map((i) => i.path), options, copyDelay: view.copyDelay });
  }
  return pool.runHere(() =>
    analyseView(
      inputs.map((i) => i.opened ?? i.path),
      opts,
      view.copyDelay,
    ),
  );
}

function vantageNotices(plan: Plan, inputs: PeekedInput[]): string[] {
  const names = (v: number) => plan.views[v]!.inputs.map((i) => inputs[i]!.path).join(" + ");
  return plan.pairs.map(([va, vb]) => {
    const a = new Set(plan.views[va]!.inputs);
    const b = new Set(plan.views[vb]!.inputs);
    let shared = 0;
    for (const r of plan.relations) {
      if (r.evidence.relation !== "vantage" || !((a.has(r.a) && b.has(r.b)) || (a.has(r.b) && b.has(r.a)))) continue;
      shared += r.evidence.shared;
    }
    return `note: ${names(va)} and ${names(vb)} hold the same traffic seen at two points (${plural(shared, "packet")} of their first ones seen at both): each is analysed on its own, and the handshakes compared between them`;
  });
}

function lateNotices(late: LateMatch[], inputs: PeekedInput[]): string[] {
  return late.map(
    (m) =>
      `${inputs[m.a]!.path} and ${inputs[m.b]!.path} hold the same traffic seen at two points from ${new Date(m.since * 1000).toISOString()} on (${plural(m.packets, "sampled packet")} seen at both, past the first ones compared)`,
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
