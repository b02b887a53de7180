import type { Finding } from "../finding.js";
import { label, type RuleContext } from "../rule.js";

/** RFC 7323 2.3: a shift above 14 must be used as 14 (and logged). */
export function wscaleOutOfRange({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const e of [conn.client, conn.server]) {
    const offer = e.offered;
    if (e.syn === null || offer.state !== "present" || offer.shift <= 14) continue;
    out.push({
      id: "wscale-out-of-range",
      severity: "warn",
      confidence: "certain",
      connection: summary.id,
      message: `The ${label(conn, e)} offered window-scale shift ${offer.shift}; RFC 7323 allows at most 14, so both ends must use 14 (windows up to ${65535 * 2 ** 14} bytes).`,
      evidence: [{ frame: e.syn.frame.frame, note: `SYN carries wscale ${offer.shift}` }],
      advice: [],
    });
  }
  return out;
}
