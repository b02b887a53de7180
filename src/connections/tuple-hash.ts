import type { TcpSegment } from "../decode/segment.js";
import type { Connection } from "./connection.js";

function mixEndpoint(a: Uint32Array, port: number): number {
  // The port joins after the first multiply: a[0] ^ port would make 198.18.0.0:1025 and
  // 198.18.0.1:1024 the same key (after-close.ts keeps one entry per hash).
  let h = Math.imul(a[0]!, 0x9e3779b1) ^ port;
  h = Math.imul(h ^ a[1]! ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ a[2]! ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ a[3]! ^ (h >>> 16), 0x27d4eb2f);
  return h ^ (h >>> 15);
}

/** Symmetric in the two endpoints, so both directions of a connection land in the same bucket. */
export function hashSegment(seg: TcpSegment): number {
  return (mixEndpoint(seg.src, seg.srcPort) ^ mixEndpoint(seg.dst, seg.dstPort)) >>> 0;
}

export function hashEndpoints(c: Connection): number {
  return (mixEndpoint(c.client.addr, c.client.port) ^ mixEndpoint(c.server.addr, c.server.port)) >>> 0;
}
