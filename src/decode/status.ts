/** Why a frame did not yield a TCP segment; counted per input and reported, never thrown. */
export enum DecodeStatus {
  Ok = 0,
  /** A link type this decoder does not read; which one is in the detail bits (see withDetail). */
  UnknownLinkType = 1,
  NotIp = 2,
  NotTcp = 3,
  /** A non-first IP fragment: the TCP header is in another frame. */
  LaterFragment = 4,
  /** Cut by the snapshot length before the fixed TCP header ended. */
  Truncated = 5,
  /** A header field that cannot be right (IHL < 5, TCP data offset < 5, ...). */
  Malformed = 6,
  /** An encapsulation this decoder does not open (MPLS, ESP, L2TP, ...); which one is in the detail bits. */
  NotDecoded = 7,
}

export const DECODE_STATUS_NAMES = [
  "tcp",
  "unknown link type",
  "not IP",
  "not TCP",
  "later IP fragment",
  "truncated before the TCP header",
  "malformed header",
  "encapsulation not decoded",
] as const;

/**
 * decodeFrame's result: a DecodeStatus in the low bits, and for UnknownLinkType and NotDecoded
 * what was skipped above them (a link type, or a Carrier and its value), so that each can be
 * counted and named without allocating per packet.
 */
export const STATUS_BITS = 4;
export const STATUS_MASK = (1 << STATUS_BITS) - 1;

/** Where an encapsulation that is not decoded was announced: the field and its value name it. */
export const Carrier = {
  Ethertype: 1,
  IpProtocol: 2,
  UdpPort: 3,
  GreProtocol: 4,
  GeneveProtocol: 5,
  PppProtocol: 6,
  /** Tunnels inside tunnels deeper than the decoder follows (value 0). */
  Nesting: 7,
} as const;

export function withDetail(status: DecodeStatus, detail: number): number {
  return status | (detail << STATUS_BITS);
}

export function notDecoded(carrier: number, value: number): number {
  return withDetail(DecodeStatus.NotDecoded, (carrier << 16) | value);
}

/**
 * What a tunnel or link header leads to, for the decoder to go on with: (offset << 2) | Payload, or
 * a negative number, minus the status (with detail) saying why there is nothing to go on with.
 */
export const Payload = {
  Ipv4: 0,
  Ipv6: 1,
  Ethernet: 2,
  Ppp: 3,
} as const;
