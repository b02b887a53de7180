import { formatBytes } from "../../kernel/units.js";
import type { Finding } from "../finding.js";
import { label, type RuleContext, roleOf } from "../rule.js";

/**
 * No handshake captured: the shift is unknown. Infer the smallest one consistent with what the
 * peer had in flight, label it inferred, and never present a raw window as the real one.
 */
export function scaleUnknown({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const receiver of [conn.client, conn.server]) {
    if (receiver.shift !== null || receiver.windows === 0) continue;
    const sender = receiver.peer;
    const ratio = sender.maxInFlightOverRaw;
    const why = receiver.syn?.optionsTruncated
      ? `its ${receiver.syn.synAck ? "SYN-ACK" : "SYN"}'s options were cut by the snapshot length`
      : `no ${receiver === conn.client ? "SYN" : "SYN-ACK"} was captured`;
    const inferred = ratio > 1 ? Math.ceil(Math.log2(ratio)) : 0;
    out.push({
      id: "scale-unknown",
      severity: "info",
      confidence: ratio > 1 ? "likely" : "possible",
      connection: summary.id,
      message:
        `The ${label(conn, receiver)}'s window-scale shift is unknown (${why}); its raw windows (up to ${receiver.rawMax}) are not its real window. ` +
        (ratio > 1
          ? `The ${roleOf(conn, sender)} had up to ${formatBytes(sender.maxInFlight)} in flight, ${ratio.toFixed(1)} times the raw window, so the shift is at least ${inferred} (inferred): windows of at least ${formatBytes(receiver.rawMax * 2 ** inferred)}.`
          : "Nothing sent towards it shows the shift; capture the handshake to know it."),
      evidence: [{ frame: receiver.rawFirstFrame, note: `first raw window seen: ${receiver.rawFirst}` }],
      advice: [],
    });
  }
  return out;
}
