import { formatBytes } from "../../kernel/units.js";
import { appliedShift } from "../applied-shift.js";
import type { Finding } from "../finding.js";
import { label, type RuleContext, roleOf } from "../rule.js";

/**
 * Both SYNs carried the option at this capture point, yet one end's own windows prove it does not
 * scale (they fall by exactly the bytes it receives, or its first window repeats its SYN window,
 * which under the negotiated shift would be tens of MiB): it never received its peer's option, so
 * it believes scaling is off while the peer scales. Ordinary stacks that open their window right
 * after the handshake (Windows: SYN window 8192, then 4380 << 2) prove nothing either way.
 */
export function scaleAsymmetric({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  if (conn.scaling !== "on") return out;
  for (const e of [conn.client, conn.server]) {
    const proof = appliedShift(e);
    if (proof?.kind !== "none" || e.shift === null || e.syn === null) continue;
    const peer = e.peer;
    const me = roleOf(conn, e);
    const them = roleOf(conn, peer);
    out.push({
      id: "scale-asymmetric",
      severity: "error",
      confidence: proof.confidence,
      connection: summary.id,
      direction: e === conn.client ? "server-to-client" : "client-to-server",
      message:
        `Both SYNs carried window scaling at this capture point, but the ${label(conn, e)} does not scale its windows (${proof.note}). ` +
        `So the ${me} believes scaling is off: the ${them}'s window-scale option did not reach it, and a box between this capture point and the ${me} removed it. ` +
        `The ${them} reads the ${me}'s windows ${2 ** e.shift} times too large (up to ${formatBytes(e.rawMax * 2 ** e.shift)}), ` +
        `and the ${me} reads the ${them}'s scaled windows as bytes, so traffic towards the ${them} crawls.`,
      evidence: [
        {
          frame: e.syn.frame.frame,
          note: `${me}'s ${e.syn.synAck ? "SYN-ACK" : "SYN"}: wscale ${e.offered.state === "present" ? e.offered.shift : "?"}, window ${e.syn.window}`,
        },
        { frame: proof.frame, note: proof.note },
      ],
      advice: [
        {
          kind: "path",
          command: `find the box between this capture point and ${e.describe()} that strips the window-scale option towards it`,
          why: "one end scaling and the other not is worse than no scaling: the fix is on the path (or disable scaling on both ends)",
        },
      ],
      readAs: [
        { side: them, applied: peer.shift, readWith: 0 },
        { side: me, applied: 0, readWith: e.shift },
      ],
    });
  }
  return out;
}
