import { MAX_UNSCALED_WINDOW } from "../../kernel/linux-wscale.js";
import { declinedAdvice } from "../advice.js";
import type { Finding } from "../finding.js";
import { type RuleContext, rttText, windowBound, windowRate } from "../rule.js";
import { looksModern, vantage } from "../vantage.js";
import { synCookieEvidence } from "./syn-cookies.js";

/**
 * The SYN reached this capture point with the option and the answer carries none, and either
 * the capture is at the server itself (its TTL is still initial) or the server is an old stack:
 * the responder declined scaling.
 */
export function scaleDeclined({ conn, summary, servers }: RuleContext): Finding[] {
  const c = conn.client;
  const s = conn.server;
  if (c.syn === null || s.syn === null || c.offered.state !== "present" || s.offered.state !== "absent") return [];
  if (synCookieEvidence(conn, servers) !== null) return []; // syn-cookies: the server's answer, but not its setting
  const atServer = vantage(conn) === "server";
  if (!atServer && looksModern(s)) return []; // scale-stripped: the path may be the culprit
  const rtt = conn.rtt;
  const why = atServer
    ? "This capture was taken at the server (its packets still carry their initial TTL), so the SYN reached it intact and the server itself declined"
    : "The server's SYN-ACK looks like an old stack (no SACK-permitted, no timestamps), which may not implement RFC 7323 at all";
  return [
    {
      id: "scale-declined",
      // Seen at the server itself: its own setting, a warning. A guess from an old-looking answer is
      // a note unless the 64 KiB cap bound this transfer.
      severity: atServer || windowBound(conn) ? "warn" : "info",
      confidence: atServer ? "certain" : "possible",
      connection: summary.id,
      message:
        `The client's SYN offered window scaling (shift ${c.offered.shift}) and the server ${s.describe()} answered without it. ${why}: ` +
        `net.ipv4.tcp_window_scaling=0, or a stack without scaling. Windows are capped at ${MAX_UNSCALED_WINDOW} bytes both ways: ${windowRate(MAX_UNSCALED_WINDOW, rtt)} at ${rttText(rtt)}.`,
      evidence: [
        { frame: c.syn.frame.frame, note: `SYN with wscale ${c.offered.shift} (TTL ${c.syn.ttl})` },
        { frame: s.syn.frame.frame, note: `SYN-ACK without wscale (TTL ${s.syn.ttl})` },
      ],
      advice: declinedAdvice(conn),
    },
  ];
}
