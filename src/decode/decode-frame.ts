import { u16be, u32be } from "../capture/bytes.js";
import { type Frame, frameTime } from "../capture/frame.js";
import { GENEVE_PORT, locateGenevePayload } from "./geneve.js";
import { locateGrePayload } from "./gre.js";
import { LinkType, locateIp } from "./link.js";
import { locatePppPayload } from "./ppp.js";
import type { TcpSegment } from "./segment.js";
import { isNamedIpTunnel, isNamedUdpTunnel } from "./skipped-names.js";
import { Carrier, DecodeStatus, notDecoded, Payload } from "./status.js";
import { decodeTcpOptions } from "./tcp-options.js";
import { locateVxlanPayload, VXLAN_PORTS } from "./vxlan.js";

const PROTO_IPIP = 4;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_IPV6 = 41;
const PROTO_GRE = 47;
const PROTO_AH = 51;
/** Tunnels inside tunnels are followed this deep; more is no real traffic (and bounds the recursion). */
const MAX_NESTING = 8;

/**
 * Decode link, IP and TCP headers of `frame` into `seg`, reading the frame's bytes in place, and
 * through IP-in-IP, GRE, VXLAN and Geneve tunnels to the innermost TCP segment (whose addresses,
 * TTL and IP ID are the ones kept). Returns DecodeStatus.Ok, or why there is no TCP segment (a
 * DecodeStatus, with what was skipped above STATUS_BITS for UnknownLinkType and NotDecoded).
 */
export function decodeFrame(frame: Frame, seg: TcpSegment): number {
  const b = frame.data;
  const start = frame.offset;
  const caplen = frame.caplen;
  const ip = locateIp(frame.linkType, b, start, caplen);
  if (ip < 0) return -ip;
  const ipOff = ip >> 1;
  seg.input = 0;
  seg.frame = frame.number;
  seg.time = frameTime(frame);
  // Bytes of the IP datagram on the wire, for when its own length field says 0 (TSO captures).
  const wireIpLength = frame.origLen - ipOff;
  return (ip & 1) === 0
    ? decodeIpv4(b, start + ipOff, start + caplen, wireIpLength, seg, 0)
    : decodeIpv6(b, start + ipOff, start + caplen, wireIpLength, seg, 0);
}

function decodeIpv4(b: Uint8Array, o: number, end: number, wireLength: number, seg: TcpSegment, depth: number): number {
  if (end - o < 20) return DecodeStatus.Truncated;
  const vihl = b[o]!;
  if (vihl >> 4 !== 4) return DecodeStatus.Malformed;
  const ihl = (vihl & 15) * 4;
  if (ihl < 20) return DecodeStatus.Malformed;
  const frag = u16be(b, o + 6);
  if ((frag & 0x1fff) !== 0) return DecodeStatus.LaterFragment;
  let total = u16be(b, o + 2);
  if (total === 0) total = wireLength;
  if (total < ihl) return DecodeStatus.Malformed;
  seg.ipVersion = 4;
  seg.fragmented = (frag & 0x2000) !== 0;
  seg.dontFragment = (frag & 0x4000) !== 0;
  seg.ttl = b[o + 8]!;
  seg.ipId = u16be(b, o + 4);
  const src = seg.src;
  const dst = seg.dst;
  src[0] = u32be(b, o + 12);
  src[1] = src[2] = src[3] = 0;
  dst[0] = u32be(b, o + 16);
  dst[1] = dst[2] = dst[3] = 0;
  return decodeTransport(b[o + 9]!, b, o + ihl, end, total - ihl, seg, depth);
}

function decodeIpv6(b: Uint8Array, o: number, end: number, wireLength: number, seg: TcpSegment, depth: number): number {
  if (end - o < 40) return DecodeStatus.Truncated;
  if (b[o]! >> 4 !== 6) return DecodeStatus.Malformed;
  let payload = u16be(b, o + 4);
  if (payload === 0) payload = wireLength - 40; // jumbogram or TSO
  let next = b[o + 6]!;
  seg.ipVersion = 6;
  seg.ttl = b[o + 7]!;
  seg.ipId = 0;
  seg.dontFragment = false;
  seg.fragmented = false;
  const src = seg.src;
  const dst = seg.dst;
  for (let i = 0; i < 4; i++) {
    src[i] = u32be(b, o + 8 + i * 4);
    dst[i] = u32be(b, o + 24 + i * 4);
  }
  let p = o + 40;
  // Walk extension headers: hop-by-hop, routing, fragment, AH, destination options, mobility, HIP, shim6.
  while (
    next === 0 ||
    next === 43 ||
    next === 44 ||
    next === 51 ||
    next === 60 ||
    next === 135 ||
    next === 139 ||
    next === 140
  ) {
    if (end - p < 8) return DecodeStatus.Truncated;
    let len: number;
    if (next === 44) {
      if (u16be(b, p + 2) >> 3 !== 0) return DecodeStatus.LaterFragment;
      seg.fragmented = (b[p + 3]! & 1) !== 0;
      seg.ipId = u32be(b, p + 4);
      len = 8;
    } else if (next === 51) {
      len = (b[p + 1]! + 2) * 4;
    } else {
      len = (b[p + 1]! + 1) * 8;
    }
    next = b[p]!;
    p += len;
    payload -= len;
  }
  if (payload < 0) return DecodeStatus.Malformed;
  return decodeTransport(next, b, p, end, payload, seg, depth);
}

