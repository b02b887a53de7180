import type { Finding } from "../finding.js";
import { label, type RuleContext } from "../rule.js";

/** A window-scale option must be 3 bytes long; Linux ignores one that is not. */
export function wscaleBadLength({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const e of [conn.client, conn.server]) {
    const bad = e.syn?.wscaleBadLength;
    if (e.syn === null || bad === null || bad === undefined) continue;
    out.push({
      id: "wscale-bad-length",
      severity: "warn",
      confidence: "certain",
      connection: summary.id,
      message: `The ${label(conn, e)} sent a window-scale option of length ${bad} (must be 3); receivers such as Linux ignore it, so scaling is treated as not offered.`,
      evidence: [{ frame: e.syn.frame.frame, note: `wscale option with length ${bad}` }],
      advice: [],
    });
  }
  return out;
}
