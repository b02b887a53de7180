import { formatBits, formatBytes } from "../../kernel/units.js";
import type { Finding } from "../finding.js";
import { goodput, label, type RuleContext, roleOf, rttText, windowFullShare, windowRate } from "../rule.js";

/** Enough segments to speak of "most round trips". */
const MIN_SEGMENTS = 20;

/**
 * The sender kept its bytes in flight within one MSS of the receive window for most of the
 * transfer: the receive window, not the network, set the pace.
 */
export function windowLimited({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  const rtt = conn.rtt;
  for (const sender of [conn.client, conn.server]) {
    const receiver = sender.peer;
    const share = windowFullShare(sender);
    if (receiver.shift === null || sender.dataSegments - sender.retransmissions < MIN_SEGMENTS || share < 0.5) continue;
    const window = receiver.rawMax * 2 ** receiver.shift;
    const need = (bits: number) => formatBytes(Math.ceil((bits / 8) * rtt));
    out.push({
      id: "window-limited",
      severity: "info",
      confidence: "likely",
      connection: summary.id,
      message:
        `On ${Math.round(share * 100)}% of its segments the ${label(conn, sender)} had the ${roleOf(conn, receiver)}'s whole receive window in flight: ` +
        `the window (at most ${formatBytes(window)}) bounds this transfer to ${windowRate(window, rtt)} at ${rttText(rtt)}; it reached ${goodput(sender)}.` +
        (rtt > 0
          ? ` At this RTT, ${formatBits(1e8)} needs a window of ${need(1e8)} and ${formatBits(1e9)} one of ${need(1e9)}.`
          : ""),
      evidence: [{ frame: sender.maxInFlightFrame, note: `largest bytes in flight: ${sender.maxInFlight}` }],
      advice: [],
    });
  }
  return out;
}
