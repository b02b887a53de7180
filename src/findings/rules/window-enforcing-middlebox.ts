import type { Finding } from "../finding.js";
import { directionFrom, label, type RuleContext, roleOf } from "../rule.js";

/**
 * Segments beyond ack + raw window (but inside the scaled window) keep being sent again: a
 * stateful firewall that tracks windows without the scale drops them.
 */
export function windowEnforcingMiddlebox({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const sender of [conn.client, conn.server]) {
    const n = sender.beyondRawEdgeRetransmits;
    if (n < 3 || n < sender.retransmissions * 0.5) continue;
    out.push({
      id: "window-enforcing-middlebox",
      severity: "error",
      confidence: n >= 10 ? "likely" : "possible",
      connection: summary.id,
      direction: directionFrom(conn, sender),
      message:
        `${n} of the ${label(conn, sender)}'s ${sender.retransmissions} retransmissions were of data beyond the ${roleOf(conn, sender.peer)}'s ack + raw window ` +
        `but inside its scaled window: a stateful firewall on the path tracks windows without the scale factor and drops what it thinks is out of window.`,
      evidence: [{ frame: sender.beyondRawEdgeFirstFrame, note: "first segment beyond the unscaled window edge" }],
      advice: [
        {
          kind: "path",
          command: "sysctl -w net.netfilter.nf_conntrack_tcp_be_liberal=1",
          why: "on a Linux firewall in the path: stop dropping segments conntrack considers out of window; on other firewalls disable TCP window/sequence checking for this flow",
        },
      ],
    });
  }
  return out;
}
