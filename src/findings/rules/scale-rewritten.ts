import { formatBytes } from "../../kernel/units.js";
import { scaleAdvice } from "../advice.js";
import type { Finding } from "../finding.js";
import { directionFrom, goodput, label, type RuleContext, roleOf, rttText, windowRate } from "../rule.js";
import { hiddenShift } from "../window-consistency.js";

/** Round trips at the rewritten edge needed before we call it: one or two can be chance. */
const MIN_ROUNDS = 3;
const LIKELY_ROUNDS = 5;

/**
 * The seed case: a box rewrote a SYN's shift (usually to 0). Two proofs, one per vantage point:
 * - near the victim: the peer's sending stops exactly at victim.ack + (raw window << s') with
 *   s' < s on round trip after round trip, and never goes beyond: the peer applies s';
 * - near the peer: the victim's first windows after the handshake are ~2^k below its SYN window
 *   under the shift seen here: it applies a shift k larger than its SYN shows at this point.
 */
export function scaleRewritten({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  const rtt = conn.rtt;
  for (const victim of [conn.client, conn.server]) {
    const sender = victim.peer;
    const s = victim.shift;
    const syn = victim.syn;
    if (conn.scaling !== "on" || s === null || syn === null) continue;
    let used = -1;
    let rounds = 0;
    const hits = sender.edgeHits;
    for (let k = 0; hits !== null && k < s; k++) {
      if (hits[k]! > rounds) {
        used = k;
        rounds = hits[k]!;
      }
    }
    if (used >= 0 && rounds >= MIN_ROUNDS && sender.maxInFlightOverRaw <= 2 ** used * 1.0001) {
      const raw = victim.rawMax;
      const believed = raw * 2 ** used;
      const real = raw * 2 ** s;
      out.push({
        id: "scale-rewritten",
        severity: "error",
        confidence: rounds >= LIKELY_ROUNDS ? "likely" : "possible",
        connection: summary.id,
        direction: directionFrom(conn, victim),
        message:
          `The ${label(conn, sender)} never had more than ${sender.maxInFlight} bytes in flight and on ${rounds} round trips stopped exactly at ` +
          `the ${roleOf(conn, victim)}'s raw window shifted by ${used}${used === 0 ? " (that is, unscaled)" : ""}, although the ${roleOf(conn, victim)} offered shift ${s}: ` +
          `its window of ${raw} means ${formatBytes(real)}, but the ${roleOf(conn, sender)} reads it as ${formatBytes(believed)}. ` +
          `A box on the path rewrote the window-scale shift in the ${roleOf(conn, victim)}'s ${syn.synAck ? "SYN-ACK" : "SYN"} from ${s} to ${used}. ` +
          `Throughput ${goodput(sender)}, which is ${believed} bytes per ${rttText(rtt)} round trip; the offered window would allow ${windowRate(real, rtt)}.`,
        evidence: [
          { frame: syn.frame.frame, note: `${roleOf(conn, victim)} offers wscale ${s}` },
          {
            frame: victim.rawFirstFrame,
            note: `${roleOf(conn, victim)} advertises raw window ${victim.rawFirst} (${victim.rawFirst * 2 ** s} bytes with shift ${s})`,
          },
          {
            frame: sender.edgeHitFirstFrame,
            note: `${roleOf(conn, sender)}'s data ends exactly at ack + raw window << ${used}`,
          },
          { frame: sender.maxInFlightFrame, note: `largest bytes in flight: ${sender.maxInFlight}` },
        ],
        advice: scaleAdvice({
          host: victim,
          hostRole: roleOf(conn, victim),
          peer: sender,
          tolerated: used,
          pathProblem: `it rewrites the window-scale shift in ${roleOf(conn, victim)} SYNs from ${s} to ${used}`,
          rttSeconds: rtt,
        }),
      });
      continue;
    }
    const hidden = hiddenShift(victim);
    if (hidden?.kind === "larger" && victim.offered.state === "present") {
      const seen = victim.offered.shift;
      out.push({
        id: "scale-rewritten",
        severity: "error",
        confidence: "likely",
        connection: summary.id,
        direction: directionFrom(conn, victim),
        message:
          `The ${label(conn, victim)} sent window ${hidden.synWindow} in its ${syn.synAck ? "SYN-ACK" : "SYN"} and then ${hidden.firstRaw} right after the handshake: ` +
          `about 2^${hidden.applied - (victim.shift ?? 0)} less, which only a shift of about ${hidden.applied} explains. At this capture point its ${syn.synAck ? "SYN-ACK" : "SYN"} says wscale ${seen}, ` +
          `so a box between the ${roleOf(conn, victim)} and here rewrote the shift from about ${hidden.applied} to ${seen}. ` +
          `The ${roleOf(conn, victim.peer)} reads its windows as ${formatBytes(victim.rawMax * 2 ** (victim.shift ?? 0))} at most instead of about ${formatBytes(victim.rawMax * 2 ** hidden.applied)}: ` +
          `throughput towards the ${roleOf(conn, victim)} is ${goodput(victim.peer)} (${windowRate(victim.rawMax * 2 ** (victim.shift ?? 0), rtt)} allowed at ${rttText(rtt)}).`,
        evidence: [
          {
            frame: syn.frame.frame,
            note: `${roleOf(conn, victim)}'s ${syn.synAck ? "SYN-ACK" : "SYN"} arrives with wscale ${seen}, window ${hidden.synWindow}`,
          },
          { frame: hidden.frame, note: `first window after the handshake: raw ${hidden.firstRaw}` },
        ],
        advice: scaleAdvice({
          host: victim,
          hostRole: roleOf(conn, victim),
          peer: victim.peer,
          tolerated: seen,
          pathProblem: `it rewrites the window-scale shift in ${roleOf(conn, victim)} SYNs to ${seen}`,
          rttSeconds: rtt,
        }),
      });
    }
  }
  return out;
}
