import { MAX_UNSCALED_WINDOW } from "../../kernel/linux-wscale.js";
import { formatBytes } from "../../kernel/units.js";
import { tooSmallAdvice } from "../advice.js";
import type { Finding } from "../finding.js";
import { label, type RuleContext, roleOf, rttText, windowFullShare, windowRate } from "../rule.js";

/** The receiver's largest raw window must reach this share of 65535 ... */
export const NEAR_CEILING = 0.9;
/** ... while the sender filled it in this share of at least MIN_FLIGHTS flights. */
export const FULL_SHARE = 0.5;
export const MIN_FLIGHTS = 10;

/**
 * Scaling works, but the receiver's window sits at the largest its shift can express while the
 * sender is window-limited: 65535 << shift is below what the path needs.
 */
export function scaleTooSmall({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  if (conn.scaling !== "on") return out;
  const rtt = conn.rtt;
  for (const receiver of [conn.client, conn.server]) {
    const sender = receiver.peer;
    const s = receiver.shift;
    if (
      s === null ||
      receiver.rawMax < MAX_UNSCALED_WINDOW * NEAR_CEILING ||
      windowFullShare(sender) < FULL_SHARE ||
      sender.flights < MIN_FLIGHTS
    )
      continue;
    const ceiling = MAX_UNSCALED_WINDOW * 2 ** s;
    out.push({
      id: "scale-too-small",
      severity: "warn",
      confidence: "likely",
      connection: summary.id,
      message:
        `The ${label(conn, receiver)} uses shift ${s}, so its window can never exceed 65535 << ${s} = ${formatBytes(ceiling)}, and it sat at that ceiling ` +
        `(raw ${receiver.rawMax}) while the ${roleOf(conn, sender)} was window-limited: ${windowRate(ceiling, rtt)} at ${rttText(rtt)} is all this connection can do.`,
      evidence: [{ frame: sender.maxInFlightFrame, note: `largest bytes in flight: ${sender.maxInFlight}` }],
      advice: tooSmallAdvice(conn, receiver),
    });
  }
  return out;
}
