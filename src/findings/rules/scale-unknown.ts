import type { Connection } from "../../connections/connection.js";
import type { Endpoint } from "../../connections/endpoint.js";
import { formatBytes } from "../../kernel/units.js";
import { shiftBound } from "../applied-shift.js";
import type { Finding } from "../finding.js";
import { label, type RuleContext, roleOf } from "../rule.js";

/**
 * No usable handshake: the shift is unknown. Infer what the packets allow (window decrements
 * prove a shift; bytes in flight beyond the raw window give a lower bound), label it inferred,
 * and never present a raw window as the real one.
 */
export function scaleUnknown({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const receiver of [conn.client, conn.server]) {
    if (receiver.shift !== null || receiver.windows === 0) continue;
    const sender = receiver.peer;
    const ratio = sender.maxInFlightOverRaw;
    const lowerBound = ratio > 1 ? Math.ceil(Math.log2(ratio)) : 0;
    const bound = shiftBound(receiver);
    let inference: string;
    if (bound !== null && bound.shift === lowerBound) {
      inference = `Its window fell ${bound.falls} times as data arrived, which allows no shift above ${bound.shift}, and the ${roleOf(conn, sender)}'s bytes in flight need at least ${lowerBound}: it applies shift ${bound.shift} (inferred), windows of up to ${formatBytes(receiver.rawMax * 2 ** bound.shift)}.`;
    } else if (ratio > 1) {
      inference =
        `The ${roleOf(conn, sender)} had up to ${formatBytes(sender.maxInFlight)} in flight (counted only where the capture saw every byte), ` +
        `${ratio.toFixed(1)} times the raw window, so the shift is at least ${lowerBound} (inferred): windows of at least ${formatBytes(receiver.rawMax * 2 ** lowerBound)}.`;
    } else {
      inference = "Nothing sent towards it shows the shift; capture the handshake to know it.";
    }
    out.push({
      id: "scale-unknown",
      severity: "info",
      confidence: ratio > 1 ? "likely" : "possible",
      connection: summary.id,
      message: `The ${label(conn, receiver)}'s window-scale shift is unknown (${whyUnknown(conn, receiver)}); its raw windows (up to ${receiver.rawMax}) are not its real window. ${inference}`,
      evidence: [{ frame: receiver.rawFirstFrame, note: `first raw window seen: ${receiver.rawFirst}` }],
      advice: [],
    });
  }
  return out;
}

/** Which part of the handshake is missing or unreadable, in words. */
function whyUnknown(conn: Connection, e: Endpoint): string {
  const truncated = [conn.client, conn.server].find((x) => x.syn?.optionsTruncated);
  if (truncated?.syn) {
    return `the ${truncated.syn.synAck ? "SYN-ACK" : "SYN"}'s options were cut by the snapshot length`;
  }
  const c = conn.client.syn !== null;
  const s = conn.server.syn !== null;
  if (!c && !s)
    return `no handshake was captured${conn.rolesGuessed ? "; client and server are guessed from the ports" : ""}`;
  if (!s) return "the SYN was captured but not the SYN-ACK, and scaling needs both";
  if (!c) return "the SYN-ACK was captured but not the SYN, and scaling needs both";
  return e === conn.client ? "its SYN was not readable" : "its SYN-ACK was not readable";
}
