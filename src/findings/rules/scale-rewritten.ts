import type { Connection } from "../../connections/connection.js";
import type { Endpoint } from "../../connections/endpoint.js";
import { qualityCaveat } from "../../connections/quality.js";
import { MAX_SHIFT } from "../../connections/wscale.js";
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
  if (conn.scaling === "unknown") {
    for (const victim of [conn.client, conn.server]) {
      const f = withoutPeerSyn(ctx, victim);
      if (f !== null) out.push(f);
    }
  }
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

/** The shift below `s` the sender's flights stopped at most often, when they did so often enough. */
function edgeBelow(sender: Endpoint, s: number, minRounds: number) {
  const hits = sender.edgeFlights;
  if (hits === null || s === 0) return null;
  let used = 0;
  for (let k = 1; k < s; k++) if (hits[k]! > hits[used]!) used = k;
  const rounds = hits[used]!;
  const flights = sender.flights;
  const beyond = sender.flightsBeyond(used);
  if (rounds < minRounds || rounds < flights * MIN_EDGE_SHARE || beyond > flights * MAX_BEYOND_SHARE) return null;
  return { used, rounds, flights, beyond };
}

function edgeText(conn: Connection, victim: Endpoint, e: NonNullable<ReturnType<typeof edgeBelow>>): string {
  const v = roleOf(conn, victim);
  return (
    `In ${e.rounds} of its ${e.flights} flights the ${label(conn, victim.peer)} stopped exactly at the ${v}'s raw window shifted by ${e.used}` +
    `${e.used === 0 ? " (that is, unscaled)" : ""}, each sent as soon as the ${v}'s ACK reached it` +
    (e.beyond > 0 ? `, and went beyond that edge in only ${e.beyond}` : ", and never went beyond it")
  );
}

function fromSenderEdges(ctx: RuleContext, victim: Endpoint): Finding | null {
  const { conn, summary, quality } = ctx;
  const sender = victim.peer;
  const s = victim.shift!;
  const syn = victim.syn!;
  const edge = edgeBelow(sender, s, MIN_ROUNDS);
  if (edge === null) return null;
  const { used, rounds } = edge;
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
      edgeText(conn, victim, edge) +
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

/**
 * The peer's SYN (or SYN-ACK) is missing from the capture, so the negotiated shift is unknown, but
 * the sender's flights still stop at the victim's raw window << s' with s' below its offer. The
 * innocent reading, scaling off, needs the victim to advertise, unscaled, less than one segment of
 * its own MSS for the whole transfer, which a receiver does not do (RFC 1122 4.2.3.3, silly
 * window avoidance): its small raw windows say it scales them. Possible, not likely: a warn.
 */
function withoutPeerSyn(ctx: RuleContext, victim: Endpoint): Finding | null {
  const { conn, summary } = ctx;
  const syn = victim.syn;
  const sender = victim.peer;
  if (syn === null || sender.syn !== null || victim.offered.state !== "present") return null;
  const s = Math.min(victim.offered.shift, MAX_SHIFT);
  const edge = edgeBelow(sender, s, LIKELY_ROUNDS);
  if (edge === null) return null;
  const believed = victim.rawMax * 2 ** edge.used;
  if (believed >= victim.mssHint) return null;
  const v = roleOf(conn, victim);
  const p = roleOf(conn, sender);
  const what = syn.synAck ? "SYN-ACK" : "SYN";
  const missing = syn.synAck ? "SYN" : "SYN-ACK";
  return {
    id: "scale-rewritten",
    severity: "warn",
    confidence: "possible",
    connection: summary.id,
    direction: directionFrom(conn, victim),
    message:
      `The ${p}'s ${missing} is not in this capture, so the negotiated shift is unknown. ` +
      edgeText(conn, victim, edge) +
      `: it reads the ${v}'s windows (raw up to ${victim.rawMax}) as ${formatBytes(believed)}, less than one ${victim.mssHint}-byte segment. ` +
      `The ${v} offered shift ${s}, and a receiver does not advertise less than one segment for a whole transfer (RFC 1122 silly window avoidance), so it scales its windows: ` +
      `the ${missing} most likely carried wscale too, and a box on the path possibly rewrote the shift in the ${v}'s ${what} from ${s} to ${edge.used}` +
      // A SYN-ACK's option removed on the way leaves the client unscaled too; a SYN's would have turned the client's scaling off.
      `${syn.synAck && edge.used === 0 ? ", or removed it" : ""}. ` +
      `Capture the handshake (here, or at the ${p}) to confirm. Throughput ${goodput(sender)}.`,
    evidence: [
      { frame: syn.frame.frame, note: `${v} offers wscale ${s}; the ${p}'s ${missing} was not captured` },
      { frame: victim.rawFirstFrame, note: `${v} advertises raw window ${victim.rawFirst}` },
      { frame: sender.edgeFlightFrame, note: `${p}'s data ends exactly at ack + raw window << ${edge.used}` },
    ],
    advice: [],
    readAs: [{ side: v, applied: s, readWith: edge.used }],
  };
}
