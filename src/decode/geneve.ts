import { u16be } from "../capture/bytes.js";
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from "./link.js";
import { Carrier, DecodeStatus, notDecoded, Payload } from "./status.js";

export const GENEVE_PORT = 6081;
const GENEVE_ETHERNET = 0x6558;
/** The O bit: a control message between tunnel endpoints, not traffic (RFC 8926 section 3.4). */
const CONTROL = 0x80;

/**
 * A Geneve header at b[p] (RFC 8926): version (must be 0) and option length in 4-byte words,
 * flags, protocol type, VNI, then options, each a class, a type and its own length in 4-byte
 * words, which must fill the option space exactly. Returns (offset << 2) | Payload, or minus a status.
 */
export function locateGenevePayload(b: Uint8Array, p: number, end: number, udpEnd: number): number {
  if (udpEnd - p < 8) return -DecodeStatus.Malformed;
  if (end - p < 8) return -DecodeStatus.Truncated;
  if (b[p]! >> 6 !== 0) return -DecodeStatus.Malformed;
  const optionsEnd = p + 8 + (b[p]! & 0x3f) * 4;
  if (optionsEnd > udpEnd) return -DecodeStatus.Malformed;
  if (optionsEnd > end) return -DecodeStatus.Truncated;
  let o = p + 8;
  while (o < optionsEnd) {
    if (optionsEnd - o < 4) return -DecodeStatus.Malformed;
    o += 4 + (b[o + 3]! & 0x1f) * 4;
  }
  if (o !== optionsEnd) return -DecodeStatus.Malformed;
  if (b[p + 1]! & CONTROL) return -DecodeStatus.NotTcp;
  const protocol = u16be(b, p + 2);
  switch (protocol) {
    case GENEVE_ETHERNET:
      return (o << 2) | Payload.Ethernet;
    case ETHERTYPE_IPV4:
      return (o << 2) | Payload.Ipv4;
    case ETHERTYPE_IPV6:
      return (o << 2) | Payload.Ipv6;
    default:
      return -notDecoded(Carrier.GeneveProtocol, protocol);
  }
}
