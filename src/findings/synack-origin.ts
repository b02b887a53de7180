/**
 * Did the server answer the SYN, or a box in front of it? A NAT that connects on its own behalf (VirtualBox or
 * QEMU user-mode networking, a transparent proxy), a SYN proxy (Linux SYNPROXY, a DDoS scrubber) or a load
 * balancer builds its own SYN-ACK, with its own options: advice about "the server" is then advice about that box.
 * Each test below is one fact the packets show; none alone accuses anything, the verdict says how sure it is.
 */

import type { Connection } from "../connections/connection.js";
import { inferOs, initialTtlOf } from "../connections/os.js";
import { formatDuration } from "../kernel/units.js";

/** slirp: VirtualBox/QEMU user-mode NAT; linux-synproxy: its SYN-ACK window 0 says so; syn-proxy: another one. */
export type SynAckOriginKind = "slirp" | "nat-or-proxy" | "linux-synproxy" | "syn-proxy" | "load-balancer";

export interface SynAckOrigin {
  kind: SynAckOriginKind;
  confidence: "likely" | "possible";
  /** The box in words, for messages and advice: "a NAT or proxy next to the client". */
  box: string;
  evidence: string[];
}

/** slirp (VirtualBox NAT, QEMU -netdev user) starts its ISNs at 1 and steps them by TCP_ISSINCR / 2 = 64000. */
const SLIRP_ISN_STEP = 64000;
/** The data round trip must exceed the SYN-ACK's delay by at least this much to count as "far slower". */
const FAST_ANSWER_S = 0.002;
/** A SYN-ACK that crossed no router yet came this late was not made on the same link by the server itself. */
const SLOW_LOCAL_ANSWER_S = 0.01;

/** Where the SYN-ACK came from when the packets point to something other than the server; null when nothing does. */
export function synAckOrigin(conn: Connection): SynAckOrigin | null {
  const c = conn.client;
  const s = conn.server;
  const syn = c.syn;
  const synAck = s.firstSyn ?? s.syn;
  if (syn === null || synAck === null || !synAck.synAck) return null;
  const evidence: string[] = [];
  const delay = synAck.time - syn.time;
  const clientSide = syn.ttl > 0 && initialTtlOf(syn.ttl) === syn.ttl;

  // 1. Linux SYNPROXY answers with window 0 (nf_synproxy_core.c, synproxy_send_client_synack); a stack never does.
  const zeroWindow = synAck.window === 0;
  if (zeroWindow)
    evidence.push("SYN-ACK window 0: Linux SYNPROXY answers with window 0, a server's own stack never does");

  // 2. Another SYN-ACK for the same connection came with another TTL: two senders.
  const other = s.otherTtlSyn;
  const twoSenders = other !== null;
  if (twoSenders) {
    evidence.push(
      `a later SYN-ACK (frame ${other.frame.frame}) came with TTL ${other.ttl}, the first with ${synAck.ttl}: two senders`,
    );
  }

  // 3. The server's data arrives with another TTL than the SYN-ACK: it comes from further away.
  const dataDiffers = s.dataTtl > 0 && synAck.ttl > 0 && s.dataTtl !== synAck.ttl;
  if (dataDiffers) {
    evidence.push(
      `SYN-ACK TTL ${synAck.ttl}, the server's data TTL ${s.dataTtl}: ${Math.abs(synAck.ttl - s.dataTtl)} hop(s) ${s.dataTtl < synAck.ttl ? "further" : "nearer"} than the SYN-ACK`,
    );
  }

  // 4. The SYN-ACK came back much faster than the data round trip. Alone it proves nothing (a server that
  // delays its ACKs makes data round trips look long); it only firms up the tests above.
  const dataRtt = s.halfRttSamples >= 3 ? s.halfRttMin : Number.NaN;
  const fast = clientSide && delay >= 0 && dataRtt > 0 && delay * 4 < dataRtt && dataRtt - delay > FAST_ANSWER_S;
  if (fast) {
    evidence.push(
      `the SYN-ACK came ${formatDuration(delay)} after the SYN, the server's data round trips take at least ${formatDuration(dataRtt)}`,
    );
  }

  // 5. Captured at the client, the SYN-ACK crossed no router (initial TTL) yet took long: made by a box on the link.
  const slowLocal =
    clientSide && synAck.ttl > 0 && initialTtlOf(synAck.ttl) === synAck.ttl && delay >= SLOW_LOCAL_ANSWER_S;
  if (slowLocal) {
    evidence.push(
      `SYN-ACK TTL ${synAck.ttl} crossed no router, yet it came ${formatDuration(delay)} after the SYN: the answer was made on this link, after a round trip further away`,
    );
  }
  const slirp = slowLocal && synAck.isn % SLIRP_ISN_STEP === 1;
  if (slirp) {
    evidence.push(
      `SYN-ACK ISN ${synAck.isn} = 1 + ${(synAck.isn - 1) / SLIRP_ISN_STEP} x ${SLIRP_ISN_STEP}: the ISN series of slirp (VirtualBox NAT, QEMU user-mode networking)`,
    );
  }

  // 6. The SYN-ACK's layout is a known stack's, but from a host that starts at another TTL.
  const os = inferOs(s);
  const foreign =
    os.family === "unknown" ? os.evidence.find((e) => e.includes("not of a stack starting at")) : undefined;
  if (foreign !== undefined) evidence.push(foreign);

  if (slowLocal && !zeroWindow) {
    return {
      kind: slirp ? "slirp" : "nat-or-proxy",
      confidence: slirp || dataDiffers || twoSenders ? "likely" : "possible",
      box: slirp ? "the VirtualBox/QEMU user-mode NAT (slirp) next to the client" : "a NAT or proxy next to the client",
      evidence,
    };
  }
  if (zeroWindow || twoSenders || dataDiffers) {
    const strong = (zeroWindow ? 1 : 0) + (twoSenders ? 1 : 0) + (dataDiffers ? 1 : 0) + (fast ? 1 : 0);
    return {
      kind: zeroWindow ? "linux-synproxy" : "syn-proxy",
      confidence: strong >= 2 ? "likely" : "possible",
      box: zeroWindow
        ? "the SYN proxy (Linux SYNPROXY) in front of the server"
        : "a SYN proxy or load balancer in front of the server",
      evidence,
    };
  }
  if (foreign !== undefined) {
    return {
      kind: "load-balancer",
      confidence: "possible",
      box: "a load balancer or proxy in front of the server",
      evidence,
    };
  }
  return null;
}
