import { u16be, u32be } from "../capture/bytes.js";
import { locatePppoePayload, locatePppPayload } from "./ppp.js";
import { isNamedEthertype } from "./skipped-names.js";
import { Carrier, DecodeStatus, notDecoded, withDetail } from "./status.js";

/** LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) this tool reads. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  PPP: 9,
  RAW_12: 12, // DLT_RAW on some BSDs
  RAW_14: 14, // DLT_RAW on others
  PPP_HDLC: 50, // PPP in HDLC-like framing, or Cisco HDLC
  PPP_ETHER: 51, // PPPoE: the session header first
  RAW: 101,
  C_HDLC: 104, // Cisco HDLC
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  IPOIB: 242, // IP over InfiniBand (RFC 4391): protocol type and 2 reserved bytes
  LINUX_SLL2: 276,
} as const;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const ETHERTYPE_PPPOE_SESSION = 0x8864;

/**
 * Where the IP header starts, as (offset << 1) | isIpv6 with the offset relative to the frame
 * start, or a negative number: minus the status (with detail) saying why there is none (not IP,
 * a link type not read, an encapsulation not opened).
 */
export function locateIp(linkType: number, b: Uint8Array, start: number, caplen: number): number {
  switch (linkType) {
    case LinkType.ETHERNET: {
      let o = 12;
      let type = caplen >= 14 ? u16be(b, start + 12) : 0;
      // 802.1Q, 802.1ad and the pre-standard QinQ tag each add four bytes.
      while ((type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) && o + 6 <= caplen) {
        o += 4;
        type = u16be(b, start + o);
      }
      return byEthertype(type, b, start, o + 2, caplen);
    }
    case LinkType.LINUX_SLL:
      return caplen >= 16 ? byEthertype(u16be(b, start + 14), b, start, 16, caplen) : -DecodeStatus.NotIp;
    case LinkType.LINUX_SLL2:
      return caplen >= 20 ? byEthertype(u16be(b, start), b, start, 20, caplen) : -DecodeStatus.NotIp;
    case LinkType.RAW:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return caplen >= 1 ? byVersion(b[start]! >> 4, 0) : -DecodeStatus.NotIp;
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (caplen < 4) return -DecodeStatus.NotIp;
      // NULL stores the address family in the capturing host's byte order, LOOP in network order.
      let family = u32be(b, start);
      if (family > 0xffff) family = ((b[start + 1]! << 8) | b[start]!) >>> 0;
      if (family === 2) return 4 << 1;
      if (family === 24 || family === 28 || family === 30 || family === 10) return (4 << 1) | 1;
      return -DecodeStatus.NotIp;
    }
    case LinkType.PPP:
    case LinkType.PPP_HDLC:
      // Cisco HDLC (address 0x0f or 0x8f, control 0, an ethertype) is written under these link
      // types too, by routers and by converters; Wireshark reads it so (RFC 1547 section 4.3.1).
      if (caplen >= 4 && (b[start] === 0x0f || b[start] === 0x8f) && b[start + 1] === 0) {
        return byEthertype(u16be(b, start + 2), b, start, 4, caplen);
      }
      return relative(locatePppPayload(b, start, start + caplen), start);
    case LinkType.PPP_ETHER:
      return relative(locatePppoePayload(b, start, start + caplen), start);
    case LinkType.C_HDLC:
      return caplen >= 4 ? byEthertype(u16be(b, start + 2), b, start, 4, caplen) : -DecodeStatus.NotIp;
    case LinkType.IPOIB:
      return caplen >= 4 ? byEthertype(u16be(b, start), b, start, 4, caplen) : -DecodeStatus.NotIp;
    default:
      return -withDetail(DecodeStatus.UnknownLinkType, linkType & 0xffff);
  }
}

function byEthertype(type: number, b: Uint8Array, start: number, offset: number, caplen: number): number {
  if (type === ETHERTYPE_IPV4) return offset << 1;
  if (type === ETHERTYPE_IPV6) return (offset << 1) | 1;
  if (type === ETHERTYPE_PPPOE_SESSION) return relative(locatePppoePayload(b, start + offset, start + caplen), start);
  return isNamedEthertype(type) ? -notDecoded(Carrier.Ethertype, type) : -DecodeStatus.NotIp;
}

function byVersion(version: number, offset: number): number {
  if (version === 4) return offset << 1;
  if (version === 6) return (offset << 1) | 1;
  return -DecodeStatus.NotIp;
}

/** A payload locator's (absolute offset << 2) | Payload.Ipv4/Ipv6 as locateIp's relative form. */
function relative(located: number, start: number): number {
  return located < 0 ? located : (((located >> 2) - start) << 1) | (located & 1);
}
