/**
 * Tunnel and PPP headers as bytes, for tests (as capture-builder.ts builds link, IP and TCP
 * headers). Nothing is validated: every field can be set to what no stack would send.
 */
import { bytes, u16, u32 } from "./capture-builder.js";

export const GRE_IPV4 = 0x0800;
export const GRE_IPV6 = 0x86dd;
export const GRE_ETHERNET = 0x6558;
export const GRE_PPP = 0x880b;
export const PROTO_GRE = 47;
export const PROTO_IPIP = 4;
export const PROTO_IPV6_IN_IP = 41;
export const PROTO_AH = 51;
export const PROTO_ESP = 50;

export interface GreOptions {
  protocol?: number;
  /** Version bits (0: RFC 2784; 1: PPTP's enhanced GRE). */
  version?: number;
  checksum?: boolean;
  key?: number;
  sequence?: number;
  /** Enhanced GRE acknowledgment number (sets the A bit). */
  ack?: number;
  /** RFC 1701 source route entries (each: address family, data); a null entry is added after them. */
  routing?: { family: number; data: Uint8Array }[];
  /** Extra flag bits ORed in as they are. */
  flags?: number;
}

export function gre(payload: Uint8Array, o: GreOptions = {}): Uint8Array {
  let flags = (o.version ?? 0) | (o.flags ?? 0);
  const fields: (Uint8Array | number[])[] = [];
  if (o.checksum || o.routing) {
    flags |= o.checksum ? 0x8000 : 0;
    fields.push(u16(0xbeef), u16(0)); // checksum (not checked), offset
  }
  if (o.routing) flags |= 0x4000;
  if (o.key !== undefined) {
    flags |= 0x2000;
    fields.push(u32(o.key));
  }
  if (o.sequence !== undefined) {
    flags |= 0x1000;
    fields.push(u32(o.sequence));
  }
  if (o.ack !== undefined) {
    flags |= 0x0080;
    fields.push(u32(o.ack));
  }
  if (o.routing) {
    for (const sre of o.routing) fields.push(u16(sre.family), [0, sre.data.length], sre.data);
    fields.push(u16(0), [0, 0]);
  }
  return bytes(u16(flags), u16(o.protocol ?? GRE_IPV4), ...fields, payload);
}

/** A UDP header around `payload` (capture-builder's udp() makes patterned payloads only). */
export function udpAround(payload: Uint8Array, o: { srcPort?: number; dstPort: number; length?: number }): Uint8Array {
  return bytes(u16(o.srcPort ?? 49152), u16(o.dstPort), u16(o.length ?? 8 + payload.length), u16(0), payload);
}

export function vxlan(frame: Uint8Array, o: { vni?: number; flags?: number } = {}): Uint8Array {
  return bytes([o.flags ?? 0x08, 0, 0, 0], u32(((o.vni ?? 42) << 8) >>> 0), frame);
}

export interface GeneveOption {
  optionClass: number;
  type: number;
  /** A multiple of 4 bytes. */
  data: Uint8Array;
  /** Override of the option's own length field (in 4-byte words). */
  lengthWords?: number;
}

export function geneve(
  payload: Uint8Array,
  o: {
    protocol?: number;
    vni?: number;
    options?: GeneveOption[];
    version?: number;
    control?: boolean;
    critical?: boolean;
    /** Override of the header's option length field (in 4-byte words). */
    optionWords?: number;
  } = {},
): Uint8Array {
  const options = (o.options ?? []).map((x) =>
    bytes(u16(x.optionClass), [x.type, (x.lengthWords ?? x.data.length / 4) & 0x1f], x.data),
  );
  const optionBytes = bytes(...options);
  const words = o.optionWords ?? optionBytes.length / 4;
  return bytes(
    [((o.version ?? 0) << 6) | (words & 0x3f), (o.control ? 0x80 : 0) | (o.critical ? 0x40 : 0)],
    u16(o.protocol ?? GRE_ETHERNET),
    u32(((o.vni ?? 7) << 8) >>> 0),
    optionBytes,
    payload,
  );
}

export const PPP_IPV4 = 0x0021;
export const PPP_IPV6 = 0x0057;
export const PPP_LCP = 0xc021;

/** A PPP frame: address/control (RFC 1662, unless left out) and the protocol field (one byte if compressed). */
export function ppp(
  payload: Uint8Array,
  o: { protocol?: number; addressControl?: boolean; compressProtocol?: boolean } = {},
): Uint8Array {
  const protocol = o.protocol ?? PPP_IPV4;
  const field = o.compressProtocol ? [protocol & 0xff] : u16(protocol);
  return bytes(o.addressControl === false ? [] : [0xff, 0x03], field, payload);
}

/** A PPPoE session header (RFC 2516) around a PPP protocol field and datagram. */
export function pppoe(
  pppPayload: Uint8Array,
  o: { versionType?: number; code?: number; session?: number; length?: number } = {},
): Uint8Array {
  return bytes(
    [o.versionType ?? 0x11, o.code ?? 0],
    u16(o.session ?? 0x1234),
    u16(o.length ?? pppPayload.length),
    pppPayload,
  );
}

/** Cisco HDLC: address (0x0f unicast, 0x8f multicast), control 0, an ethertype. */
export function ciscoHdlc(payload: Uint8Array, o: { address?: number; etherType?: number } = {}): Uint8Array {
  return bytes([o.address ?? 0x0f, 0], u16(o.etherType ?? 0x0800), payload);
}
