import { formatBits, formatBytes } from "../../kernel/units.js";
import type { Finding } from "../finding.js";
import { goodput, label, type RuleContext, roleOf, rttText, windowFullShare, windowRate } from "../rule.js";

/** Enough flights to speak of "most round trips". */
export const MIN_FLIGHTS = 10;
/** Share of them that filled the window. */
export const FULL_SHARE = 0.5;

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
    if (receiver.shift === null || sender.flights < MIN_FLIGHTS || share < FULL_SHARE) continue;
    const window = receiver.rawMax * 2 ** receiver.shift;
    const need = (bits: number) => formatBytes(Math.ceil((bits / 8) * rtt));
    out.push({
      id: "window-limited",
      severity: "info",
      confidence: "likely",
      connection: summary.id,
      message:
        `In ${Math.round(share * 100)}% of its ${sender.flights} flights the ${label(conn, sender)} filled the ${roleOf(conn, receiver)}'s receive window: ` +
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
