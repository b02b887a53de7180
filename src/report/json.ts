import type { AnalysisReport } from "../analysis/analyze.js";

export function renderJson(report: AnalysisReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
