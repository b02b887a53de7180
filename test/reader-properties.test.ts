import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Frame } from "../src/capture/frame.js";
import { PcapReader } from "../src/capture/pcap.js";
import { PcapngReader } from "../src/capture/pcapng.js";
import { MAX_CAPLEN } from "../src/capture/reader.js";
import { decodeFrame } from "../src/decode/decode-frame.js";
import { LinkType } from "../src/decode/link.js";
import { TcpSegment } from "../src/decode/segment.js";
import { FrameSegmentSource } from "../src/decode/segment-source.js";
import { DecodeStatus, STATUS_MASK } from "../src/decode/status.js";
import {
  bsdLoopback,
  bytes,
  customBlock,
  type Endian,
  ETH_IPV4,
  ETH_IPV6,
  epb,
  ethernet,
  idb,
  ipv4,
  ipv6,
  opb,
  type PcapFileOptions,
  pcapFile,
  pcapRecordHeaderSize,
  type ReadResult,
  readChunks,
  shb,
  sll,
  sll2,
  spb,
  tcp,
  toHex,
} from "./helpers/capture-builder.js";

/** Raise with PROP_RUNS=5000 for a longer search. */
const RUNS = Number(process.env.PROP_RUNS ?? 300);
const T0 = 1_700_000_000;

// ---------------------------------------------------------------------------------------------
// Generators

const LINK_TYPES = [
  LinkType.ETHERNET,
  LinkType.LINUX_SLL,
  LinkType.LINUX_SLL2,
  LinkType.RAW,
  LinkType.RAW_12,
  LinkType.RAW_14,
  LinkType.IPV4,
  LinkType.IPV6,
  LinkType.NULL,
  LinkType.LOOP,
] as const;

interface PacketSpec {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  payload: number;
}

/** A TCP packet with random header fields and option bytes, wrapped for `linkType`. */
function arbPacket(linkType: number): fc.Arbitrary<Uint8Array> {
  return arbPacketWithSpec(linkType).map((x) => x.packet);
}

function arbPacketWithSpec(linkType: number): fc.Arbitrary<{ packet: Uint8Array; spec: PacketSpec }> {
  return fc
    .record({
      v6:
        linkType === LinkType.IPV4 ? fc.constant(false) : linkType === LinkType.IPV6 ? fc.constant(true) : fc.boolean(),
      srcPort: fc.integer({ min: 0, max: 65535 }),
      dstPort: fc.integer({ min: 0, max: 65535 }),
      seq: fc.integer({ min: 0, max: 0xffffffff }),
      ack: fc.integer({ min: 0, max: 0xffffffff }),
      flags: fc.integer({ min: 0, max: 255 }),
      options: fc.uint8Array({ maxLength: 40 }),
      payload: fc.integer({ min: 0, max: 120 }),
      ipOptions: fc.uint8Array({ maxLength: 8 }),
      ext: fc.boolean(),
      vlan: fc.boolean(),
    })
    .map((p) => {
      const t = tcp({ ...p, options: p.options.subarray(0, p.options.length & ~3) });
      const ip = p.v6
        ? ipv6(t, { extensions: p.ext ? [{ type: "hop-by-hop" }, { type: "fragment", more: true }] : [] })
        : ipv4(t, { options: p.ipOptions, moreFragments: p.ext });
      const etherType = p.v6 ? ETH_IPV6 : ETH_IPV4;
      const packet = (() => {
        switch (linkType) {
          case LinkType.ETHERNET:
            return ethernet(ip, { etherType, tags: p.vlan ? [{ tpid: 0x8100, vid: 5 }] : [] });
          case LinkType.LINUX_SLL:
            return sll(ip, { protocol: etherType });
          case LinkType.LINUX_SLL2:
            return sll2(ip, { protocol: etherType });
          case LinkType.NULL:
            return bsdLoopback(ip, p.v6 ? 30 : 2, p.vlan ? "le" : "be");
          case LinkType.LOOP:
            return bsdLoopback(ip, p.v6 ? 28 : 2, "be");
          default:
            return ip;
        }
      })();
      return { packet, spec: p };
    });
}

