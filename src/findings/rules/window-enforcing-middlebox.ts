import { qualityCaveat } from "../../connections/quality.js";
import type { Finding } from "../finding.js";
import { directionFrom, label, type RuleContext, roleOf } from "../rule.js";

/** Loss episodes that started at the unscaled edge before a box is considered at all. */
export const MIN_EDGE_EPISODES = 3;
/** Share of loss episodes that must start there. */
export const MIN_EDGE_SHARE = 0.75;
/** Largest chance that random loss put that many episodes at the edge. */
export const MAX_CHANCE = 1e-4;
/** Episodes at the edge before the box is likely rather than possible (on a capture that is not poor). */
export const LIKELY_EDGE_EPISODES = 10;

/**
 * A stateful firewall that tracks windows without the scale lets data through only up to
 * ack + raw window and drops the rest. Its signature, all of it required:
 * - loss episodes start (their first lost byte) within one MSS of the unscaled edge of the
 *   receiver's ACK before (ack + raw window), far more often than chance puts them there (Poisson
 *   tail of the per-episode chance: two MSS out of the bytes in flight), and hardly ever below it;
 * - segments were sent well beyond that edge, and none of them ever arrived on its first
 *   transmission: one acknowledged without being sent again refutes the box (random loss
 *   delivers nearly all of them);
 * - the receiver's shift is known and not 0 (with no scaling, raw and scaled edges are the same).
 */
export function windowEnforcingMiddlebox({ conn, summary, quality }: RuleContext): Finding[] {
  const out: Finding[] = [];
  if (conn.scaling !== "on") return out;
  for (const sender of [conn.client, conn.server]) {
    const receiver = sender.peer;
    const n = sender.lossEpisodes;
    const atEdge = sender.edgeEpisodes;
    // The box must have had something to drop, and must never have let it through.
    if (receiver.shift === null || receiver.shift === 0 || sender.deliveredBeyondEdge > 0) continue;
    if (sender.beyondEdgeWatched < MIN_EDGE_EPISODES) continue;
    if (atEdge < MIN_EDGE_EPISODES || atEdge < n * MIN_EDGE_SHARE || sender.edgeEpisodeFrame === 0) continue;
    const expected = sender.edgeChance;
    const chance = poissonTail(expected, atEdge);
    if (chance > MAX_CHANCE) continue;
    const caveat = qualityCaveat(quality);
    out.push({
      id: "window-enforcing-middlebox",
      severity: "error",
      confidence: quality.quality === "poor" ? "possible" : atEdge >= LIKELY_EDGE_EPISODES ? "likely" : "possible",
      connection: summary.id,
      direction: directionFrom(conn, sender),
      message:
        `${atEdge} of the ${label(conn, sender)}'s ${n} loss episodes began within one segment of the ${roleOf(conn, receiver)}'s unscaled window edge (the ACK before + raw window), ` +
        `where random loss would put about ${expected.toFixed(2)} of them (chance of ${atEdge} or more: ${formatChance(chance)}); ${sender.belowEdgeEpisodes} began below it, ` +
        `and none of the ${sender.beyondEdgeWatched} segments it sent well beyond that edge arrived on its first transmission. A stateful firewall on the path tracks windows without the scale factor ` +
        `(shift ${receiver.shift}) and drops what it thinks is out of window.` +
        (caveat ? ` ${caveat}` : ""),
      evidence: [{ frame: sender.edgeEpisodeFrame, note: "first loss episode starting at the unscaled window edge" }],
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

/** P(X >= k) for X ~ Poisson(lambda): the chance of at least k edge hits from random loss. */
export function poissonTail(lambda: number, k: number): number {
  if (k <= 0) return 1;
  let term = Math.exp(-lambda);
  let below = term;
  for (let i = 1; i < k; i++) {
    term *= lambda / i;
    below += term;
  }
  return Math.max(0, 1 - below);
}

function formatChance(p: number): string {
  return p < 1e-6 ? "below 1 in a million" : `1 in ${Math.round(1 / p).toLocaleString("en-US")}`;
}
