import type { Finding } from "../finding.js";
import { label, type RuleContext, roleOf } from "../rule.js";

/** Raw windows this small are the ones people misread as bytes ("win 92", "win 63"). */
const SMALL_RAW = 256;
/** Data segments towards the endpoint needed before its peer's behaviour tells anything. */
const ENOUGH = 3;

/**
 * Scaling was negotiated and the endpoint's raw windows are small numbers that really mean
 * more, but the connection carried too little data either way to show how the peer reads them
 * (the seed excerpt: one request, one ACK): explain the window, and say that a rewrite can
 * neither be shown nor excluded from this capture.
 */
export function scaleUnverified({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  if (conn.scaling !== "on" || conn.client.dataSegments >= ENOUGH || conn.server.dataSegments >= ENOUGH) return out;
  for (const e of [conn.client, conn.server]) {
    const peer = e.peer;
    if (e.shift === null || e.shift === 0 || e.windows === 0 || e.rawMax >= SMALL_RAW) continue;
    const raw = e.rawLast;
    out.push({
      id: "scale-unverified",
      severity: "info",
      confidence: "certain",
      connection: summary.id,
      message:
        `Window scaling is on (client shift ${conn.client.shift}, server shift ${conn.server.shift}), so the ${label(conn, e)}'s \`win ${raw}\` means ${raw} << ${e.shift} = ${raw * 2 ** e.shift} bytes, not ${raw}. ` +
        `Whether a box on the path rewrote a shift cannot be told from this capture: the ${roleOf(conn, peer)} sent ${peer.dataSegments === 0 ? "no data" : `only ${peer.dataSegments} data segment(s)`} towards the ${roleOf(conn, e)}, ` +
        `so how it reads these windows is never seen. Capture a transfer towards the ${roleOf(conn, e)} (a download), or capture at the ${roleOf(conn, peer)} as well.`,
      evidence: [
        {
          frame: e.rawFirstFrame,
          note: `win ${e.rawFirst} = ${e.rawFirst * 2 ** e.shift} bytes with shift ${e.shift}`,
        },
      ],
      advice: [],
    });
  }
  return out;
}