interface PcapSpec {
  o: PcapFileOptions;
  records: { sec: number; frac: number; data: Uint8Array }[];
}

const arbPcap: fc.Arbitrary<PcapSpec> = fc
  .record({
    endian: fc.constantFrom<Endian>("le", "be"),
    resolution: fc.constantFrom<"us" | "ns">("us", "ns"),
    kuznetzov: fc.boolean(),
    linkType: fc.constantFrom(...LINK_TYPES),
  })
  // The Kuznetzov format has µs timestamps only.
  .map((h) => (h.kuznetzov ? { ...h, resolution: "us" as const } : h))
  .chain((h) =>
    fc.record({
      o: fc.constant<PcapFileOptions>(h),
      records: fc.array(
        fc.record({
          sec: fc.integer({ min: T0, max: T0 + 1000 }),
          frac: fc.integer({ min: 0, max: h.resolution === "ns" ? 999_999_999 : 999_999 }),
          data: arbPacket(h.linkType),
        }),
        { maxLength: 6 },
      ),
    }),
  );

/** Resolutions whose unit is a whole number of nanoseconds, so sec/nsec are exact. */
const TSRESOLS = [
  { tsresol: undefined, units: 1_000_000n },
  { tsresol: 6, units: 1_000_000n },
  { tsresol: 9, units: 1_000_000_000n },
  { tsresol: 3, units: 1000n },
  { tsresol: 0x83, units: 8n },
  { tsresol: 0x89, units: 512n },
] as const;

interface NgPacket {
  kind: "epb" | "opb" | "spb" | "custom";
  iface: number;
  ts: bigint;
  data: Uint8Array;
}
interface NgSection {
  endian: Endian;
  ifaces: { linkType: number; res: number; tsoffset: bigint | undefined }[];
  packets: NgPacket[];
}

const arbSection: fc.Arbitrary<NgSection> = fc
  .record({
    endian: fc.constantFrom<Endian>("le", "be"),
    ifaces: fc.array(
      fc.record({
        linkType: fc.constantFrom(...LINK_TYPES),
        res: fc.integer({ min: 0, max: TSRESOLS.length - 1 }),
        tsoffset: fc.option(fc.bigInt({ min: 0n, max: 10_000n }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .chain((s) =>
    fc.record({
      endian: fc.constant(s.endian),
      ifaces: fc.constant(s.ifaces),
      packets: fc.array(
        fc.integer({ min: 0, max: s.ifaces.length - 1 }).chain((iface) =>
          fc.record({
            kind: iface === 0 ? fc.constantFrom("epb", "opb", "spb", "custom") : fc.constantFrom("epb", "opb"),
            iface: fc.constant(iface),
            // Any second up to 2100 (what a 64-bit ns counter still holds), any fraction.
            ts: fc
              .tuple(fc.bigInt({ min: 0n, max: 4_102_444_800n }), fc.bigInt({ min: 0n, max: 10n ** 9n }))
              .map(
                ([sec, frac]) =>
                  sec * TSRESOLS[s.ifaces[iface]!.res]!.units + (frac % TSRESOLS[s.ifaces[iface]!.res]!.units),
              ),
            data: arbPacket(s.ifaces[iface]!.linkType),
          }),
        ),
        { maxLength: 5 },
      ),
    }),
  );

function buildPcapng(sections: NgSection[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const s of sections) {
    const e = s.endian;
    blocks.push(shb(e));
    for (const i of s.ifaces) {
      blocks.push(idb(e, { linkType: i.linkType, tsresol: TSRESOLS[i.res]!.tsresol, tsoffset: i.tsoffset }));
    }
    for (const p of s.packets) {
      if (p.kind === "epb") blocks.push(epb(e, { interfaceId: p.iface, timestamp: p.ts, data: p.data }));
      else if (p.kind === "opb") blocks.push(opb(e, { interfaceId: p.iface, timestamp: p.ts, data: p.data }));
      else if (p.kind === "spb") blocks.push(spb(e, { data: p.data }));
      else blocks.push(customBlock(e, p.data));
    }
  }
  return bytes(...blocks);
}

type Mutation =
  | { op: "flip"; at: number; bit: number }
  | { op: "insert"; at: number; data: Uint8Array }
  | { op: "delete"; at: number; n: number }
  | { op: "set32"; at: number; value: number; le: boolean };

const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), data: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 9 }) }),
  fc.record({
    op: fc.constant("set32" as const),
    at: fc.nat(),
    value: fc.constantFrom(0, 1, 12, 13, 0xffff, 0x10000, 262_145, 0x7fffffff, 0xffffffff),
    le: fc.boolean(),
  }),
);

function mutate(input: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = input;
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.op === "flip") {
      b = b.slice();
      b[at] = b[at]! ^ (1 << m.bit);
    } else if (m.op === "insert") b = bytes(b.subarray(0, at), m.data, b.subarray(at));
    else if (m.op === "delete") b = bytes(b.subarray(0, at), b.subarray(at + m.n));
    else if (at + 4 <= b.length) {
      b = b.slice();
      new DataView(b.buffer).setUint32(at, m.value >>> 0, m.le);
    }
  }
  return b;
}

