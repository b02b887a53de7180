import { formatBytes } from "../../kernel/units.js";
import type { Finding } from "../finding.js";
import { label, type RuleContext, roleOf } from "../rule.js";
import { hiddenShift } from "../window-consistency.js";

/**
 * Both SYNs carried the option at this capture point, yet one end advertises unscaled windows:
 * it never received its peer's option, so it believes scaling is off while the peer scales.
 */
export function scaleAsymmetric({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  if (conn.scaling !== "on") return out;
  for (const e of [conn.client, conn.server]) {
    const hidden = hiddenShift(e);
    if (hidden?.kind !== "none" || e.shift === null) continue;
    const peer = e.peer;
    out.push({
      id: "scale-asymmetric",
      severity: "error",
      confidence: "likely",
      connection: summary.id,
      direction: e === conn.client ? "server-to-client" : "client-to-server",
      message:
        `Both SYNs carried window scaling at this capture point, but the ${label(conn, e)} advertises unscaled windows: ${hidden.firstRaw} right after the handshake, ` +
        `about its ${e.syn?.synAck ? "SYN-ACK" : "SYN"} window of ${hidden.synWindow}, where shift ${e.shift} would give about ${Math.round(hidden.synWindow / 2 ** e.shift)}. ` +
        `So the ${roleOf(conn, e)} believes scaling is off: the ${roleOf(conn, peer)}'s window-scale option did not reach it; a box between this capture point and the ${roleOf(conn, e)} removed it. ` +
        `The ${roleOf(conn, peer)} reads the ${roleOf(conn, e)}'s windows ${2 ** e.shift} times too large (up to ${formatBytes(e.rawMax * 2 ** e.shift)}), ` +
        `and the ${roleOf(conn, e)} reads the ${roleOf(conn, peer)}'s scaled windows as bytes, so traffic towards the ${roleOf(conn, peer)} crawls.`,
      evidence: [
        {
          frame: e.syn!.frame.frame,
          note: `${roleOf(conn, e)} window ${hidden.synWindow} in its ${e.syn!.synAck ? "SYN-ACK" : "SYN"}`,
        },
        { frame: hidden.frame, note: `first window after the handshake: raw ${hidden.firstRaw}, not scaled` },
      ],
      advice: [
        {
          kind: "path",
          command: `find the box between this capture point and ${e.describe()} that strips the window-scale option towards it`,
          why: "one end scaling and the other not is worse than no scaling: the fix is on the path (or disable scaling on both ends)",
        },
      ],
    });
  }
  return out;
}
