import { u16be, u32be } from "../capture/bytes.js";
import { type Frame, frameTime } from "../capture/frame.js";
import { locateIp } from "./link.js";
import type { TcpSegment } from "./segment.js";
import { DecodeStatus } from "./status.js";
import { decodeTcpOptions } from "./tcp-options.js";

const PROTO_TCP = 6;

/** Decode link, IP and TCP headers of `frame` into `seg`, reading the frame's bytes in place. */
export function decodeFrame(frame: Frame, seg: TcpSegment): DecodeStatus {
  const b = frame.data;
  const start = frame.offset;
  const caplen = frame.caplen;
  const ip = locateIp(frame.linkType, b, start, caplen);
  if (ip < 0) return ip === -2 ? DecodeStatus.UnknownLinkType : DecodeStatus.NotIp;
  const ipOff = ip >> 1;
  seg.input = 0;
  seg.frame = frame.number;
  seg.time = frameTime(frame);
  // Bytes of the IP datagram on the wire, for when its own length field says 0 (TSO captures).
  const wireIpLength = frame.origLen - ipOff;
  return (ip & 1) === 0
    ? decodeIpv4(b, start + ipOff, start + caplen, wireIpLength, seg)
    : decodeIpv6(b, start + ipOff, start + caplen, wireIpLength, seg);
}

function decodeIpv4(b: Uint8Array, o: number, end: number, wireLength: number, seg: TcpSegment): DecodeStatus {
  if (end - o < 20) return DecodeStatus.Truncated;
  const vihl = b[o]!;
  if (vihl >> 4 !== 4) return DecodeStatus.Malformed;
  const ihl = (vihl & 15) * 4;
  if (ihl < 20) return DecodeStatus.Malformed;
  const frag = u16be(b, o + 6);
  if ((frag & 0x1fff) !== 0) return DecodeStatus.LaterFragment;
  if (b[o + 9] !== PROTO_TCP) return DecodeStatus.NotTcp;
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
  return decodeTcp(b, o + ihl, end, total - ihl, seg);
}

function decodeIpv6(b: Uint8Array, o: number, end: number, wireLength: number, seg: TcpSegment): DecodeStatus {
  if (end - o < 40) return DecodeStatus.Truncated;
  if (b[o]! >> 4 !== 6) return DecodeStatus.Malformed;
  let payload = u16be(b, o + 4);
  if (payload === 0) payload = wireLength - 40; // jumbogram or TSO
  let next = b[o + 6]!;
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
  while (next !== PROTO_TCP) {
    if (
      next !== 0 &&
      next !== 43 &&
      next !== 44 &&
      next !== 51 &&
      next !== 60 &&
      next !== 135 &&
      next !== 139 &&
      next !== 140
    ) {
      return DecodeStatus.NotTcp;
    }
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
  seg.ipVersion = 6;
  return decodeTcp(b, p, end, payload, seg);
}

/** `tcpLength` is header plus payload as the IP layer states it; `end` is where captured bytes stop. */
function decodeTcp(b: Uint8Array, t: number, end: number, tcpLength: number, seg: TcpSegment): DecodeStatus {
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
