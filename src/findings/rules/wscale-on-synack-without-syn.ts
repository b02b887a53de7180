import type { Finding } from "../finding.js";
import type { RuleContext } from "../rule.js";

/** RFC 7323 2.2: a SYN-ACK may carry the option only if the SYN did. */
export function wscaleOnSynackWithoutSyn({ conn, summary }: RuleContext): Finding[] {
  const c = conn.client.syn;
  const s = conn.server.syn;
  if (c === null || s === null || c.wscale.state !== "absent" || s.wscale.state !== "present") return [];
  return [
    {
      id: "wscale-on-synack-without-syn",
      severity: "warn",
      confidence: "certain",
      connection: summary.id,
      message: `The server ${conn.server.describe()} answered with window-scale shift ${s.wscale.shift} although the client's SYN carried none; RFC 7323 forbids this and scaling stays off in both directions. If the client did send the option, a box between it and this capture point removed it.`,
      evidence: [
        { frame: c.frame.frame, note: "SYN without window-scale option" },
        { frame: s.frame.frame, note: `SYN-ACK with wscale ${s.wscale.shift}` },
      ],
      advice: [],
    },
  ];
}
