import type { OpenedInput } from "../capture/open.js";
import type { TcpSegment } from "../decode/segment.js";
import { type AnalysisReport, type AnalyzeOptions, analyze } from "./analyze.js";
import { RecordDeduplicator } from "./dedup.js";
import type { CopyDelay } from "./same-traffic.js";
import { type LateMatch, VantageWatch } from "./vantage-watch.js";

export interface ViewResult {
  report: AnalysisReport;
  /** Inputs (indices among these) found, while merging, to hold the same traffic seen at two points. */
  late: LateMatch[];
}

/**
 * Analyse inputs as one stream merged by time, with records repeated across them (copies,
 * overlapping captures) counted once: each input that had such records says how many, and of
 * which input (`duplicates.of` is an index among these inputs). `copyDelay` (per input) makes a
 * copy's records wait for its original's, so that the original's are the ones kept.
 */
export async function analyseView(
  inputs: (string | OpenedInput)[],
  opts: AnalyzeOptions,
  copyDelay: (CopyDelay | null)[] = [],
): Promise<ViewResult> {
  if (inputs.length < 2) return { report: await analyze(inputs, opts), late: [] };
  const mergeTime = (seg: TcpSegment) => {
    const d = copyDelay[seg.input];
    return d && seg.time >= d.from ? seg.time + d.delay : seg.time;
  };
  const wait = Math.max(0, ...copyDelay.map((d) => d?.delay ?? 0));
  const dedup = new RecordDeduplicator(inputs.length, mergeTime, wait);
  const watch = new VantageWatch();
  const report = await analyze(inputs, {
    ...opts,
    mergeTime,
    keep: (seg) => {
      watch.see(seg);
      return dedup.keep(seg);
    },
  });
  report.inputs.forEach((input, i) => {
    const r = dedup.repeats[i];
    if (r) input.duplicates = { of: r.of, records: r.records };
  });
  return { report, late: watch.matches() };
}
