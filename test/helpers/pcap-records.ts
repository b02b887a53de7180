/**
 * Classic pcap files cut and joined record by record (little-endian µs pcap, as tcpdump writes
 * on this machine): overlapping halves of one capture, a capture in consecutive parts, records
 * of other connections in front of one. Deterministic: no randomness, nothing but whole records.
 */
import { readFileSync, writeFileSync } from "node:fs";

export interface PcapRecords {
  header: Uint8Array;
  records: Uint8Array[];
}

export function readPcap(path: string): PcapRecords {
  const b = readFileSync(path);
  if (b.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${path}: not a little-endian µs pcap`);
  const records: Uint8Array[] = [];
  for (let o = 24; o < b.length; ) {
    const length = 16 + b.readUInt32LE(o + 8);
    records.push(b.subarray(o, o + length));
    o += length;
  }
  return { header: b.subarray(0, 24), records };
}

export function writePcap(path: string, header: Uint8Array, records: Uint8Array[]): void {
  writeFileSync(path, Buffer.concat([header, ...records]));
}

/** The record's capture time in whole seconds, and a copy with it replaced. */
export function withSeconds(record: Uint8Array, seconds: number): Uint8Array {
  const out = Buffer.from(record);
  out.writeUInt32LE(seconds, 0);
  return out;
}

export function seconds(record: Uint8Array): number {
  return Buffer.from(record.buffer, record.byteOffset, 4).readUInt32LE(0);
}

/**
 * A copy of an Ethernet/IPv4/TCP record with the client's port (the one that is not
 * `serverPort`) replaced: another connection with the same packets. The TCP checksum is left
 * as it was (wscale does not verify it).
 */
export function withClientPort(record: Uint8Array, serverPort: number, clientPort: number): Uint8Array {
  const out = Buffer.from(record);
  const tcp = 16 + 14 + (out[16 + 14]! & 0x0f) * 4;
  if (out.readUInt16BE(tcp) !== serverPort) out.writeUInt16BE(clientPort, tcp);
  else out.writeUInt16BE(clientPort, tcp + 2);
  return out;
}

/** A copy of a record cut to `caplen` bytes, as a capture with that snapshot length would hold it. */
export function withCaplen(record: Uint8Array, caplen: number): Uint8Array {
  const b = Buffer.from(record);
  const n = Math.min(b.readUInt32LE(8), caplen);
  const out = Buffer.concat([b.subarray(0, 16), b.subarray(16, 16 + n)]);
  out.writeUInt32LE(n, 8);
  return out;
}

/** A pcap file header with another snapshot length. */
export function withSnaplen(header: Uint8Array, snaplen: number): Uint8Array {
  const out = Buffer.from(header);
  out.writeUInt32LE(snaplen, 16);
  return out;
}
