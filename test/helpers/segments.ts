import type { Connection } from "../../src/connections/connection.js";
import { ConnectionTracker } from "../../src/connections/tracker.js";
import { ACK, FIN, PSH, RST, SYN, TcpSegment } from "../../src/decode/segment.js";
import { decodeTcpOptions } from "../../src/decode/tcp-options.js";

/** A segment described the way tcpdump prints it, for connection-level tests. */
export interface SegmentSpec {
  from: string; // "1.2.3.4:42501" or "[2001:db8::1]:80"
  to: string;
  flags?: string; // tcpdump letters: S F R P . (ACK)
  seq?: number;
  ack?: number;
  win?: number;
  len?: number;
  time?: number;
  frame?: number;
  wscale?: number;
  mss?: number;
  sackOK?: boolean;
  ts?: [number, number];
  /** Option block cut by the snapshot length. */
  truncatedOptions?: boolean;
  ipId?: number;
  ttl?: number;
  /**
   * The option block as laid out on the wire, p0f style ("mss,nop,ws,sok,nop,nop,nop,nop,ts"),
   * encoded to bytes and decoded by the real option walker; values from mss, wscale and ts.
   */
  layout?: string;
}

/** Bytes of an option layout: mss, nop, ws (ws4, ws2: window scale of a wrong length), sok, ts, eol. */
export function layoutBytes(spec: Pick<SegmentSpec, "layout" | "mss" | "wscale" | "ts">): Uint8Array {
  const out: number[] = [];
  const u32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  for (const name of (spec.layout ?? "").split(",")) {
    const mss = spec.mss ?? 1460;
    const ts = spec.ts ?? [1, 0];
    if (name === "mss") out.push(2, 4, mss >> 8, mss & 0xff);
    else if (name === "nop") out.push(1);
    else if (name === "eol") out.push(0);
    else if (name === "ws") out.push(3, 3, spec.wscale ?? 7);
    else if (name === "ws4")
      out.push(3, 4, spec.wscale ?? 7, 0); // one byte too long (RFC 7323: 3)
    else if (name === "ws2")
      out.push(3, 2); // no room for the shift
    else if (name === "sok") out.push(4, 2);
    else if (name === "ts") out.push(8, 10, ...u32(ts[0]), ...u32(ts[1]));
    else throw new Error(`unknown option ${name}`);
  }
  return Uint8Array.from(out);
}

function parseEndpoint(s: string): { words: number[]; port: number; v: 4 | 6 } {
  const m6 = /^\[(.+)\]:(\d+)$/.exec(s);
  if (m6) {
    const [head, tail] = m6[1]!.split("::") as [string, string | undefined];
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t].map((g) => Number.parseInt(g, 16));
    const words = [0, 1, 2, 3].map((i) => ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0);
    return { words, port: Number(m6[2]), v: 6 };
  }
  const [ip, port] = s.split(":") as [string, string];
  const o = ip.split(".").map(Number);
  return { words: [((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0, 0, 0, 0], port: Number(port), v: 4 };
}

let autoFrame = 0;

export function resetFrames(): void {
  autoFrame = 0;
}

export function makeSegment(spec: SegmentSpec, into = new TcpSegment()): TcpSegment {
  const a = parseEndpoint(spec.from);
  const b = parseEndpoint(spec.to);
  const s = into;
  s.ipVersion = a.v;
  s.src.set(a.words);
  s.dst.set(b.words);
  s.srcPort = a.port;
  s.dstPort = b.port;
  let flags = 0;
  for (const c of spec.flags ?? ".") {
    flags |= c === "S" ? SYN : c === "F" ? FIN : c === "R" ? RST : c === "P" ? PSH : c === "." ? ACK : 0;
  }
  s.flags = flags;
  s.seq = (spec.seq ?? 0) >>> 0;
  s.ack = (spec.ack ?? 0) >>> 0;
  s.window = spec.win ?? 0;
  s.payloadLength = spec.len ?? 0;
  s.time = spec.time ?? Number.NaN;
  s.frame = spec.frame ?? ++autoFrame;
  s.ttl = spec.ttl ?? 64;
  s.ipId = spec.ipId ?? 0;
  s.optionsState = spec.truncatedOptions ? 1 : 0;
  s.wscale = spec.wscale ?? -1;
  s.wscaleLength = spec.wscale === undefined ? 0 : 3;
  s.wscaleCount = spec.wscale === undefined ? 0 : 1;
  s.mss = spec.mss ?? -1;
  s.sackPermitted = spec.sackOK ?? false;
  s.hasTimestamp = spec.ts !== undefined;
  s.tsVal = spec.ts?.[0] ?? 0;
  s.tsEcr = spec.ts?.[1] ?? 0;
  s.sackCount = 0;
  s.optionCount = 0;
  s.longestNopRun = 0;
  if (spec.layout !== undefined) {
    const b = layoutBytes(spec);
    decodeTcpOptions(b, 0, b.length, b.length, s);
  }
  return s;
}

/** The segments of one connection through the real tracker: the connection, finalised (with its timeline if asked). */
export function trackConnection(specs: SegmentSpec[], opts: { timeline?: boolean } = {}): Connection {
  let conn: Connection | undefined;
  const tracker = new ConnectionTracker({ idleTimeout: 300, timeline: opts.timeline, onFinal: (c) => (conn = c) });
  for (const s of specs) tracker.segment(makeSegment(s));
  tracker.flush();
  return conn!;
}
