import type { Finding } from "../finding.js";
import { directionFrom, label, type RuleContext } from "../rule.js";

/** Stacks pad with at most two NOPs in a row; three or more mark an option a box overwrote in place. */
const MIN_RUN = 3;

export function optionClearedNops({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const e of [conn.client, conn.server]) {
    const syn = e.syn;
    if (syn === null || syn.longestNopRun < MIN_RUN) continue;
    const what = syn.synAck ? "SYN-ACK" : "SYN";
    const wscaleGone = syn.wscale.state === "absent";
    out.push({
      id: "option-cleared-nops",
      severity: "warn",
      confidence: "likely",
      connection: summary.id,
      direction: directionFrom(conn, e),
      message:
        `The ${label(conn, e)}'s ${what} carries ${syn.longestNopRun} NOPs in a row where an option used to be: a box between the ${e === conn.client ? "client" : "server"} and this capture point ` +
        `overwrote it in place (iptables TCPOPTSTRIP, nft \`reset tcp option\`, many firewalls do this).` +
        (wscaleGone
          ? " It is most likely the window-scale option (3 bytes), which is missing here, so scaling is off for this connection."
          : ""),
      evidence: [
        {
          frame: syn.frame.frame,
          note: `${what} options: ${syn.optionKinds.map((k) => (k === 1 ? "nop" : k)).join(",")}`,
        },
      ],
      advice: [
        {
          kind: "path",
          command: `remove the option-stripping rule on the box between ${e.describe()} and the capture point`,
          why: "look for TCPOPTSTRIP (iptables), `reset tcp option` (nftables) or a firewall's TCP-option normalisation",
        },
      ],
    });
  }
  return out;
}
