import { DecodeStatus, Payload } from "./status.js";

/** The IANA port (RFC 7348) and the Linux kernel's default when none is given (flannel uses it too). */
export const VXLAN_PORTS = [4789, 8472] as const;

/** The "I" flag: the VNI is valid. RFC 7348 says it MUST be set; the other flags are ignored. */
const VALID_VNI = 0x08;

/**
 * A VXLAN header at b[p] (RFC 7348): flags, reserved, a 24-bit VNI, reserved; an Ethernet frame
 * follows. `udpEnd` is where the UDP datagram ends. Returns (offset << 2) | Payload, or minus a status.
 */
export function locateVxlanPayload(b: Uint8Array, p: number, end: number, udpEnd: number): number {
  if (udpEnd - p < 8) return -DecodeStatus.Malformed;
  if (end - p < 8) return -DecodeStatus.Truncated;
  if ((b[p]! & VALID_VNI) === 0) return -DecodeStatus.Malformed;
  return ((p + 8) << 2) | Payload.Ethernet;
}
