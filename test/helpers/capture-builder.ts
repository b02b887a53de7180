/**
 * Builds packets and capture files as bytes, for tests. Every builder returns a fresh Uint8Array;
 * nothing here validates its input, so tests can build damaged and impossible headers on purpose
 * (override a length, a data offset, a trailer) as easily as well-formed ones.
 */

import { type Frame, newFrame } from "../../src/capture/frame.js";
import type { CaptureIssue } from "../../src/capture/issue.js";

export type Bytes = Uint8Array;
export type Endian = "le" | "be";
type ByteSource = Uint8Array | readonly number[];

// ---------------------------------------------------------------------------------------------
// Bytes

export function bytes(...parts: ByteSource[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** "0a 0b0c" -> [0x0a, 0x0b, 0x0c]; whitespace is ignored. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${s}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** `n` bytes 0, 1, 2, ... (mod 256) starting at `seed`: payloads whose bytes can be told apart. */
export function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (seed + i) & 0xff;
  return out;
}

export function u16(v: number, e: Endian = "be"): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, v & 0xffff, e === "le");
  return out;
}

export function u32(v: number, e: Endian = "be"): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v >>> 0, e === "le");
  return out;
}

export function u64(v: bigint, e: Endian = "be"): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, v), e === "le");
  return out;
}

function padTo4(b: Uint8Array): Uint8Array {
  const pad = (4 - (b.length % 4)) % 4;
  return pad === 0 ? b : bytes(b, new Uint8Array(pad));
}

