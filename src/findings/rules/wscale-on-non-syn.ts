import type { Finding } from "../finding.js";
import { label, plural, type RuleContext } from "../rule.js";

/** RFC 7323 2.2: the option is only meaningful in a SYN; elsewhere it is ignored. */
export function wscaleOnNonSyn({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const e of [conn.client, conn.server]) {
    if (e.wscaleOnNonSyn === 0) continue;
    out.push({
      id: "wscale-on-non-syn",
      severity: "info",
      confidence: "certain",
      connection: summary.id,
      message: `The ${label(conn, e)} sent a window-scale option on ${plural(e.wscaleOnNonSyn, "segment")} without SYN; RFC 7323 says to ignore it there, and this analysis does.`,
      evidence: [{ frame: e.wscaleOnNonSynFrame, note: "window-scale option on a non-SYN segment" }],
      advice: [],
    });
  }
  return out;
}
