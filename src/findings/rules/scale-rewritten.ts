import type { Endpoint } from "../../connections/endpoint.js";
import { qualityCaveat } from "../../connections/quality.js";
import { formatBytes } from "../../kernel/units.js";
import { scaleAdvice } from "../advice.js";
import { appliedShift } from "../applied-shift.js";
import type { Confidence, Finding } from "../finding.js";
import { directionFrom, goodput, label, type RuleContext, roleOf, rttText, windowRate } from "../rule.js";

/** ACK-clocked flights that stopped at the rewritten edge before we call it: one or two can be chance. */
export const MIN_ROUNDS = 3;
/** ... and before we call it likely rather than possible. */
export const LIKELY_ROUNDS = 5;
/** Share of the sender's flights that must have stopped at that edge. */
export const MIN_EDGE_SHARE = 0.5;
/** Share of flights that may go beyond it (a lost or swapped ACK in the capture makes one look so). */
export const MAX_BEYOND_SHARE = 0.1;
/** On a poor capture, this many times LIKELY_ROUNDS before we call it likely. */
export const POOR_ROUNDS_FACTOR = 4;

/**
 * The seed case: a box rewrote a SYN's shift (usually to 0). Two proofs, one per vantage point:
 * - near the victim: flight after flight the peer stops exactly at an ack + (raw window << s')
 *   with s' < s, ACK-clocked (it sends as soon as the victim's pure ACK reaches it), and almost
 *   never goes beyond: the peer applies s'. Reasoned from the ACKs the peer may have had (the
 *   last few, or the one that would cover everything before the segment), so one ACK missing
 *   from the capture or a swapped pair does not hide it;
 * - near the peer: the victim's own windows show it shifts by more than its SYN says here.
 */
export function scaleRewritten(ctx: RuleContext): Finding[] {
  const { conn } = ctx;
  const out: Finding[] = [];
  if (conn.scaling !== "on") return out;
  for (const victim of [conn.client, conn.server]) {
    if (victim.shift === null || victim.syn === null) continue;
    // When the peer does not scale at all, scale-asymmetric says it (it explains this too).
    if (appliedShift(victim.peer)?.kind === "none") continue;
    const f = fromSenderEdges(ctx, victim) ?? fromVictimWindows(ctx, victim);
    if (f !== null) out.push(f);
  }
  return out;
}