/** Copy of `b` with byte `i` replaced. */
export function patch(b: Uint8Array, at: number, replacement: ByteSource): Uint8Array {
  const out = b.slice();
  out.set(replacement, at);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Addresses

export function ipv4Addr(s: string): Uint8Array {
  const parts = s.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 address ${s}`);
  return Uint8Array.from(parts);
}

export function ipv6Addr(s: string): Uint8Array {
  const [head = "", tail] = s.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array<string>(fill).fill("0"), ...t];
  if (groups.length !== 8) throw new Error(`bad IPv6 address ${s}`);
  return bytes(...groups.map((g) => u16(Number.parseInt(g, 16))));
}

/** An address as TcpSegment stores it: one 32-bit word for IPv4, four for IPv6. */
export function addrWords(s: string): number[] {
  const b = s.includes(":") ? ipv6Addr(s) : ipv4Addr(s);
  const words = [0, 0, 0, 0];
  for (let i = 0; i < b.length / 4; i++) words[i] = new DataView(b.buffer).getUint32(i * 4);
  return words;
}

// ---------------------------------------------------------------------------------------------
// Link layers

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const ETH_ARP = 0x0806;
export const ETH_VLAN = 0x8100;
export const ETH_QINQ = 0x88a8;
export const ETH_QINQ_OLD = 0x9100;

export interface VlanTag {
  /** 0x8100 (802.1Q), 0x88a8 (802.1ad) or 0x9100 (pre-standard QinQ). */
  tpid: number;
  vid: number;
  pcp?: number;
}

export interface EthernetOptions {
  etherType?: number;
  tags?: VlanTag[];
  dst?: ByteSource;
  src?: ByteSource;
}

export function ethernet(payload: Uint8Array, o: EthernetOptions = {}): Uint8Array {
  const tags = (o.tags ?? []).map((t) => bytes(u16(t.tpid), u16(((t.pcp ?? 0) << 13) | (t.vid & 0xfff))));
  return bytes(
    o.dst ?? hex("020000000002"),
    o.src ?? hex("020000000001"),
    ...tags,
    u16(o.etherType ?? ETH_IPV4),
    payload,
  );
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 16-byte header). */
export function sll(payload: Uint8Array, o: { protocol?: number; packetType?: number } = {}): Uint8Array {
  return bytes(
    u16(o.packetType ?? 0), // to us
    u16(1), // ARPHRD_ETHER
    u16(6),
    hex("020000000001 0000"),
    u16(o.protocol ?? ETH_IPV4),
    payload,
  );
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 20-byte header), what `tcpdump -i any` writes. */
export function sll2(payload: Uint8Array, o: { protocol?: number; ifindex?: number } = {}): Uint8Array {
  return bytes(
    u16(o.protocol ?? ETH_IPV4),
    u16(0), // reserved
    u32(o.ifindex ?? 2),
    u16(1), // ARPHRD_ETHER
    [4, 6], // packet type (outgoing), address length
    hex("020000000001 0000"),
    payload,
  );
}

/** BSD loopback: NULL stores the address family in host byte order, LOOP in network order. */
export function bsdLoopback(payload: Uint8Array, family: number, e: Endian): Uint8Array {
  return bytes(u32(family, e), payload);
}

// ---------------------------------------------------------------------------------------------
// IPv4

export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export interface Ipv4Options {
  src?: string;
  dst?: string;
  protocol?: number;
  ttl?: number;
  id?: number;
  tos?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In 8-byte units. */
  fragmentOffset?: number;
  /** IP option bytes (padded with EOL to a multiple of 4). */
  options?: ByteSource;
  /** Overrides: total length field (0 for TSO captures), header length in 32-bit words, version. */
  totalLength?: number;
  ihl?: number;
  version?: number;
}

export function ipv4(payload: Uint8Array, o: Ipv4Options = {}): Uint8Array {
  const opts = padTo4(Uint8Array.from(o.options ?? []));
  const ihl = o.ihl ?? 5 + opts.length / 4;
  const total = o.totalLength ?? 20 + opts.length + payload.length;
  const frag = (o.dontFragment ? 0x4000 : 0) | (o.moreFragments ? 0x2000 : 0) | ((o.fragmentOffset ?? 0) & 0x1fff);
  const header = bytes(
    [((o.version ?? 4) << 4) | (ihl & 15), o.tos ?? 0],
    u16(total),
    u16(o.id ?? 0x1234),
    u16(frag),
    [o.ttl ?? 64, o.protocol ?? PROTO_TCP],
    u16(0),
    ipv4Addr(o.src ?? "10.0.0.1"),
    ipv4Addr(o.dst ?? "10.0.0.2"),
    opts,
  );
  header.set(u16(internetChecksum(header)), 10);
  return bytes(header, payload);
}

export function internetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ---------------------------------------------------------------------------------------------
// IPv6

export const NH_HOP_BY_HOP = 0;
export const NH_ROUTING = 43;
export const NH_FRAGMENT = 44;
export const NH_AH = 51;
export const NH_NO_NEXT = 59;
export const NH_DEST_OPTS = 60;

export type Ipv6Extension =
  /** Hop-by-hop, routing or destination options; `body` (after next-header and length) is padded to 8n+6. */
  | { type: "hop-by-hop" | "routing" | "destination"; body?: ByteSource }
  | { type: "fragment"; offset?: number; more?: boolean; id?: number }
  /** Authentication header: `icv` padded to a multiple of 4 (length field in 32-bit words minus 2). */
  | { type: "ah"; spi?: number; sequence?: number; icv?: ByteSource };

export interface Ipv6Options {
  src?: string;
  dst?: string;
  hopLimit?: number;
  flowLabel?: number;
  /** Protocol after the last extension header. */
  nextHeader?: number;
  extensions?: Ipv6Extension[];
  /** Override of the payload length field (0 for TSO captures and jumbograms). */
  payloadLength?: number;
  version?: number;
}

function extensionCode(x: Ipv6Extension): number {
  switch (x.type) {
    case "hop-by-hop":
      return NH_HOP_BY_HOP;
    case "routing":
      return NH_ROUTING;
    case "destination":
      return NH_DEST_OPTS;
    case "fragment":
      return NH_FRAGMENT;
    case "ah":
      return NH_AH;
  }
}

function extensionHeader(x: Ipv6Extension, next: number): Uint8Array {
  switch (x.type) {
    case "fragment":
      return bytes([next, 0], u16(((x.offset ?? 0) << 3) | (x.more ? 1 : 0)), u32(x.id ?? 0xabcdef01));
    case "ah": {
      const icv = padTo4(Uint8Array.from(x.icv ?? [0, 0, 0, 0]));
      const total = 12 + icv.length;
      return bytes([next, total / 4 - 2], u16(0), u32(x.spi ?? 0x100), u32(x.sequence ?? 1), icv);
    }
    default: {
      // Default body: a PadN option filling the 6 bytes after the two fixed ones.
      let body: Uint8Array = Uint8Array.from(x.body ?? [1, 4, 0, 0, 0, 0]);
      const pad = (8 - ((body.length + 2) % 8)) % 8;
      if (pad > 0) body = bytes(body, new Uint8Array(pad));
      return bytes([next, (body.length + 2) / 8 - 1], body);
    }
  }
}

export function ipv6(payload: Uint8Array, o: Ipv6Options = {}): Uint8Array {
  const exts = o.extensions ?? [];
  const chain: Uint8Array[] = [];
  for (let i = 0; i < exts.length; i++) {
    const after = exts[i + 1];
    chain.push(extensionHeader(exts[i]!, after ? extensionCode(after) : (o.nextHeader ?? PROTO_TCP)));
  }
  const first = exts[0];
  const next = first ? extensionCode(first) : (o.nextHeader ?? PROTO_TCP);
  const rest = bytes(...chain, payload);
  return bytes(
    u32((((o.version ?? 6) << 28) | ((o.flowLabel ?? 0) & 0xfffff)) >>> 0),
    u16(o.payloadLength ?? rest.length),
    [next, o.hopLimit ?? 64],
    ipv6Addr(o.src ?? "2001:db8::1"),
    ipv6Addr(o.dst ?? "2001:db8::2"),
    rest,
  );
}

// ---------------------------------------------------------------------------------------------
// TCP and UDP

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface TcpOptions {
  srcPort?: number;
  dstPort?: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  urgent?: number;
  /** Raw option bytes, padded with zeros (EOL) to a multiple of 4 unless `dataOffset` is given. */
  options?: ByteSource;
  /** Payload bytes, or a length for a patterned payload. */
  payload?: Uint8Array | number;
  /** Override of the data offset field in 32-bit words (may disagree with the option bytes). */
  dataOffset?: number;
}

export function tcp(o: TcpOptions = {}): Uint8Array {
  const rawOpts = Uint8Array.from(o.options ?? []);
  const opts = o.dataOffset === undefined ? padTo4(rawOpts) : rawOpts;
  const dataOffset = o.dataOffset ?? 5 + opts.length / 4;
  const payload = typeof o.payload === "number" ? pattern(o.payload, 0x41) : (o.payload ?? new Uint8Array(0));
  return bytes(
    u16(o.srcPort ?? 40000),
    u16(o.dstPort ?? 80),
    u32(o.seq ?? 1000),
    u32(o.ack ?? 0),
    [(dataOffset & 15) << 4, (o.flags ?? ACK) & 0xff],
    u16(o.window ?? 65535),
    u16(0),
    u16(o.urgent ?? 0),
    opts,
    payload,
  );
}

export function udp(o: { srcPort?: number; dstPort?: number; payload?: number } = {}): Uint8Array {
  const payload = pattern(o.payload ?? 8);
  return bytes(u16(o.srcPort ?? 5353), u16(o.dstPort ?? 53), u16(8 + payload.length), u16(0), payload);
}

/** TCP option encodings. */
export const opt = {
  eol: (): number[] => [0],
  nop: (): number[] => [1],
  mss: (v: number): number[] => [2, 4, (v >> 8) & 0xff, v & 0xff],
  wscale: (shift: number): number[] => [3, 3, shift],
  sackPermitted: (): number[] => [4, 2],
  sack: (blocks: readonly (readonly [number, number])[]): number[] => [
    5,
    2 + blocks.length * 8,
    ...blocks.flatMap(([l, r]) => [...u32(l), ...u32(r)]),
  ],
  timestamp: (val: number, ecr: number): number[] => [8, 10, ...u32(val), ...u32(ecr)],
};

/** What Linux puts in a SYN: MSS, SACK permitted, timestamps, NOP, window scale (20 bytes). */
export function linuxSynOptions(o: { mss?: number; wscale?: number; tsVal?: number; tsEcr?: number } = {}): number[] {
  return [
    ...opt.mss(o.mss ?? 1460),
    ...opt.sackPermitted(),
    ...opt.timestamp(o.tsVal ?? 0x01020304, o.tsEcr ?? 0),
    ...opt.nop(),
    ...opt.wscale(o.wscale ?? 7),
  ];
}

// ---------------------------------------------------------------------------------------------
// Classic pcap

export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW_12: 12,
  RAW_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface PcapFileOptions {
  endian?: Endian;
  /** Timestamp fraction unit: "us" (magic a1b2c3d4) or "ns" (a1b23c4d). */
  resolution?: "us" | "ns";
  /** Alexey Kuznetzov's "modified" pcap (magic a1b2cd34): 8 more bytes per record header. */
  kuznetzov?: boolean;
  /** Written as is, so FCS bits in the upper bits can be set. */
  linkType?: number;
  snaplen?: number;
  versionMajor?: number;
  versionMinor?: number;
  /** Cut record data to `snaplen` bytes as a capturing tool would (caplen = snaplen, origLen kept). */
  truncate?: boolean;
}

export interface PcapRecord {
  sec: number;
  /** Fraction of the second in the file's unit (µs or ns). */
  frac?: number;
  data: Uint8Array;
  /** Header overrides; the bytes written are always `data` (possibly cut by `truncate`). */
  caplen?: number;
  origLen?: number;
}

export function pcapMagic(o: PcapFileOptions): number {
  if (o.kuznetzov) return 0xa1b2cd34;
  return o.resolution === "ns" ? 0xa1b23c4d : 0xa1b2c3d4;
}

export function pcapHeader(o: PcapFileOptions = {}): Uint8Array {
  const e = o.endian ?? "le";
  return bytes(
    u32(pcapMagic(o), e),
    u16(o.versionMajor ?? 2, e),
    u16(o.versionMinor ?? 4, e),
    u32(0, e), // thiszone
    u32(0, e), // sigfigs
    u32(o.snaplen ?? 262144, e),
    u32(o.linkType ?? LINKTYPE.ETHERNET, e),
  );
}

/** Size of one record header for these options. */
export function pcapRecordHeaderSize(o: PcapFileOptions = {}): number {
  return o.kuznetzov ? 24 : 16;
}

export function pcapRecord(o: PcapFileOptions, r: PcapRecord): Uint8Array {
  const e = o.endian ?? "le";
  const snaplen = o.snaplen ?? 262144;
  const data = o.truncate && r.data.length > snaplen ? r.data.subarray(0, snaplen) : r.data;
  const header: ByteSource[] = [
    u32(r.sec, e),
    u32(r.frac ?? 0, e),
    u32(r.caplen ?? data.length, e),
    u32(r.origLen ?? r.data.length, e),
  ];
  if (o.kuznetzov) header.push(u32(2, e), u16(ETH_IPV4, e), [0, 0]); // ifindex, protocol, pkt_type, pad
  return bytes(...header, data);
}

export function pcapFile(o: PcapFileOptions, records: readonly PcapRecord[]): Uint8Array {
  return bytes(pcapHeader(o), ...records.map((r) => pcapRecord(o, r)));
}

// ---------------------------------------------------------------------------------------------
// pcapng

export const BLOCK = {
  SHB: 0x0a0d0d0a,
  IDB: 1,
  OPB: 2,
  SPB: 3,
  NRB: 4,
  ISB: 5,
  EPB: 6,
  DSB: 0x0a,
  CUSTOM: 0x00000bad,
  CUSTOM_NOCOPY: 0x40000bad,
} as const;

export interface PcapngOption {
  code: number;
  value: ByteSource;
}

/** Options followed by opt_endofopt; empty input gives no bytes at all. */
export function pcapngOptions(e: Endian, options: readonly PcapngOption[]): Uint8Array {
  if (options.length === 0) return new Uint8Array(0);
  const parts = options.map((x) => bytes(u16(x.code, e), u16(x.value.length, e), padTo4(Uint8Array.from(x.value))));
  return bytes(...parts, u16(0, e), u16(0, e));
}

export interface BlockOverrides {
  /** Leading block total length as written. */
  length?: number;
  /** Trailing block total length as written. */
  trailer?: number;
}

/** A generic block: type, length, body (padded to 4), length. */
export function pcapngBlock(e: Endian, type: number, body: ByteSource, ov: BlockOverrides = {}): Uint8Array {
  const padded = padTo4(Uint8Array.from(body));
  const len = 12 + padded.length;
  return bytes(u32(type, e), u32(ov.length ?? len, e), padded, u32(ov.trailer ?? len, e));
}

export function shb(
  e: Endian,
  o: { major?: number; minor?: number; sectionLength?: bigint; options?: PcapngOption[] } & BlockOverrides = {},
): Uint8Array {
  const body = bytes(
    u32(0x1a2b3c4d, e),
    u16(o.major ?? 1, e),
    u16(o.minor ?? 0, e),
    u64(o.sectionLength ?? -1n, e),
    pcapngOptions(e, o.options ?? []),
  );
  return pcapngBlock(e, BLOCK.SHB, body, o);
}

export interface IdbOptions extends BlockOverrides {
  linkType: number;
  snaplen?: number;
  /** if_tsresol byte: 6 = µs (the default when absent), 9 = ns, 0x80|n = 2^-n seconds. */
  tsresol?: number;
  /** if_tsoffset: seconds added to every timestamp (a signed 64-bit value). */
  tsoffset?: bigint;
  /** Further options (if_name etc.). */
  options?: PcapngOption[];
}

export function idb(e: Endian, o: IdbOptions): Uint8Array {
  const options: PcapngOption[] = [...(o.options ?? [])];
  if (o.tsresol !== undefined) options.push({ code: 9, value: [o.tsresol] });
  if (o.tsoffset !== undefined) options.push({ code: 14, value: u64(o.tsoffset, e) });
  const body = bytes(u16(o.linkType, e), u16(0, e), u32(o.snaplen ?? 0, e), pcapngOptions(e, options));
  return pcapngBlock(e, BLOCK.IDB, body, o);
}

export interface EpbOptions extends BlockOverrides {
  interfaceId?: number;
  /** Timestamp in interface units. */
  timestamp?: bigint;
  data: Uint8Array;
  /** Header overrides; the bytes written are always `data`. */
  caplen?: number;
  origLen?: number;
  options?: PcapngOption[];
}

function tsWords(ts: bigint, e: Endian): Uint8Array {
  const t = BigInt.asUintN(64, ts);
  return bytes(u32(Number(t >> 32n), e), u32(Number(t & 0xffffffffn), e));
}

export function epb(e: Endian, o: EpbOptions): Uint8Array {
  const body = bytes(
    u32(o.interfaceId ?? 0, e),
    tsWords(o.timestamp ?? 0n, e),
    u32(o.caplen ?? o.data.length, e),
    u32(o.origLen ?? o.data.length, e),
    padTo4(o.data),
    pcapngOptions(e, o.options ?? []),
  );
  return pcapngBlock(e, BLOCK.EPB, body, o);
}

/** Simple Packet Block: no interface id (always 0), no timestamp, no captured length. */
export function spb(e: Endian, o: { data: Uint8Array; origLen?: number } & BlockOverrides): Uint8Array {
  return pcapngBlock(e, BLOCK.SPB, bytes(u32(o.origLen ?? o.data.length, e), padTo4(o.data)), o);
}

/** Obsolete Packet Block: 16-bit interface id and drops count. */
export function opb(
  e: Endian,
  o: {
    interfaceId?: number;
    drops?: number;
    timestamp?: bigint;
    data: Uint8Array;
    caplen?: number;
    origLen?: number;
  } & BlockOverrides,
): Uint8Array {
  const body = bytes(
    u16(o.interfaceId ?? 0, e),
    u16(o.drops ?? 0, e),
    tsWords(o.timestamp ?? 0n, e),
    u32(o.caplen ?? o.data.length, e),
    u32(o.origLen ?? o.data.length, e),
    padTo4(o.data),
  );
  return pcapngBlock(e, BLOCK.OPB, body, o);
}

/** Interface Statistics Block (skipped by readers that only want packets). */
export function isb(e: Endian, interfaceId = 0, timestamp = 0n): Uint8Array {
  return pcapngBlock(e, BLOCK.ISB, bytes(u32(interfaceId, e), tsWords(timestamp, e)));
}

/** Name Resolution Block with one IPv4 record and the end marker. */
export function nrb(e: Endian): Uint8Array {
  const name = new TextEncoder().encode("host.example\0");
  return pcapngBlock(
    e,
    BLOCK.NRB,
    bytes(u16(1, e), u16(4 + name.length, e), padTo4(bytes(ipv4Addr("10.0.0.1"), name)), u32(0, e)),
  );
}

/** Custom block (Private Enterprise Number + data). */
export function customBlock(e: Endian, body: ByteSource = pattern(10), type: number = BLOCK.CUSTOM): Uint8Array {
  return pcapngBlock(e, type, bytes(u32(32473, e), Uint8Array.from(body)));
}

// ---------------------------------------------------------------------------------------------
// Reading helpers

/** A delivered frame, copied out of the reader's buffer (which the next feed may overwrite). */
export interface FrameCopy {
  number: number;
  sec: number;
  nsec: number;
  linkType: number;
  interfaceId: number;
  caplen: number;
  origLen: number;
  fileOffset: number;
  bytes: string;
}

export interface PullReader {
  feed(chunk: Uint8Array): void;
  next(frame: Frame): boolean;
  finish(): void;
  readonly warnings: CaptureIssue[];
  readonly error: CaptureIssue | null;
}

export interface ReadResult {
  frames: FrameCopy[];
  warnings: CaptureIssue[];
  error: CaptureIssue | null;
}

/**
 * Feed `input` in the given chunks (cut points; none = one chunk), pulling frames after each feed
 * and after finish(), as the CLI does. `check` sees every frame as delivered, before any copying.
 */
export function readChunks(
  reader: PullReader,
  input: Uint8Array,
  cuts: readonly number[] = [],
  frame: Frame = newTestFrame(),
  check?: (f: Frame) => void,
): ReadResult {
  const frames: FrameCopy[] = [];
  const pull = () => {
    while (reader.next(frame)) {
      check?.(frame);
      frames.push({
        number: frame.number,
        sec: frame.sec,
        nsec: frame.nsec,
        linkType: frame.linkType,
        interfaceId: frame.interfaceId,
        caplen: frame.caplen,
        origLen: frame.origLen,
        fileOffset: frame.fileOffset,
        bytes: toHex(frame.data.subarray(frame.offset, frame.offset + frame.caplen)),
      });
      if (frames.length > input.length + 1) throw new Error("reader delivers more frames than there are bytes");
    }
  };
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= at || cut >= input.length) continue;
    reader.feed(input.slice(at, cut));
    pull();
    at = cut;
  }
  if (at < input.length) reader.feed(input.slice(at));
  pull();
  reader.finish();
  pull();
  return { frames, warnings: [...reader.warnings], error: reader.error };
}

/** Cut points for 1-byte chunks. */
export function everyByte(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** A fresh frame to read into (the readers refill one object). */
export const newTestFrame = newFrame;

/**
 * A Frame over `packet` as a reader would deliver it: the packet sits at an offset inside a larger
 * buffer whose surrounding bytes are 0xee, so a decoder that reads outside [offset, offset+caplen)
 * sees garbage. `caplen` below the packet length models a snaplen cut (origLen stays the wire size).
 */
export function frameOf(
  linkType: number,
  packet: Uint8Array,
  o: { caplen?: number; origLen?: number; number?: number; sec?: number; nsec?: number } = {},
): Frame {
  const lead = 7;
  const caplen = o.caplen ?? packet.length;
  const data = new Uint8Array(lead + packet.length + 9).fill(0xee);
  data.set(packet.subarray(0, caplen), lead);
  return {
    number: o.number ?? 1,
    sec: o.sec ?? 1_700_000_000,
    nsec: o.nsec ?? 0,
    linkType,
    interfaceId: 0,
    data,
    offset: lead,
    caplen,
    origLen: o.origLen ?? packet.length,
    fileOffset: 0,
  };
}
