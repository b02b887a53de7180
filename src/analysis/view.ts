import type { OpenedInput } from "../capture/open.js";
import { type AnalysisReport, type AnalyzeOptions, analyze } from "./analyze.js";
import { RecordDeduplicator } from "./dedup.js";

/**
 * Analyse inputs as one stream merged by time, with records repeated across them (copies,
 * overlapping captures) counted once: each input that had such records says how many, and of
 * which input (`duplicates.of` is an index among these inputs). `opts.mergeDelay` puts a copy's
 * records after its original's, so that the original's are the ones kept.
 */
export async function analyseView(inputs: (string | OpenedInput)[], opts: AnalyzeOptions): Promise<AnalysisReport> {
  if (inputs.length < 2) return analyze(inputs, opts);
  const dedup = new RecordDeduplicator(inputs.length, opts.mergeDelay);
  const report = await analyze(inputs, { ...opts, keep: (seg) => dedup.keep(seg) });
  report.inputs.forEach((input, i) => {
    const r = dedup.repeats[i];
    if (r) input.duplicates = { of: r.of, records: r.records };
  });
  return report;
}
