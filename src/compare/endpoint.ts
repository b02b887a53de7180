import { Endpoint } from "../connections/endpoint.js";
import { type EndpointSummary, optionKind, type SynSummary } from "../connections/summary.js";
import { ABSENT, offered, UNKNOWN } from "../connections/wscale.js";
import { parseIpv4, parseIpv6 } from "../decode/tcpdump-text-fields.js";

/**
 * An Endpoint rebuilt from its report summary: what the advice functions of src/findings need
 * (address, port, the SYN's options and TTL), for the endpoints of a compared connection.
 */
export function endpointFrom(e: EndpointSummary, input: number): Endpoint {
  const ep = new Endpoint();
  if (e.ip.includes(":")) {
    ep.ipVersion = 6;
    parseIpv6(e.ip, 0, e.ip.length, ep.addr);
  } else {
    ep.ipVersion = 4;
    ep.addr[0] = Math.max(0, parseIpv4(e.ip, 0, e.ip.length));
  }
  ep.port = e.port;
  ep.shift = e.shift;
  ep.syn = e.syn === null ? null : synInfo(e.syn, input, false);
  return ep;
}

function synInfo(s: SynSummary, input: number, synAck: boolean): NonNullable<Endpoint["syn"]> {
  const hasOption = s.options.includes("wscale");
  return {
    frame: { input, frame: s.frame },
    time: s.time ?? Number.NaN,
    isn: s.isn,
    window: s.window,
    wscale: s.wscale !== null ? offered(s.wscale) : hasOption || s.optionsTruncated ? UNKNOWN : ABSENT,
    wscaleBadLength: null,
    mss: s.mss,
    sackPermitted: s.sackPermitted,
    timestamps: s.timestamps,
    tsVal: s.tsVal,
    optionKinds: s.options.map(optionKind),
    longestNopRun: s.longestNopRun,
    optionsTruncated: s.optionsTruncated,
    corrupt: false, // a damaged SYN reaches the summary as optionsTruncated
    ttl: s.ttl,
    ipId: s.ipId,
    synAck,
  };
}

/** Client and server endpoints of one connection summary, linked as peers. */
export function endpointsFrom(
  client: EndpointSummary,
  server: EndpointSummary,
  input: number,
): { client: Endpoint; server: Endpoint } {
  const c = endpointFrom(client, input);
  const s = endpointFrom(server, input);
  if (s.syn) s.syn.synAck = true;
  c.peer = s;
  s.peer = c;
  return { client: c, server: s };
}
