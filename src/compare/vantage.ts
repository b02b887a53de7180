import type { ConnectionSummary } from "../connections/summary.js";
import type { Side, SideBy, VantageLabel } from "./types.js";

export interface SideVerdict {
  side: Side;
  by: SideBy | null;
}

/** A SYN to SYN-ACK gap must differ by this much (and by a quarter) to say which capture is nearer the client. */
const MIN_GAP_DIFF_S = 0.0005;

/**
 * Where capture A sits relative to capture B for one connection seen in both ("client": nearer
 * the client). In order of trust:
 * - TTL: every router on the way lowers it, so the same SYN carries a higher TTL at the capture
 *   nearer the client, and the same SYN-ACK a higher TTL nearer the server;
 * - the SYN to SYN-ACK gap, which needs no synchronised clocks: nearer the client it spans the
 *   round trip to the server, nearer the server only the server's answer time;
 * - absolute times, when both agree: the SYN passes the client side first and the SYN-ACK the
 *   server side first.
 * For a proxy the two captures hold different packets, so only the SYN order is used.
 */
export function sideOfA(a: ConnectionSummary, b: ConnectionSummary, proxy: boolean): SideVerdict {
  const ac = a.client.syn;
  const bc = b.client.syn;
  const as = a.server.syn;
  const bs = b.server.syn;
  if (proxy) {
    if (ac?.time != null && bc?.time != null && ac.time !== bc.time)
      return { side: ac.time < bc.time ? "client" : "server", by: "time" };
    return { side: "unknown", by: null };
  }
  let votes = 0;
  if (ac && bc) votes += Math.sign(ac.ttl - bc.ttl);
  if (as && bs) votes += Math.sign(bs.ttl - as.ttl);
  if (votes !== 0) return { side: votes > 0 ? "client" : "server", by: "ttl" };
  if (ac?.time != null && as?.time != null && bc?.time != null && bs?.time != null) {
    const gapA = as.time - ac.time;
    const gapB = bs.time - bc.time;
    const diff = gapA - gapB;
    if (Math.abs(diff) > Math.max(MIN_GAP_DIFF_S, 0.25 * Math.max(Math.abs(gapA), Math.abs(gapB))))
      return { side: diff > 0 ? "client" : "server", by: "handshake-gap" };
    if (ac.time < bc.time && as.time > bs.time) return { side: "client", by: "time" };
    if (ac.time > bc.time && as.time < bs.time) return { side: "server", by: "time" };
  }
  return { side: "unknown", by: null };
}

export function otherSide(s: Side): Side {
  return s === "client" ? "server" : s === "server" ? "client" : "unknown";
}

/** One label per capture over all its connections. */
export function vantageLabel(sides: Side[]): VantageLabel {
  const known = new Set(sides.filter((s) => s !== "unknown"));
  if (known.size === 0) return "unknown";
  if (known.size > 1) return "mixed";
  return known.has("client") ? "client side" : "server side";
}

/** The side most connections agree on, for those where nothing told. */
export function majoritySide(sides: Side[]): Side {
  let client = 0;
  let server = 0;
  for (const s of sides) {
    if (s === "client") client++;
    else if (s === "server") server++;
  }
  return client > server ? "client" : server > client ? "server" : "unknown";
}
