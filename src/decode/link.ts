import { u16be, u32be } from "../capture/bytes.js";

/** LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) this tool reads. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW_12: 12, // DLT_RAW on some BSDs
  RAW_14: 14, // DLT_RAW on others
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;

/**
 * Where the IP header starts, as (offset << 1) | isIpv6, or -1 when the frame carries no IP (or the
 * link type is not one we read; -2 then). Offsets are relative to the frame start.
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
      return byEthertype(type, o + 2);
    }
    case LinkType.LINUX_SLL:
      return caplen >= 16 ? byEthertype(u16be(b, start + 14), 16) : -1;
    case LinkType.LINUX_SLL2:
      return caplen >= 20 ? byEthertype(u16be(b, start), 20) : -1;
    case LinkType.RAW:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return caplen >= 1 ? byVersion(b[start]! >> 4, 0) : -1;
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (caplen < 4) return -1;
      // NULL stores the address family in the capturing host's byte order, LOOP in network order.
      let family = u32be(b, start);
      if (family > 0xffff) family = ((b[start + 1]! << 8) | b[start]!) >>> 0;
      if (family === 2) return 4 << 1;
      if (family === 24 || family === 28 || family === 30 || family === 10) return (4 << 1) | 1;
      return -1;
    }
    default:
      return -2;
  }
}

function byEthertype(type: number, offset: number): number {
  if (type === ETHERTYPE_IPV4) return offset << 1;
  if (type === ETHERTYPE_IPV6) return (offset << 1) | 1;
  return -1;
}

function byVersion(version: number, offset: number): number {
  if (version === 4) return offset << 1;
  if (version === 6) return (offset << 1) | 1;
  return -1;
}
