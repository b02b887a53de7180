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

/**
 * The peer supports window scaling for sure: every stack that sends SACK-permitted or timestamps
 * does (a stack's layout without either, e.g. MSS alone, says nothing).
 */
export function looksModern(e: Endpoint): boolean {
  const syn = e.syn;
  return syn !== null && (syn.sackPermitted || syn.timestamps);
}
