import type { AnalysisReport, InputSummary } from "../analysis/analyze.js";
import type { Evidence } from "../findings/finding.js";
import { compareReports } from "./compare.js";
import type { VantageFinding, VantageLabel, VantageMatch, VantagePoint, VantageReport } from "./types.js";

/** One vantage point's analysis: its inputs (indices among all inputs) and what analyze found there. */
export interface AnalysedView {
  inputs: number[];
  report: AnalysisReport;
}

/**
 * One report from several vantage points of the same traffic: every view's connections (ids
 * renumbered so that they are unique, each marked with its vantage point) and findings (evidence
 * marked with the input its frame is in), and for each pair the path findings and matched
 * connections of `compareReports`. `pairs` index `views`; views in no pair hold other traffic.
 */
export function combineVantages(views: AnalysedView[], pairs: [number, number][]): VantageReport {
  const inputCount = Math.max(0, ...views.flatMap((v) => v.inputs)) + 1;
  const inputs: InputSummary[] = new Array(inputCount);
  const connections: VantageReport["connections"] = [];
  const ownFindings: VantageFinding[] = [];
  const ids: Map<string, string>[] = [];
  const ownStart: number[] = [];
  views.forEach((view, v) => {
    view.report.inputs.forEach((input, k) => {
      const { duplicates, ...rest } = input;
      inputs[view.inputs[k]!] = {
        ...rest,
        vantage: v,
        ...(duplicates ? { duplicates: { ...duplicates, of: view.inputs[duplicates.of]! } } : {}),
      };
    });
    const map = new Map<string, string>();
    ids.push(map);
    for (const c of view.report.connections) {
      const id = `c${connections.length + 1}`;
      map.set(c.id, id);
      connections.push({ ...c, id, vantage: v });
    }
    const inputOf = (e: Evidence) => view.inputs[e.input ?? 0]!;
    ownStart.push(ownFindings.length);
    for (const f of view.report.findings)
      ownFindings.push({
        ...f,
        connection: map.get(f.connection) ?? f.connection,
        evidence: f.evidence.map((e) => ({ ...e, input: inputOf(e) })),
      });
  });

  const pathFindings: VantageFinding[] = [];
  const matches: VantageMatch[] = [];
  const sides: Set<VantageLabel>[] = views.map(() => new Set());
  for (const [va, vb] of pairs) {
    const a = views[va]!;
    const b = views[vb]!;
    const cmp = compareReports(a.report, b.report);
    sides[va]!.add(cmp.vantage.a);
    sides[vb]!.add(cmp.vantage.b);
    const inA = ids[va]!;
    const inB = ids[vb]!;
    const ownSeen = [0, 0];
    for (const f of cmp.findings) {
      if (f.input !== undefined) {
        // A capture's own finding, already in ownFindings in the same order: take what the pair settles (a rewrite both agree on is certain).
        const at = ownStart[f.input === 0 ? va : vb]! + ownSeen[f.input]!++;
        const mine = ownFindings[at]!;
        if (mine.confidence !== f.confidence)
          ownFindings[at] = { ...mine, severity: f.severity, confidence: f.confidence, message: f.message };
        continue;
      }
      pathFindings.push({
        ...f,
        connection: inA.get(f.connection) ?? f.connection,
        vantages: [va, vb],
        evidence: f.evidence.map((e) => ({ ...e, input: e.input === 1 ? b.inputs[0]! : a.inputs[0]! })),
      });
    }
    for (const m of cmp.matches)
      matches.push({ ...m, a: inA.get(m.a) ?? m.a, b: inB.get(m.b) ?? m.b, vantages: [va, vb] });
  }
  const vantages: VantagePoint[] = views.map((view, v) => ({ inputs: view.inputs, side: sideOf(sides[v]!) }));
  return {
    schemaVersion: views[0]?.report.schemaVersion ?? 1,
    inputs,
    vantages,
    connections,
    findings: [...pathFindings, ...ownFindings],
    matches,
  };
}

/** One label from every pair a vantage point was compared in. */
function sideOf(labels: Set<VantageLabel>): VantagePoint["side"] {
  if (labels.size === 0) return null;
  if (labels.size === 1) return [...labels][0]!;
  if (labels.has("mixed")) return "mixed";
  const known = [...labels].filter((l) => l !== "unknown");
  if (known.length === 1) return known[0]!;
  return "between";
}