const arbCuts = (max: number) => fc.array(fc.integer({ min: 1, max: Math.max(1, max) }), { maxLength: 12 });

// ---------------------------------------------------------------------------------------------
// Invariants

/** Checks every delivered frame, before the reader is fed again. */
function frameChecker(input: Uint8Array) {
  let expected = 1;
  return (f: Frame) => {
    expect(f.number).toBe(expected++);
    expect(Number.isInteger(f.offset) && f.offset >= 0).toBe(true);
    expect(Number.isInteger(f.caplen) && f.caplen >= 0).toBe(true);
    expect(f.offset + f.caplen).toBeLessThanOrEqual(f.data.length);
    expect(f.caplen).toBeLessThanOrEqual(MAX_CAPLEN);
    expect(Number.isInteger(f.fileOffset) && f.fileOffset >= 0).toBe(true);
    // The frame's bytes are the input's bytes right after the record or block header.
    const got = toHex(f.data.subarray(f.offset, f.offset + f.caplen));
    const candidates = [12, 16, 24, 28].map((h) =>
      toHex(input.subarray(f.fileOffset + h, f.fileOffset + h + f.caplen)),
    );
    expect(candidates).toContain(got);
    expect(f.fileOffset + f.caplen).toBeLessThanOrEqual(input.length);
  };
}

function checkResult(r: ReadResult, input: Uint8Array) {
  expect(r.frames.length).toBeLessThanOrEqual(input.length);
  expect(r.warnings.length).toBeLessThanOrEqual(input.length + 2);
  for (const w of [...r.warnings, ...(r.error ? [r.error] : [])]) {
    expect(Number.isInteger(w.offset) && w.offset >= 0 && w.offset <= input.length).toBe(true);
    expect(w.message.length).toBeGreaterThan(0);
  }
}

function checkSegment(s: TcpSegment) {
  const inRange = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  expect(inRange(s.srcPort, 0, 65535) && inRange(s.dstPort, 0, 65535)).toBe(true);
  expect(inRange(s.seq, 0, 0xffffffff) && inRange(s.ack, 0, 0xffffffff)).toBe(true);
  expect(inRange(s.payloadLength, 0, Number.MAX_SAFE_INTEGER)).toBe(true);
  expect(inRange(s.headerLength, 20, 60) && s.headerLength % 4 === 0).toBe(true);
  expect(inRange(s.window, 0, 65535)).toBe(true);
  expect(inRange(s.wscale, -1, 255) && inRange(s.mss, -1, 65535)).toBe(true);
  expect(inRange(s.optionCount, 0, 40) && inRange(s.sackCount, 0, 4)).toBe(true);
  expect([4, 6]).toContain(s.ipVersion);
}

