import type { Finding } from "../finding.js";
import { counted, label, type RuleContext, roleOf } from "../rule.js";

const ID = "scale-unverified";

/** Raw windows this small are the ones people misread as bytes ("win 92", "win 63"). */
export const SMALL_RAW = 256;
/** Data segments towards the endpoint needed before its peer's behaviour tells anything. */
export const ENOUGH = 3;

/**
 * Scaling was negotiated and an endpoint's raw windows are small numbers that really mean more,
 * but the connection carried too little data either way to show how the peer reads them (the
 * seed excerpt: one request, one ACK): explain the window, and say that a rewrite can neither be
 * shown nor excluded from this capture. One finding per connection; a capture with many such
 * connections gets one summary instead (see FindingSampler).
 */
export function scaleUnverified({ conn, summary, onlyCounted }: RuleContext): Finding[] {
  if (conn.scaling !== "on" || conn.client.dataSegments >= ENOUGH || conn.server.dataSegments >= ENOUGH) return [];
  const sides = [conn.client, conn.server].filter(
    (e) => e.shift !== null && e.shift > 0 && e.windows > 0 && e.rawMax < SMALL_RAW,
  );
  const e = sides[0];
  if (e === undefined) return [];
  if (onlyCounted(ID)) return [counted(ID, "info", summary.id)];
  const peer = e.peer;
  const raw = e.rawLast;
  const explain = sides
    .map(
      (x) =>
        `the ${label(conn, x)}'s \`win ${x.rawLast}\` means ${x.rawLast} << ${x.shift} = ${x.rawLast * 2 ** x.shift!} bytes, not ${x.rawLast}`,
    )
    .join("; ");
  const transfer = e === conn.client ? "a download (data towards the client)" : "an upload (data towards the server)";
  return [
    {
      id: ID,
      severity: "info",
      confidence: "certain",
      connection: summary.id,
      message:
        `Window scaling is on (client shift ${conn.client.shift}, server shift ${conn.server.shift}), so ${explain}. ` +
        `Whether a box on the path rewrote a shift cannot be told from this capture: the ${roleOf(conn, peer)} sent ${peer.dataSegments === 0 ? "no data" : `only ${peer.dataSegments} data segment${peer.dataSegments === 1 ? "" : "s"}`} towards the ${roleOf(conn, e)}, ` +
        `so how it reads these windows is never seen. Capture ${transfer}, or capture at the ${roleOf(conn, peer)} as well.`,
      evidence: [{ frame: e.rawFirstFrame, note: `win ${raw} = ${raw * 2 ** e.shift!} bytes with shift ${e.shift}` }],
      advice: [],
    },
  ];
}
