import type { EndpointSummary } from "../../src/connections/summary.js";

/** One side of a synthetic connection summary (shift 7, a 502 << 7 window, 300 bytes of data), with overrides. */
export function endpoint(ip: string, port: number, over: Partial<EndpointSummary> = {}): EndpointSummary {
  return {
    ip,
    port,
    synSeen: true,
    wscaleOffered: 7,
    shift: 7,
    maxWindow: 502 * 128,
    maxWindowRaw: 502,
    minWindowRaw: 502,
    lastWindowRaw: 502,
    maxInFlight: 1448,
    dataBytes: 300,
    largestSegment: 300,
    packets: 6,
    retransmissions: 0,
    windowFull: 0,
    zeroWindows: { advertisements: 0, episodes: 0, seconds: 0, probes: 0 },
    syn: null,
    ...over,
  };
}
