import { isStackPadding } from "../../connections/stacks.js";
import { optionName } from "../../connections/summary.js";
import type { Finding } from "../finding.js";
import { directionFrom, label, type RuleContext, roleOf } from "../rule.js";

/** The shortest NOP run that can stand for an overwritten option (wscale is 3 bytes). */
export const MIN_RUN = 3;

/**
 * A run of NOPs where an option used to be: iptables TCPOPTSTRIP, nft `reset tcp option` and many
 * firewalls overwrite an option in place. Real stacks pad with NOPs too (NetBSD puts four in a row
 * before its timestamps), so a run is only suspicious in a layout no known stack sends
 * (src/connections/stacks.ts); and only a warning when an option is evidently missing.
 */
export function optionClearedNops({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const e of [conn.client, conn.server]) {
    const syn = e.syn;
    if (syn === null || syn.longestNopRun < MIN_RUN || syn.optionsTruncated) continue;
    if (isStackPadding(syn.optionKinds, syn.synAck)) continue;
    const what = syn.synAck ? "SYN-ACK" : "SYN";
    const wscaleGone = syn.wscale.state === "absent";
    const layout = syn.optionKinds.map(optionName).join(",");
    out.push({
      id: "option-cleared-nops",
      severity: wscaleGone ? "warn" : "info",
      confidence: wscaleGone ? "likely" : "possible",
      connection: summary.id,
      direction: directionFrom(conn, e),
      message:
        `The ${label(conn, e)}'s ${what} carries ${syn.longestNopRun} NOPs in a row (${layout}), a layout no known stack sends: ` +
        `a box between the ${roleOf(conn, e)} and this capture point overwrote an option in place (iptables TCPOPTSTRIP, nft \`reset tcp option\`, many firewalls do this).` +
        (wscaleGone
          ? " The window-scale option (3 bytes) is the one missing here, so scaling is off for this connection."
          : " Every option window scaling needs is still there, so this does not affect scaling."),
      evidence: [{ frame: syn.frame.frame, note: `${what} options: ${layout}` }],
      advice: wscaleGone
        ? [
            {
              kind: "path",
              command: `remove the option-stripping rule on the box between ${e.describe()} and the capture point`,
              why: "look for TCPOPTSTRIP (iptables), `reset tcp option` (nftables) or a firewall's TCP-option normalisation",
            },
          ]
        : [],
    });
  }
  return out;
}
