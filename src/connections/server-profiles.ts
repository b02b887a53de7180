import { ACK, SYN, type TcpSegment } from "../decode/segment.js";
import { formatAddress } from "./address.js";

/** Servers remembered per input (least recently seen forgotten first): bounded whatever the capture. */
const MAX_SERVERS = 4096;

/** What one server's SYN-ACKs carried across the connections of an input. */
export interface ServerProfile {
  /** SYN-ACKs with a window-scale option, and with SACK-permitted. */
  withWscale: number;
  withSack: number;
  synAcks: number;
  /** Frame of the first SYN-ACK that carried wscale (evidence for a finding on another connection). */
  wscaleFrame: number;
}

/**
 * Per-server memory across connections, fed as SYN-ACKs are seen: a SYN-ACK without options
 * stands out when the same server offered them on its other connections (SYN cookies).
 */
export class ServerProfiles {
  private readonly map = new Map<number | string, ServerProfile>();
  /** The server of the last SYN-ACK: already the most recent in the map. */
  private lastKey: number | string = -1;

  note(seg: TcpSegment): void {
    if ((seg.flags & (SYN | ACK)) !== (SYN | ACK)) return;
    const key = keyOf(seg.src, seg.ipVersion, seg.srcPort);
    let p = this.map.get(key);
    if (p === undefined) {
      if (this.map.size >= MAX_SERVERS) this.map.delete(this.map.keys().next().value!);
      p = { withWscale: 0, withSack: 0, synAcks: 0, wscaleFrame: 0 };
      this.map.set(key, p);
    } else if (key !== this.lastKey) {
      // Re-inserted: the Map's order is the recency order.
      this.map.delete(key);
      this.map.set(key, p);
    }
    this.lastKey = key;
    p.synAcks++;
    if (seg.wscale >= 0) {
      if (p.withWscale++ === 0) p.wscaleFrame = seg.frame;
    }
    if (seg.sackPermitted) p.withSack++;
  }

  get(addr: Uint32Array, version: 4 | 6, port: number): ServerProfile | undefined {
    return this.map.get(keyOf(addr, version, port));
  }
}

/** IPv4 address and port as one number (no string per SYN-ACK); IPv6 as text. */
function keyOf(addr: Uint32Array, version: 4 | 6, port: number): number | string {
  return version === 4 ? addr[0]! * 65536 + port : `${formatAddress(addr, version)} ${port}`;
}
