import { Carrier, DECODE_STATUS_NAMES, DecodeStatus, STATUS_BITS, STATUS_MASK } from "./status.js";

/**
 * Names for what the decoder skips without opening, so that a report can say "L2TP (UDP port
 * 1701)" instead of "not TCP". Knowledge as data, each table with its source; a value missing
 * from a table is still named by its number.
 */

/** LINKTYPE_* values this tool does not decode (https://www.tcpdump.org/linktypes.html). */
const LINK_TYPES: Record<number, string> = {
  6: "IEEE 802.5 Token Ring",
  8: "SLIP",
  10: "FDDI",
  105: "IEEE 802.11",
  107: "Frame Relay",
  117: "OpenBSD pflog",
  119: "802.11 with Prism header",
  122: "IP over Fibre Channel",
  127: "802.11 with radiotap header",
  129: "ARCnet",
  143: "DOCSIS",
  163: "802.11 with AVS header",
  166: "PPP with pppd direction byte",
  189: "Linux USB",
  192: "Per-Packet Information",
  195: "IEEE 802.15.4",
  197: "Endace ERF",
  220: "Linux USB (memory-mapped)",
  239: "Linux netfilter NFLOG",
  253: "Linux netlink",
};

/** Ethertypes of encapsulations that carry IP but are not opened (IEEE registry; RFC 3032 MPLS). */
const ETHERTYPES: Record<number, string> = {
  34887: "MPLS",
  34888: "MPLS multicast",
  35006: "ERSPAN",
  8939: "ERSPAN type III",
  35045: "MACsec (encrypted)",
  35047: "802.1ah provider backbone bridging",
  35110: "VN-Tag",
  35151: "NSH",
};

/** IP protocol numbers of tunnels not opened (IANA protocol-numbers). */
const IP_PROTOCOLS: Record<number, string> = {
  50: "ESP (encrypted)",
  97: "EtherIP",
  115: "L2TPv3",
  137: "MPLS in IP",
};

/** UDP destination ports of tunnels not opened (IANA service-names-port-numbers; RFC 7510, 8086). */
const UDP_PORTS: Record<number, string> = {
  1701: "L2TP",
  2152: "GTP-U",
  3544: "Teredo",
  4341: "LISP",
  4500: "IPsec NAT traversal (encrypted)",
  4754: "GRE in UDP",
  4790: "VXLAN-GPE",
  6635: "MPLS in UDP",
  51820: "WireGuard (encrypted)",
};

/** PPP protocol numbers that carry IP in a form not opened (IANA ppp-numbers; RFC 1144, 1990, 1962). */
const PPP_PROTOCOLS: Record<number, string> = {
  45: "Van Jacobson compressed TCP/IP",
  47: "Van Jacobson uncompressed TCP/IP",
  61: "PPP multilink fragment",
  253: "PPP compressed datagram",
  641: "MPLS",
  643: "MPLS multicast",
};

/** The key a skipped frame is counted under: DECODE_STATUS_NAMES, or "not decoded: <what>". */
export function skippedName(status: number): string {
  const what = notDecodedWhat(status);
  return what !== null ? `not decoded: ${what}` : (DECODE_STATUS_NAMES[status & STATUS_MASK] ?? `status ${status}`);
}

/** For a link type or an encapsulation that is not decoded: what it is ("L2TP (UDP port 1701)"); else null. */
export function notDecodedWhat(status: number): string | null {
  const code = status & STATUS_MASK;
  const detail = status >>> STATUS_BITS;
  if (code === DecodeStatus.UnknownLinkType) {
    const name = LINK_TYPES[detail];
    return `link type ${detail}${name ? ` (${name})` : ""}`;
  }
  if (code === DecodeStatus.NotDecoded) return carrierName(detail >>> 16, detail & 0xffff);
  return null;
}

function carrierName(carrier: number, value: number): string {
  const hex = `0x${value.toString(16).padStart(4, "0")}`;
  const named = (table: Record<number, string>, field: string) => (table[value] ? `${table[value]} (${field})` : field);
  switch (carrier) {
    case Carrier.Ethertype:
      return named(ETHERTYPES, `ethertype ${hex}`);
    case Carrier.IpProtocol:
      return named(IP_PROTOCOLS, `IP protocol ${value}`);
    case Carrier.UdpPort:
      return named(UDP_PORTS, `UDP port ${value}`);
    case Carrier.GreProtocol:
      return named(ETHERTYPES, `GRE protocol ${hex}`);
    case Carrier.GeneveProtocol:
      return named(ETHERTYPES, `Geneve protocol ${hex}`);
    case Carrier.PppProtocol:
      return named(PPP_PROTOCOLS, `PPP protocol ${hex}`);
    case Carrier.Nesting:
      return "tunnels nested deeper than the decoder follows";
    default:
      return `encapsulation ${carrier}/${value}`;
  }
}

/** Whether a UDP destination port or an IP protocol is a tunnel named above (so not plain "not TCP"). */
export function isNamedUdpTunnel(port: number): boolean {
  return UDP_PORTS[port] !== undefined;
}

export function isNamedIpTunnel(protocol: number): boolean {
  return IP_PROTOCOLS[protocol] !== undefined;
}

export function isNamedEthertype(type: number): boolean {
  return ETHERTYPES[type] !== undefined;
}

export function isNamedPppProtocol(protocol: number): boolean {
  return PPP_PROTOCOLS[protocol] !== undefined;
}
