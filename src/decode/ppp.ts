import { u16be } from "../capture/bytes.js";
import { isNamedPppProtocol } from "./skipped-names.js";
import { Carrier, DecodeStatus, notDecoded, Payload } from "./status.js";

/** PPP protocol numbers (RFC 1332, RFC 5072; IANA ppp-numbers). */
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/**
 * A PPP frame at b[o] (frame bytes end at `end`): HDLC-like framing (RFC 1662) puts address 0xff
 * and control 0x03 first, which may be left out (address-and-control-field compression), and the
 * protocol field is one byte when odd (protocol-field compression, RFC 1661 section 6.5).
 * Returns (offset << 2) | Payload.Ipv4/Ipv6, or minus a status (LCP and the other control
 * protocols are not IP).
 */
export function locatePppPayload(b: Uint8Array, o: number, end: number): number {
  if (end - o >= 2 && b[o] === 0xff && b[o + 1] === 0x03) o += 2;
  if (end - o < 1) return -DecodeStatus.Truncated;
  let protocol = b[o]!;
  if ((protocol & 1) === 1) o += 1;
  else {
    if (end - o < 2) return -DecodeStatus.Truncated;
    protocol = u16be(b, o);
    o += 2;
  }
  if (protocol === PPP_IPV4) return (o << 2) | Payload.Ipv4;
  if (protocol === PPP_IPV6) return (o << 2) | Payload.Ipv6;
  return isNamedPppProtocol(protocol) ? -notDecoded(Carrier.PppProtocol, protocol) : -DecodeStatus.NotIp;
}

/**
 * A PPPoE session-stage header (RFC 2516 section 4) at b[o]: version and type 0x11, code 0, the
 * session id and the payload length, then the PPP protocol field. Discovery packets (ethertype
 * 0x8863) carry no IP and never get here.
 */
export function locatePppoePayload(b: Uint8Array, o: number, end: number): number {
  if (end - o < 6) return -DecodeStatus.Truncated;
  if (b[o] !== 0x11 || b[o + 1] !== 0x00) return -DecodeStatus.Malformed;
  // The length covers the PPP protocol field and the datagram: it must hold the protocol at least.
  if (u16be(b, o + 4) < 2) return -DecodeStatus.Malformed;
  return locatePppPayload(b, o + 6, end);
}
