import { isStackPadding, layoutText, restoredLayout } from "../../connections/stacks.js";
import { MAX_UNSCALED_WINDOW } from "../../kernel/linux-wscale.js";
import { declinedAdvice } from "../advice.js";
import { appliedShift } from "../applied-shift.js";
import type { Advice, Finding } from "../finding.js";
import { type RuleContext, rttText, windowBound, windowRate } from "../rule.js";
import { looksModern, vantage } from "../vantage.js";
import { MIN_RUN } from "./option-cleared-nops.js";
import { synCookieEvidence } from "./syn-cookies.js";

/**
 * The client offered scaling and the server's SYN-ACK carries none, although the server's stack
 * evidently supports scaling. Proven stripped on the path when the server's own windows show it
 * scales, or when NOPs stand where the option was; otherwise "stripped or disabled on the peer".
 * At the server's own capture point this is scale-declined instead.
 */
export function scaleStripped({ conn, summary, servers }: RuleContext): Finding[] {
  const c = conn.client;
  const s = conn.server;
  if (c.syn === null || s.syn === null || c.offered.state !== "present" || s.offered.state !== "absent") return [];
  if (!looksModern(s) || vantage(conn) === "server" || synCookieEvidence(conn, servers) !== null) return [];
  const hidden = appliedShift(s);
  const nops = s.syn.longestNopRun >= MIN_RUN && !isStackPadding(s.syn.optionKinds, true);
  // NOPs exactly where a known stack puts wscale: the stack sent it and a box overwrote it in place.
  const slot = nops ? restoredLayout(s.syn.optionKinds, true, 3) : null;
  const nopEvidence = {
    frame: s.syn.frame.frame,
    note: slot
      ? `${s.syn.longestNopRun} NOPs in a row in the SYN-ACK, exactly where ${slot.rows[0]!.label} puts wscale`
      : `${s.syn.longestNopRun} NOPs in a row in the SYN-ACK, where an option was overwritten`,
  };
  const rtt = conn.rtt;
  const limited = windowBound(conn);
  const cap = `Scaling is off both ways, so every window is capped at ${MAX_UNSCALED_WINDOW} bytes: ${windowRate(MAX_UNSCALED_WINDOW, rtt)} at ${rttText(rtt)}${limited ? ", and this transfer hit that cap" : ""}.`;
  const evidence = [
    { frame: c.syn.frame.frame, note: `client offers wscale ${c.offered.shift}` },
    {
      frame: s.syn.frame.frame,
      note: `SYN-ACK without wscale, but with ${[s.syn.sackPermitted && "SACK-permitted", s.syn.timestamps && "timestamps"].filter(Boolean).join(" and ") || "a modern option layout"}`,
    },
  ];
  const path: Advice = {
    kind: "path",
    command: `find the box between ${c.describe()} and ${s.describe()} that removes the window-scale option and let it pass`,
    why: "e.g. Cisco ACE `tcp-options window-scale allow`; a Linux firewall rule with TCPOPTSTRIP or `reset tcp option window`. No shift setting helps while the option is removed entirely",
  };
  let message: string;
  let confidence: Finding["confidence"] = "possible";
  let direction: Finding["direction"];
  if (hidden?.kind === "larger") {
    // Two independent proofs (the server's windows and the NOPs in the option's slot) make it certain.
    confidence = slot ? "certain" : hidden.confidence;
    direction = "server-to-client";
    evidence.push({
      frame: hidden.frame,
      note: `${hidden.note}: the server scales by about ${hidden.applied}`,
    });
    if (nops) evidence.push(nopEvidence);
    message =
      `The client offered window scaling (shift ${c.offered.shift}) and the SYN-ACK reached this point without it, yet the server scales its windows ` +
      `(${hidden.note}): a shift of about ${hidden.applied}. The server did send the option; ` +
      `a box between the server and this capture point stripped it. The two ends now disagree: the client reads the server's windows unscaled. ${cap}`;
  } else if (nops) {
    confidence = slot ? "certain" : "likely";
    direction = "server-to-client";
    evidence.push(nopEvidence);
    message =
      `The client offered window scaling (shift ${c.offered.shift}); the SYN-ACK carries none but a run of ${s.syn.longestNopRun} NOPs where the option stood` +
      `${slot ? ` (with wscale back in their place the layout is ${layoutText(slot.kinds)}, a known stack's)` : ""}: ` +
      `a box between the server and this capture point overwrote it. ${cap}`;
  } else {
    message =
      `The client offered window scaling (shift ${c.offered.shift}) and the server answered without it, although its stack supports scaling ` +
      `(${evidence[1]!.note.replace("SYN-ACK without wscale, but with ", "it sent ")}). Either a box on the path stripped the option (from the SYN on its way to the server, ` +
      `or from the SYN-ACK), or scaling is disabled on the server (net.ipv4.tcp_window_scaling=0). To tell them apart, capture at the server as well and compare the SYN there: ` +
      `if it arrives without wscale or with NOPs in its place, the path strips it; if it arrives intact, the server declined. ${cap}`;
  }
  const advice: Advice[] = [path];
  if (confidence === "possible") {
    advice.push(...declinedAdvice(conn, "in case scaling is disabled there"));
  }
  return [
    {
      id: "scale-stripped",
      // Proven on the path: a warning, an error when it capped this transfer. "Stripped, or disabled on
      // the server" is a note unless it capped the transfer.
      severity: confidence === "possible" ? (limited ? "warn" : "info") : limited ? "error" : "warn",
      confidence,
      connection: summary.id,
      ...(direction ? { direction } : {}),
      message,
      evidence,
      advice,
      ...(hidden?.kind === "larger"
        ? { readAs: [{ side: "server" as const, applied: hidden.applied, readWith: 0 }] }
        : {}),
    },
  ];
}