/**
 * What an IP header carries, at b[p] with `length` bytes by the IP length fields: TCP, or a
 * tunnel to open (IP-in-IP, IPv6-in-IP, GRE, AH in IPv4, UDP to a VXLAN or Geneve port).
 */
function decodeTransport(
  protocol: number,
  b: Uint8Array,
  p: number,
  end: number,
  length: number,
  seg: TcpSegment,
  depth: number,
): number {
  if (protocol === PROTO_TCP) return decodeTcp(b, p, end, length, seg);
  if (depth >= MAX_NESTING) return notDecoded(Carrier.Nesting, 0);
  switch (protocol) {
    case PROTO_IPIP:
      return decodeIpv4(b, p, end, length, seg, depth + 1);
    case PROTO_IPV6:
      return decodeIpv6(b, p, end, length, seg, depth + 1);
    case PROTO_GRE:
      return decodeInner(locateGrePayload(b, p, end, p + length), b, end, p + length, seg, depth);
    case PROTO_AH: {
      // IPv4 authentication header (RFC 4302): next header, length in 4-byte words minus 2.
      if (length < 8) return DecodeStatus.Malformed;
      if (end - p < 8) return DecodeStatus.Truncated;
      const len = (b[p + 1]! + 2) * 4;
      if (len > length) return DecodeStatus.Malformed;
      return decodeTransport(b[p]!, b, p + len, end, length - len, seg, depth + 1);
    }
    case PROTO_UDP:
      return decodeUdp(b, p, end, length, seg, depth);
    default:
      return isNamedIpTunnel(protocol) ? notDecoded(Carrier.IpProtocol, protocol) : DecodeStatus.NotTcp;
  }
}

/** UDP to a tunnel port: VXLAN, Geneve; other tunnel ports are named, everything else is not TCP. */
function decodeUdp(b: Uint8Array, p: number, end: number, length: number, seg: TcpSegment, depth: number): number {
  if (end - p < 8 || length < 8) return DecodeStatus.NotTcp;
  const port = u16be(b, p + 2);
  const isVxlan = port === VXLAN_PORTS[0] || port === VXLAN_PORTS[1];
  if (!isVxlan && port !== GENEVE_PORT) {
    return isNamedUdpTunnel(port) ? notDecoded(Carrier.UdpPort, port) : DecodeStatus.NotTcp;
  }
  // A UDP length of 0 is a jumbogram's or a segmentation offload's: the IP length holds.
  const udpLength = u16be(b, p + 4);
  if (udpLength !== 0 && (udpLength < 8 || udpLength > length)) return DecodeStatus.Malformed;
  const udpEnd = p + (udpLength === 0 ? length : udpLength);
  const inner = isVxlan ? locateVxlanPayload(b, p + 8, end, udpEnd) : locateGenevePayload(b, p + 8, end, udpEnd);
  return decodeInner(inner, b, end, udpEnd, seg, depth);
}

/** Go on with what a tunnel carries: `located` is (offset << 2) | Payload, or minus a status. */
function decodeInner(
  located: number,
  b: Uint8Array,
  end: number,
  payloadEnd: number,
  seg: TcpSegment,
  depth: number,
): number {
  if (located < 0) return -located;
  const q = located >> 2;
  switch (located & 3) {
    case Payload.Ipv4:
      return decodeIpv4(b, q, end, payloadEnd - q, seg, depth + 1);
    case Payload.Ipv6:
      return decodeIpv6(b, q, end, payloadEnd - q, seg, depth + 1);
    case Payload.Ethernet: {
      const ip = locateIp(LinkType.ETHERNET, b, q, end - q);
      if (ip < 0) return -ip;
      const at = q + (ip >> 1);
      return (ip & 1) === 0
        ? decodeIpv4(b, at, end, payloadEnd - at, seg, depth + 1)
        : decodeIpv6(b, at, end, payloadEnd - at, seg, depth + 1);
    }
    default:
      return decodeInner(locatePppPayload(b, q, end), b, end, payloadEnd, seg, depth + 1);
  }
}

/** `tcpLength` is header plus payload as the IP layer states it; `end` is where captured bytes stop. */
function decodeTcp(b: Uint8Array, t: number, end: number, tcpLength: number, seg: TcpSegment): number {
  if (end - t < 20) return DecodeStatus.Truncated;
  const hl = (b[t + 12]! >> 4) * 4;
  if (hl < 20 || hl > tcpLength) return DecodeStatus.Malformed;
  seg.srcPort = u16be(b, t);
  seg.dstPort = u16be(b, t + 2);
  seg.seq = u32be(b, t + 4);
  seg.ack = u32be(b, t + 8);
  seg.flags = b[t + 13]! | ((b[t + 12]! & 1) << 8);
  seg.window = u16be(b, t + 14);
  seg.headerLength = hl;
  seg.payloadLength = tcpLength - hl;
  decodeTcpOptions(b, t + 20, t + hl, end, seg);
  return DecodeStatus.Ok;
}