function readWith(reader: PcapReader | PcapngReader, input: Uint8Array, cuts: number[]): ReadResult {
  const r = readChunks(reader, input, cuts, undefined, frameChecker(input));
  checkResult(r, input);
  return r;
}

// ---------------------------------------------------------------------------------------------

describe("readers never throw, always terminate, and keep frames inside the input", () => {
  it("PcapReader on random bytes behind a valid header", () => {
    fc.assert(
      fc.property(
        fc.record({
          endian: fc.constantFrom<Endian>("le", "be"),
          resolution: fc.constantFrom<"us" | "ns">("us", "ns"),
          kuznetzov: fc.boolean(),
        }),
        fc.uint8Array({ maxLength: 400 }),
        arbCuts(420),
        (o, tail, cuts) => {
          const head = pcapFile(o, []);
          readWith(new PcapReader(), bytes(head, tail), cuts);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("PcapReader and PcapngReader on entirely random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), arbCuts(300), (input, cuts) => {
        readWith(new PcapReader(), input, cuts);
        readWith(new PcapngReader(), input, cuts);
      }),
      { numRuns: RUNS },
    );
  });

  it("PcapngReader on random blocks behind a valid section header", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Endian>("le", "be"),
        fc.array(
          fc.record({
            type: fc.constantFrom(1, 2, 3, 5, 6, 0xbad, 0x0a0d0d0a, 0x1234),
            body: fc.uint8Array({ maxLength: 60 }),
          }),
          { maxLength: 8 },
        ),
        arbCuts(500),
        (e, blocks, cuts) => {
          const input = bytes(
            shb(e),
            idb(e, { linkType: 1 }),
            ...blocks.map(({ type, body }) => {
              const padded = bytes(body, new Uint8Array((4 - (body.length % 4)) % 4));
              const len = 12 + padded.length;
              const dv = (v: number) => {
                const x = new Uint8Array(4);
                new DataView(x.buffer).setUint32(0, v, e === "le");
                return x;
              };
              return bytes(dv(type), dv(len), padded, dv(len));
            }),
          );
          readWith(new PcapngReader(), input, cuts);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("PcapReader on mutated valid captures, randomly chunked", () => {
    fc.assert(
      fc.property(arbPcap, fc.array(arbMutation, { minLength: 1, maxLength: 4 }), arbCuts(2000), (spec, ms, cuts) => {
        readWith(new PcapReader(), mutate(pcapFile(spec.o, spec.records), ms), cuts);
      }),
      { numRuns: RUNS },
    );
  });

  it("PcapngReader on mutated valid captures, randomly chunked", () => {
    fc.assert(
      fc.property(
        fc.array(arbSection, { minLength: 1, maxLength: 3 }),
        fc.array(arbMutation, { minLength: 1, maxLength: 4 }),
        arbCuts(3000),
        (sections, ms, cuts) => {
          readWith(new PcapngReader(), mutate(buildPcapng(sections), ms), cuts);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("chunking never changes what a reader delivers", () => {
  it("PcapReader: mutated captures give the same frames, warnings and error in one chunk or many", () => {
    fc.assert(
      fc.property(arbPcap, fc.array(arbMutation, { maxLength: 3 }), arbCuts(2000), (spec, ms, cuts) => {
        const input = mutate(pcapFile(spec.o, spec.records), ms);
        expect(readWith(new PcapReader(), input, cuts)).toEqual(readWith(new PcapReader(), input, []));
      }),
      { numRuns: RUNS },
    );
  });

  it("PcapngReader: mutated captures give the same frames, warnings and error in one chunk or many", () => {
    fc.assert(
      fc.property(
        fc.array(arbSection, { minLength: 1, maxLength: 3 }),
        fc.array(arbMutation, { maxLength: 3 }),
        arbCuts(3000),
        (sections, ms, cuts) => {
          const input = mutate(buildPcapng(sections), ms);
          expect(readWith(new PcapngReader(), input, cuts)).toEqual(readWith(new PcapngReader(), input, []));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("valid captures are read exactly", () => {
  it("pcap: every record, with exact sec/nsec and bytes", () => {
    fc.assert(
      fc.property(arbPcap, arbCuts(2000), (spec, cuts) => {
        const input = pcapFile(spec.o, spec.records);
        const r = readWith(new PcapReader(), input, cuts);
        expect(r.error).toBeNull();
        expect(r.warnings).toEqual([]);
        const rh = pcapRecordHeaderSize(spec.o);
        let at = 24;
        const expected = spec.records.map((rec, i) => {
          const f = {
            number: i + 1,
            sec: rec.sec,
            nsec: spec.o.resolution === "ns" ? rec.frac : rec.frac * 1000,
            linkType: spec.o.linkType,
            interfaceId: 0,
            caplen: rec.data.length,
            origLen: rec.data.length,
            fileOffset: at,
            bytes: toHex(rec.data),
          };
          at += rh + rec.data.length;
          return f;
        });
        expect(r.frames).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it("pcapng: every packet block, with exact sec/nsec per interface resolution and offset", () => {
    fc.assert(
      fc.property(fc.array(arbSection, { minLength: 1, maxLength: 3 }), arbCuts(3000), (sections, cuts) => {
        const input = buildPcapng(sections);
        const r = readWith(new PcapngReader(), input, cuts);
        expect(r.error).toBeNull();
        expect(r.warnings).toEqual([]);
        const expected = sections.flatMap((s) =>
          s.packets
            .filter((p) => p.kind !== "custom")
            .map((p) => {
              const i = s.ifaces[p.iface]!;
              const units = TSRESOLS[i.res]!.units;
              const ts = p.kind === "spb" ? 0n : p.ts;
              return {
                interfaceId: p.iface,
                linkType: i.linkType,
                sec: Number(ts / units + (i.tsoffset ?? 0n)),
                nsec: Number(((ts % units) * 1_000_000_000n) / units),
                caplen: p.data.length,
                bytes: toHex(p.data),
              };
            }),
        );
        expect(
          r.frames.map((f) => ({
            interfaceId: f.interfaceId,
            linkType: f.linkType,
            sec: f.sec,
            nsec: f.nsec,
            caplen: f.caplen,
            bytes: f.bytes,
          })),
        ).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("decoding never throws and yields sane segments", () => {
  it("decodeFrame on random bytes for every link type, with random caplen/origLen", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          ...LINK_TYPES,
          LinkType.PPP,
          LinkType.PPP_HDLC,
          LinkType.PPP_ETHER,
          LinkType.C_HDLC,
          LinkType.IPOIB,
          105,
        ),
        fc.uint8Array({ maxLength: 160 }),
        fc.nat(),
        fc.integer({ min: 0, max: 70_000 }),
        (linkType, packet, cap, origLen) => {
          const caplen = packet.length === 0 ? 0 : cap % (packet.length + 1);
          checkDecodeIsLocal(linkType, packet, caplen, origLen);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("decodeFrame on mutated real packets, cut at random lengths", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LINK_TYPES).chain((lt) => fc.tuple(fc.constant(lt), arbPacket(lt))),
        fc.array(arbMutation, { maxLength: 3 }),
        fc.nat(),
        ([linkType, packet], ms, cap) => {
          const p = mutate(packet, ms);
          const caplen = p.length === 0 ? 0 : cap % (p.length + 1);
          checkDecodeIsLocal(linkType, p, caplen, p.length);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("unmutated generated packets decode to their own header fields", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LINK_TYPES).chain((lt) => fc.tuple(fc.constant(lt), arbPacketWithSpec(lt))),
        ([linkType, { packet, spec }]) => {
          const seg = new TcpSegment();
          const f: Frame = {
            number: 1,
            sec: T0,
            nsec: 0,
            linkType,
            interfaceId: 0,
            data: packet,
            offset: 0,
            caplen: packet.length,
            origLen: packet.length,
            fileOffset: 0,
          };
          expect(decodeFrame(f, seg)).toBe(DecodeStatus.Ok);
          checkSegment(seg);
          expect([seg.srcPort, seg.dstPort, seg.seq, seg.ack, seg.flags & 0xff, seg.payloadLength]).toEqual([
            spec.srcPort,
            spec.dstPort,
            spec.seq,
            spec.ack,
            spec.flags,
            spec.payload,
          ]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("FrameSegmentSource over mutated pcap and pcapng captures", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          arbPcap.map((s) => ({ ng: false, input: pcapFile(s.o, s.records) })),
          fc.array(arbSection, { minLength: 1, maxLength: 2 }).map((s) => ({ ng: true, input: buildPcapng(s) })),
        ),
        fc.array(arbMutation, { maxLength: 4 }),
        arbCuts(3000),
        ({ ng, input: valid }, ms, cuts) => {
          const input = mutate(valid, ms);
          const source = new FrameSegmentSource(ng ? new PcapngReader() : new PcapReader());
          const seg = new TcpSegment();
          let segments = 0;
          const pull = () => {
            while (source.next(seg)) {
              checkSegment(seg);
              segments++;
            }
          };
          let at = 0;
          for (const cut of [...cuts].sort((a, b) => a - b)) {
            if (cut <= at || cut >= input.length) continue;
            source.feed(input.slice(at, cut));
            pull();
            at = cut;
          }
          source.feed(input.slice(at));
          pull();
          source.finish();
          pull();
          const skipped = Object.values(source.skipped()).reduce((a, b) => a + b, 0);
          expect(segments + skipped).toBe(source.packets);
          expect(source.packets).toBeLessThanOrEqual(input.length);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

/**
 * Decode `packet` (first `caplen` bytes captured) inside two buffers that differ only outside the
 * frame: the results must agree (the decoder reads nothing beyond the captured bytes) and, when a
 * segment comes out, it must be sane.
 */
function checkDecodeIsLocal(linkType: number, packet: Uint8Array, caplen: number, origLen: number) {
  const results = [0x00, 0xff].map((fill) => {
    const data = new Uint8Array(packet.length + 16).fill(fill);
    data.set(packet.subarray(0, caplen), 8);
    const f: Frame = {
      number: 3,
      sec: T0,
      nsec: 5,
      linkType,
      interfaceId: 0,
      data,
      offset: 8,
      caplen,
      origLen,
      fileOffset: 0,
    };
    const seg = new TcpSegment();
    const status = decodeFrame(f, seg);
    expect(Object.values(DecodeStatus)).toContain(status & STATUS_MASK);
    // Only the statuses that name what was skipped carry detail.
    if (status > STATUS_MASK)
      expect([DecodeStatus.UnknownLinkType, DecodeStatus.NotDecoded]).toContain(status & STATUS_MASK);
    if (status === DecodeStatus.Ok) checkSegment(seg);
    return { status, seg: status === DecodeStatus.Ok ? snapshot(seg) : null };
  });
  expect(results[1]).toEqual(results[0]);
}

function snapshot(s: TcpSegment) {
  return {
    src: [...s.src],
    dst: [...s.dst],
    ports: [s.srcPort, s.dstPort],
    seq: s.seq,
    ack: s.ack,
    flags: s.flags,
    window: s.window,
    lengths: [s.headerLength, s.payloadLength],
    options: [
      s.optionsState,
      s.mss,
      s.wscale,
      s.wscaleLength,
      s.wscaleCount,
      s.sackPermitted,
      s.hasTimestamp,
      s.hasTimestamp ? s.tsVal : 0,
      s.hasTimestamp ? s.tsEcr : 0,
      s.longestNopRun,
    ],
    kinds: [...s.optionKinds.subarray(0, s.optionCount)],
    sack: [...s.sack.subarray(0, s.sackCount * 2)],
  };
}
