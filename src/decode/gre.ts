import { u16be } from "../capture/bytes.js";
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from "./link.js";
import { Carrier, DecodeStatus, notDecoded, Payload } from "./status.js";

const CHECKSUM = 0x8000;
const ROUTING = 0x4000;
const KEY = 0x2000;
const SEQUENCE = 0x1000;
/** Enhanced GRE (PPTP, RFC 2637): an acknowledgment number follows the sequence number. */
const ACK = 0x0080;
/** Transparent Ethernet bridging: an Ethernet frame inside (Linux gretap, ip6gretap). */
const GRE_ETHERNET = 0x6558;
const GRE_PPP = 0x880b;

/**
 * A GRE header at b[p] (RFC 2784; key and sequence number of RFC 2890; checksum, offset and
 * source routing of RFC 1701; version 1 is PPTP's enhanced GRE carrying PPP, RFC 2637). `end` is
 * where the captured bytes stop, `payloadEnd` where the IP datagram does. Returns
 * (offset << 2) | Payload, or minus a status.
 */
export function locateGrePayload(b: Uint8Array, p: number, end: number, payloadEnd: number): number {
  if (payloadEnd - p < 4) return -DecodeStatus.Malformed;
  if (end - p < 4) return -DecodeStatus.Truncated;
  const flags = u16be(b, p);
  const version = flags & 7;
  const protocol = u16be(b, p + 2);
  let o = p + 4;
  if (version === 0) {
    // Checksum and offset are there if either the checksum or the routing bit is set (RFC 1701).
    if (flags & (CHECKSUM | ROUTING)) o += 4;
    if (flags & KEY) o += 4;
    if (flags & SEQUENCE) o += 4;
    if (flags & ROUTING) {
      // Source route entries: address family (2), offset (1), length (1), data; a null entry ends them.
      for (;;) {
        if (payloadEnd - o < 4) return -DecodeStatus.Malformed;
        if (end - o < 4) return -DecodeStatus.Truncated;
        const family = u16be(b, o);
        const length = b[o + 3]!;
        o += 4 + length;
        if (family === 0 && length === 0) break;
      }
    }
  } else if (version === 1) {
    // PPTP: the key (payload length and call id) is always there, and the payload is PPP.
    if (protocol !== GRE_PPP || (flags & KEY) === 0 || flags & (CHECKSUM | ROUTING)) return -DecodeStatus.Malformed;
    o += 4;
    if (flags & SEQUENCE) o += 4;
    if (flags & ACK) o += 4;
  } else {
    return -DecodeStatus.Malformed;
  }
  if (o > payloadEnd) return -DecodeStatus.Malformed;
  if (o === payloadEnd) return -DecodeStatus.NotTcp; // nothing inside (a PPTP acknowledgment)
  if (o > end) return -DecodeStatus.Truncated;
  switch (protocol) {
    case ETHERTYPE_IPV4:
      return (o << 2) | Payload.Ipv4;
    case ETHERTYPE_IPV6:
      return (o << 2) | Payload.Ipv6;
    case GRE_ETHERNET:
      return (o << 2) | Payload.Ethernet;
    case GRE_PPP:
      return (o << 2) | Payload.Ppp;
    default:
      return -notDecoded(Carrier.GreProtocol, protocol);
  }
}