function fromSenderEdges(ctx: RuleContext, victim: Endpoint): Finding | null {
  const { conn, summary, quality } = ctx;
  const sender = victim.peer;
  const s = victim.shift!;
  const syn = victim.syn!;
  const hits = sender.edgeFlights;
  if (hits === null || s === 0) return null;
  let used = 0;
  for (let k = 1; k < s; k++) if (hits[k]! > hits[used]!) used = k;
  const rounds = hits[used]!;
  const flights = sender.flights;
  const beyond = sender.flightsBeyond(used);
  if (rounds < MIN_ROUNDS || rounds < flights * MIN_EDGE_SHARE || beyond > flights * MAX_BEYOND_SHARE) return null;
  const caveat = qualityCaveat(quality);
  // A poor capture weakens a pattern only while it is thin: dozens of clocked rounds at the edge stay likely.
  const needed = quality.quality === "poor" ? POOR_ROUNDS_FACTOR * LIKELY_ROUNDS : LIKELY_ROUNDS;
  const confidence: Confidence = rounds >= needed ? "likely" : "possible";
  const raw = victim.rawMax;
  const believed = raw * 2 ** used;
  const real = raw * 2 ** s;
  const rtt = conn.rtt;
  const what = syn.synAck ? "SYN-ACK" : "SYN";
  return {
    id: "scale-rewritten",
    severity: "error",
    confidence,
    connection: summary.id,
    direction: directionFrom(conn, victim),
    message:
      `In ${rounds} of its ${flights} flights the ${label(conn, sender)} stopped exactly at the ${roleOf(conn, victim)}'s raw window shifted by ${used}` +
      `${used === 0 ? " (that is, unscaled)" : ""}, each sent as soon as the ${roleOf(conn, victim)}'s ACK reached it` +
      (beyond > 0 ? `, and went beyond that edge in only ${beyond}` : ", and never went beyond it") +
      `, although the ${roleOf(conn, victim)} offered shift ${s}: its window of ${raw} means ${formatBytes(real)}, but the ${roleOf(conn, sender)} reads it as ${formatBytes(believed)}. ` +
      `A box on the path rewrote the window-scale shift in the ${roleOf(conn, victim)}'s ${what} from ${s} to ${used}. ` +
      `Throughput ${goodput(sender)}, ${believed} bytes per ${rttText(rtt)} round trip; the offered window would allow ${windowRate(real, rtt)}.` +
      (caveat ? ` ${caveat}` : ""),
    evidence: [
      { frame: syn.frame.frame, note: `${roleOf(conn, victim)} offers wscale ${s}` },
      {
        frame: victim.rawFirstFrame,
        note: `${roleOf(conn, victim)} advertises raw window ${victim.rawFirst} (${victim.rawFirst * 2 ** s} bytes with shift ${s})`,
      },
      {
        frame: sender.edgeFlightFrame,
        note: `${roleOf(conn, sender)}'s data ends exactly at ack + raw window << ${used}`,
      },
    ],
    advice: scaleAdvice({
      host: victim,
      hostRole: roleOf(conn, victim),
      peer: sender,
      tolerated: used,
      pathProblem: `it rewrites the window-scale shift in ${roleOf(conn, victim)} ${what}s from ${s} to ${used}`,
      rttSeconds: rtt,
    }),
    readAs: [{ side: roleOf(conn, victim), applied: s, readWith: used }],
  };
}

function fromVictimWindows(ctx: RuleContext, victim: Endpoint): Finding | null {
  const { conn, summary, quality } = ctx;
  // The proof is read from captured window fields, which a missing record cannot change: the
  // confidence stands, but the reader is told what the capture lacks.
  const caveat = qualityCaveat(quality);
  const proof = appliedShift(victim);
  const syn = victim.syn!;
  if (proof?.kind !== "larger" || victim.offered.state !== "present") return null;
  const seen = victim.shift!;
  const what = syn.synAck ? "SYN-ACK" : "SYN";
  const peer = victim.peer;
  const rtt = conn.rtt;
  const read = victim.rawMax * 2 ** seen;
  return {
    id: "scale-rewritten",
    severity: "error",
    confidence: proof.confidence,
    connection: summary.id,
    direction: directionFrom(conn, victim),
    message:
      `The ${label(conn, victim)} shifts its windows by about ${proof.applied} (${proof.note}), but at this capture point its ${what} says wscale ${seen}: ` +
      `a box between the ${roleOf(conn, victim)} and here rewrote the shift from about ${proof.applied} to ${seen}. ` +
      `The ${roleOf(conn, peer)} reads its windows as ${formatBytes(read)} at most instead of about ${formatBytes(victim.rawMax * 2 ** proof.applied)}: ` +
      `throughput towards the ${roleOf(conn, victim)} is ${goodput(peer)} (${windowRate(read, rtt)} allowed at ${rttText(rtt)}).` +
      (caveat ? ` ${caveat}` : ""),
    evidence: [
      {
        frame: syn.frame.frame,
        note: `${roleOf(conn, victim)}'s ${what} arrives with wscale ${seen}, window ${syn.window}`,
      },
      { frame: proof.frame, note: proof.note },
    ],
    advice: scaleAdvice({
      host: victim,
      hostRole: roleOf(conn, victim),
      peer,
      tolerated: seen,
      pathProblem: `it rewrites the window-scale shift in ${roleOf(conn, victim)} ${what}s to ${seen}`,
      rttSeconds: rtt,
    }),
    readAs: [{ side: roleOf(conn, victim), applied: proof.applied, readWith: seen }],
  };
}
