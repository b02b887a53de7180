import { MAX_SHIFT } from "../../connections/wscale.js";
import type { Finding } from "../finding.js";
import { label, type RuleContext } from "../rule.js";

/** RFC 7323 2.3: a shift above 14 must be used as 14 (and logged). */
export function wscaleOutOfRange({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const e of [conn.client, conn.server]) {
    const offer = e.offered;
    if (e.syn === null || offer.state !== "present" || offer.shift <= MAX_SHIFT) continue;
    out.push({
      id: "wscale-out-of-range",
      severity: "warn",
      confidence: "certain",
      connection: summary.id,
      message: `The ${label(conn, e)} offered window-scale shift ${offer.shift}; RFC 7323 allows at most ${MAX_SHIFT}, so both ends must use ${MAX_SHIFT} (windows up to ${65535 * 2 ** MAX_SHIFT} bytes).`,
      evidence: [{ frame: e.syn.frame.frame, note: `SYN carries wscale ${offer.shift}` }],
      advice: [],
    });
  }
  return out;
}
