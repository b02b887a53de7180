import { MAX_UNSCALED_WINDOW } from "../../kernel/linux-wscale.js";
import { formatBytes } from "../../kernel/units.js";
import { tooSmallAdvice } from "../advice.js";
import type { Finding } from "../finding.js";
import { label, type RuleContext, roleOf, rttText, windowFullShare, windowRate } from "../rule.js";

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
      receiver.rawMax < MAX_UNSCALED_WINDOW * 0.9 ||
      windowFullShare(sender) < 0.5 ||
      sender.flights < 10
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
