import type { Connection } from "../connections/connection.js";
import type { Endpoint } from "../connections/endpoint.js";

/** TTLs stacks start with: a packet still carrying one has crossed no router. */
const INITIAL_TTLS = new Set([32, 64, 128, 255]);

/** The packet was captured where it was sent (its TTL was never decremented). */
export function hasInitialTtl(ttl: number): boolean {
  return INITIAL_TTLS.has(ttl);
}

/**
 * Where the capture was taken, told by the TTL of each side's SYN: the local side's packets still
 * carry their initial TTL, the far side's were decremented on the way.
 */
export type Vantage = "client" | "server" | "path" | "unknown";

export function vantage(conn: Connection): Vantage {
  const c = conn.client.syn;
  const s = conn.server.syn;
  if (c === null || s === null) return "unknown";
  const cLocal = hasInitialTtl(c.ttl);
  const sLocal = hasInitialTtl(s.ttl);
  if (cLocal && !sLocal) return "client";
  if (sLocal && !cLocal) return "server";
  if (!cLocal && !sLocal) return "path";
  return "unknown";
}

/** What kind of stack sent this SYN, from its initial TTL and option layout (p0f-style, coarse). */
export function stackGuess(e: Endpoint): string | null {
  const syn = e.syn;
  if (syn === null) return null;
  const kinds = syn.optionKinds.join(",");
  // Linux: mss,sackOK,TS,nop,wscale (SYN) — the same minus wscale when scaling is off.
  if (kinds.startsWith("2,4,8")) return "Linux";
  // Windows: mss,nop,wscale,nop,nop,sackOK; macOS/BSD: mss,nop,wscale,nop,nop,TS,sackOK,eol.
  if (kinds.startsWith("2,1,3,1,1,4")) return "Windows";
  if (kinds.startsWith("2,1,3,1,1,8")) return "macOS/BSD";
  return null;
}

/** The peer supports window scaling for sure: every stack that sends SACK-permitted and timestamps does. */
export function looksModern(e: Endpoint): boolean {
  const syn = e.syn;
  return syn !== null && (syn.sackPermitted || syn.timestamps || stackGuess(e) !== null);
}
