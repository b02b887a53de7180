import { describe, expect, it } from "vitest";
import type { Frame } from "../src/capture/frame.js";
import { PcapReader } from "../src/capture/pcap.js";
import { decodeFrame } from "../src/decode/decode-frame.js";
import { LinkType } from "../src/decode/link.js";
import { OptionsState, TcpSegment } from "../src/decode/segment.js";
import { FrameSegmentSource } from "../src/decode/segment-source.js";
import { skippedName } from "../src/decode/skipped-names.js";
import { DecodeStatus, STATUS_BITS, STATUS_MASK } from "../src/decode/status.js";
import {
  ACK,
  addrWords,
  bsdLoopback,
  bytes,
  ETH_ARP,
  ETH_IPV6,
  ETH_QINQ,
  ETH_QINQ_OLD,
  ETH_VLAN,
  ethernet,
  frameOf,
  hex,
  type Ipv6Extension,
  ipv4,
  ipv6,
  linuxSynOptions,
  NH_NO_NEXT,
  PROTO_UDP,
  pcapFile,
  SYN,
  sll,
  sll2,
  tcp,
  udp,
} from "./helpers/capture-builder.js";

function decode(f: Frame, seg = new TcpSegment()): { status: DecodeStatus; seg: TcpSegment } {
  return { status: decodeFrame(f, seg), seg };
}

/** The segment most tests carry: a SYN with Linux options from 10.0.0.1:40000 to 10.0.0.2:443. */
const synTcp = () =>
  tcp({ srcPort: 40000, dstPort: 443, seq: 0xdeadbeef, flags: SYN, window: 64240, options: linuxSynOptions() });
const syn4 = () => ipv4(synTcp(), { src: "192.0.2.1", dst: "198.51.100.7", ttl: 61, id: 0x4321 });
const syn6 = () => ipv6(synTcp(), { src: "2001:db8::1", dst: "2001:db8:ffff::abcd", hopLimit: 55 });

function expectSyn4(r: { status: DecodeStatus; seg: TcpSegment }) {
  expect(r.status).toBe(DecodeStatus.Ok);
  const s = r.seg;
  expect({
    ipVersion: s.ipVersion,
    src: [...s.src],
    dst: [...s.dst],
    ttl: s.ttl,
    ipId: s.ipId,
    srcPort: s.srcPort,
    dstPort: s.dstPort,
    seq: s.seq,
    flags: s.flags,
    window: s.window,
    headerLength: s.headerLength,
    payloadLength: s.payloadLength,
    wscale: s.wscale,
    mss: s.mss,
  }).toEqual({
    ipVersion: 4,
    src: addrWords("192.0.2.1"),
    dst: addrWords("198.51.100.7"),
    ttl: 61,
    ipId: 0x4321,
    srcPort: 40000,
    dstPort: 443,
    seq: 0xdeadbeef,
    flags: SYN,
    window: 64240,
    headerLength: 40,
    payloadLength: 0,
    wscale: 7,
    mss: 1460,
  });
}

function expectSyn6(r: { status: DecodeStatus; seg: TcpSegment }) {
  expect(r.status).toBe(DecodeStatus.Ok);
  const s = r.seg;
  expect([s.ipVersion, [...s.src], [...s.dst], s.ttl, s.srcPort, s.dstPort, s.seq, s.headerLength, s.wscale]).toEqual([
    6,
    addrWords("2001:db8::1"),
    addrWords("2001:db8:ffff::abcd"),
    55,
    40000,
    443,
    0xdeadbeef,
    40,
    7,
  ]);
}

describe("decodeFrame: a frame written by hand", () => {
  it("Ethernet / IPv4 / TCP SYN with Linux options", () => {
    const pkt = hex(`
      020000000002 020000000001 0800
      4500003c 1234 4000 40 06 0000 0a000001 0a000002
      9c40 0050 00000064 00000000 a0 02 faf0 0000 0000
      020405b4 0402 080a 0000000b 00000000 01 030307`);
    const { status, seg } = decode(frameOf(LinkType.ETHERNET, pkt, { sec: 10, nsec: 500_000_000, number: 7 }));
    expect(status).toBe(DecodeStatus.Ok);
    expect([seg.frame, seg.time, seg.srcPort, seg.dstPort, seg.seq, seg.ack, seg.flags, seg.window]).toEqual([
      7,
      10.5,
      40000,
      80,
      100,
      0,
      SYN,
      64240,
    ]);
    expect([seg.dontFragment, seg.fragmented, seg.headerLength, seg.payloadLength]).toEqual([true, false, 40, 0]);
    expect([seg.ttl, seg.ipId, [...seg.src], [...seg.dst]]).toEqual([
      64,
      0x1234,
      [0x0a000001, 0, 0, 0],
      [0x0a000002, 0, 0, 0],
    ]);
    expect([seg.mss, seg.sackPermitted, seg.hasTimestamp, seg.tsVal, seg.wscale, seg.optionsState]).toEqual([
      1460,
      true,
      true,
      11,
      7,
      OptionsState.Complete,
    ]);
  });
});

describe("decodeFrame: link types", () => {
  it("Ethernet, IPv4 and IPv6", () => {
    expectSyn4(decode(frameOf(LinkType.ETHERNET, ethernet(syn4()))));
    expectSyn6(decode(frameOf(LinkType.ETHERNET, ethernet(syn6(), { etherType: ETH_IPV6 }))));
  });

  it("802.1Q VLAN", () => {
    expectSyn4(decode(frameOf(LinkType.ETHERNET, ethernet(syn4(), { tags: [{ tpid: ETH_VLAN, vid: 42 }] }))));
    expectSyn6(
      decode(
        frameOf(LinkType.ETHERNET, ethernet(syn6(), { etherType: ETH_IPV6, tags: [{ tpid: ETH_VLAN, vid: 42 }] })),
      ),
    );
  });

  it("QinQ: 802.1ad outer + 802.1Q inner, and the pre-standard 0x9100 outer tag", () => {
    for (const outer of [ETH_QINQ, ETH_QINQ_OLD]) {
      const tags = [
        { tpid: outer, vid: 100 },
        { tpid: ETH_VLAN, vid: 200 },
      ];
      expectSyn4(decode(frameOf(LinkType.ETHERNET, ethernet(syn4(), { tags }))));
      expectSyn6(decode(frameOf(LinkType.ETHERNET, ethernet(syn6(), { etherType: ETH_IPV6, tags }))));
    }
  });

  it("three stacked tags", () => {
    const tags = [
      { tpid: ETH_QINQ, vid: 1 },
      { tpid: ETH_VLAN, vid: 2 },
      { tpid: ETH_VLAN, vid: 3 },
    ];
    expectSyn4(decode(frameOf(LinkType.ETHERNET, ethernet(syn4(), { tags }))));
  });

  it("Ethernet frames that carry no IP: ARP, a frame shorter than its header", () => {
    expect(decode(frameOf(LinkType.ETHERNET, ethernet(new Uint8Array(28), { etherType: ETH_ARP }))).status).toBe(
      DecodeStatus.NotIp,
    );
    expect(decode(frameOf(LinkType.ETHERNET, ethernet(syn4()), { caplen: 13 })).status).toBe(DecodeStatus.NotIp);
  });

  it("Linux cooked v1 (SLL) and v2 (SLL2)", () => {
    expectSyn4(decode(frameOf(LinkType.LINUX_SLL, sll(syn4()))));
    expectSyn6(decode(frameOf(LinkType.LINUX_SLL, sll(syn6(), { protocol: ETH_IPV6 }))));
    expectSyn4(decode(frameOf(LinkType.LINUX_SLL2, sll2(syn4()))));
    expectSyn6(decode(frameOf(LinkType.LINUX_SLL2, sll2(syn6(), { protocol: ETH_IPV6 }))));
    expect(decode(frameOf(LinkType.LINUX_SLL, sll(syn4(), { protocol: ETH_ARP }))).status).toBe(DecodeStatus.NotIp);
    expect(decode(frameOf(LinkType.LINUX_SLL2, sll2(syn4(), { protocol: ETH_ARP }))).status).toBe(DecodeStatus.NotIp);
    expect(decode(frameOf(LinkType.LINUX_SLL, sll(syn4()), { caplen: 15 })).status).toBe(DecodeStatus.NotIp);
    expect(decode(frameOf(LinkType.LINUX_SLL2, sll2(syn4()), { caplen: 19 })).status).toBe(DecodeStatus.NotIp);
  });

  it("raw IP: DLT 101, 12, 14 carry either version; 228 and 229", () => {
    for (const lt of [LinkType.RAW, LinkType.RAW_12, LinkType.RAW_14]) {
      expectSyn4(decode(frameOf(lt, syn4())));
      expectSyn6(decode(frameOf(lt, syn6())));
    }
    expectSyn4(decode(frameOf(LinkType.IPV4, syn4())));
    expectSyn6(decode(frameOf(LinkType.IPV6, syn6())));
    // Version nibble 5: not IP.
    const v5 = syn4();
    v5[0] = 0x55;
    expect(decode(frameOf(LinkType.RAW, v5)).status).toBe(DecodeStatus.NotIp);
    expect(decode(frameOf(LinkType.RAW, syn4(), { caplen: 0 })).status).toBe(DecodeStatus.NotIp);
  });

  it("BSD NULL (host byte order) and LOOP (network byte order)", () => {
    expectSyn4(decode(frameOf(LinkType.NULL, bsdLoopback(syn4(), 2, "le"))));
    expectSyn4(decode(frameOf(LinkType.NULL, bsdLoopback(syn4(), 2, "be"))));
    expectSyn4(decode(frameOf(LinkType.LOOP, bsdLoopback(syn4(), 2, "be"))));
    // AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux).
    for (const family of [24, 28, 30, 10]) {
      expectSyn6(decode(frameOf(LinkType.NULL, bsdLoopback(syn6(), family, "le"))));
      expectSyn6(decode(frameOf(LinkType.NULL, bsdLoopback(syn6(), family, "be"))));
      expectSyn6(decode(frameOf(LinkType.LOOP, bsdLoopback(syn6(), family, "be"))));
    }
    expect(decode(frameOf(LinkType.NULL, bsdLoopback(syn4(), 7, "le"))).status).toBe(DecodeStatus.NotIp);
    expect(decode(frameOf(LinkType.NULL, bsdLoopback(syn4(), 2, "le"), { caplen: 3 })).status).toBe(DecodeStatus.NotIp);
  });

  it("a link type the tool does not read: the status names it", () => {
    const wifi = decode(frameOf(105, syn4())).status;
    expect([wifi & STATUS_MASK, wifi >>> STATUS_BITS]).toEqual([DecodeStatus.UnknownLinkType, 105]);
    expect(skippedName(wifi)).toBe("not decoded: link type 105 (IEEE 802.11)");
    const user0 = decode(frameOf(147, syn4())).status;
    expect([user0 & STATUS_MASK, skippedName(user0)]).toEqual([
      DecodeStatus.UnknownLinkType,
      "not decoded: link type 147",
    ]);
  });
});

describe("decodeFrame: IPv4", () => {
  it("options (IHL > 5) are skipped: IHL 6 and IHL 15", () => {
    const withOpts = (options: number[]) =>
      ipv4(synTcp(), { src: "192.0.2.1", dst: "198.51.100.7", ttl: 61, id: 0x4321, options });
    const rr = [7, 39, 4, ...new Array<number>(36).fill(0), 1]; // record route (39 bytes) + NOP = 40
    const six = withOpts([0x94, 4, 0, 0]); // router alert
    expect(six[0]).toBe(0x46);
    expectSyn4(decode(frameOf(LinkType.RAW, six)));
    const fifteen = withOpts(rr);
    expect(fifteen[0]).toBe(0x4f);
    expectSyn4(decode(frameOf(LinkType.RAW, fifteen)));
  });

  it("malformed IP options do not matter: IHL alone gives the header length", () => {
    // A timestamp option claiming 255 bytes and an option with length 0, inside a 32-byte header.
    const pkt = ipv4(synTcp(), {
      src: "192.0.2.1",
      dst: "198.51.100.7",
      ttl: 61,
      id: 0x4321,
      options: [0x44, 0xff, 5, 0, 0x83, 0, 0, 0, 0, 0, 0, 0],
    });
    expect(pkt[0]).toBe(0x48);
    expectSyn4(decode(frameOf(LinkType.RAW, pkt)));
  });

  it("IHL below 5 and a wrong version nibble are malformed", () => {
    expect(decode(frameOf(LinkType.RAW, ipv4(synTcp(), { ihl: 4 }))).status).toBe(DecodeStatus.Malformed);
    expect(decode(frameOf(LinkType.ETHERNET, ethernet(ipv4(synTcp(), { version: 6 })))).status).toBe(
      DecodeStatus.Malformed,
    );
  });

  it("a total length below the header length is malformed", () => {
    expect(decode(frameOf(LinkType.RAW, ipv4(synTcp(), { totalLength: 19 }))).status).toBe(DecodeStatus.Malformed);
  });

  it("first fragment: decoded, fragmented=true, payloadLength counts this fragment", () => {
    const pkt = ipv4(tcp({ payload: 1000 }), { moreFragments: true, id: 77 });
    const { status, seg } = decode(frameOf(LinkType.RAW, pkt));
    expect(status).toBe(DecodeStatus.Ok);
    expect([seg.fragmented, seg.dontFragment, seg.ipId, seg.payloadLength]).toEqual([true, false, 77, 1000]);
  });

  it("later fragments (with and without MF) are LaterFragment, whatever their bytes look like", () => {
    for (const moreFragments of [true, false]) {
      const pkt = ipv4(tcp({ payload: 100 }), { moreFragments, fragmentOffset: 185 });
      expect(decode(frameOf(LinkType.RAW, pkt)).status).toBe(DecodeStatus.LaterFragment);
    }
    // Offset 1 (8 bytes): the smallest later fragment.
    expect(decode(frameOf(LinkType.RAW, ipv4(tcp(), { fragmentOffset: 1 }))).status).toBe(DecodeStatus.LaterFragment);
  });

  it("DF set, not fragmented", () => {
    const { seg } = decode(frameOf(LinkType.RAW, ipv4(tcp(), { dontFragment: true })));
    expect([seg.dontFragment, seg.fragmented]).toEqual([true, false]);
  });

  it("total length 0 (TSO capture): lengths come from the frame's original length", () => {
    const pkt = ethernet(ipv4(tcp({ payload: 5000 }), { totalLength: 0 }));
    // Captured with a 128-byte snaplen: origLen = 14 + 20 + 20 + 5000.
    const { status, seg } = decode(frameOf(LinkType.ETHERNET, pkt, { caplen: 128 }));
    expect(status).toBe(DecodeStatus.Ok);
    expect(seg.payloadLength).toBe(5000);
  });

  it("payloadLength comes from the IP length even when the snaplen cut the payload", () => {
    const pkt = ethernet(ipv4(tcp({ payload: 1448, options: [1, 1, ...[8, 10, 0, 0, 0, 1, 0, 0, 0, 2]] })));
    const { status, seg } = decode(frameOf(LinkType.ETHERNET, pkt, { caplen: 14 + 20 + 32 + 10 }));
    expect(status).toBe(DecodeStatus.Ok);
    expect([seg.headerLength, seg.payloadLength, seg.optionsState]).toEqual([32, 1448, OptionsState.Complete]);
  });

  it("Ethernet padding after a short datagram is not payload", () => {
    const pkt = bytes(ethernet(ipv4(tcp({ flags: ACK }))), new Uint8Array(6).fill(0xaa));
    expect(pkt.length).toBe(60);
    const { status, seg } = decode(frameOf(LinkType.ETHERNET, pkt));
    expect(status).toBe(DecodeStatus.Ok);
    expect(seg.payloadLength).toBe(0);
  });

  it("non-TCP protocols: UDP, ICMP", () => {
    expect(decode(frameOf(LinkType.RAW, ipv4(udp(), { protocol: PROTO_UDP }))).status).toBe(DecodeStatus.NotTcp);
    expect(decode(frameOf(LinkType.RAW, ipv4(new Uint8Array(8), { protocol: 1 }))).status).toBe(DecodeStatus.NotTcp);
  });

  it("cut inside the IPv4 header: Truncated", () => {
    expect(decode(frameOf(LinkType.ETHERNET, ethernet(syn4()), { caplen: 14 + 19 })).status).toBe(
      DecodeStatus.Truncated,
    );
    // IHL 15 but only 20 header bytes (and a TCP header's worth) captured.
    const pkt = ipv4(synTcp(), { options: new Array<number>(40).fill(1) });
    expect(decode(frameOf(LinkType.RAW, pkt, { caplen: 40 })).status).toBe(DecodeStatus.Truncated);
  });

  it("TCP data offset below 5 is Malformed; above the IP-stated length is Malformed", () => {
    expect(decode(frameOf(LinkType.RAW, ipv4(tcp({ dataOffset: 4 })))).status).toBe(DecodeStatus.Malformed);
    expect(decode(frameOf(LinkType.RAW, ipv4(tcp({ dataOffset: 0 })))).status).toBe(DecodeStatus.Malformed);
    // Data offset 15 (60 bytes) in a datagram that holds only a 20-byte TCP header.
    expect(decode(frameOf(LinkType.RAW, ipv4(tcp({ dataOffset: 15 })))).status).toBe(DecodeStatus.Malformed);
  });

  it("frame cut before the fixed TCP header ends: Truncated; at exactly 20 bytes: Ok with options Truncated", () => {
    const pkt = ethernet(syn4());
    expect(decode(frameOf(LinkType.ETHERNET, pkt, { caplen: 14 + 20 + 19 })).status).toBe(DecodeStatus.Truncated);
    expect(decode(frameOf(LinkType.ETHERNET, pkt, { caplen: 14 + 20 })).status).toBe(DecodeStatus.Truncated);
    const r = decode(frameOf(LinkType.ETHERNET, pkt, { caplen: 14 + 20 + 20 }));
    expect(r.status).toBe(DecodeStatus.Ok);
    expect([r.seg.optionsState, r.seg.wscale, r.seg.mss, r.seg.headerLength]).toEqual([
      OptionsState.Truncated,
      -1,
      -1,
      40,
    ]);
  });

  it("32-bit fields are unsigned; the NS flag lands above the 8 flag bits", () => {
    const t = tcp({ seq: 0xffffffff, ack: 0x80000000, flags: 0xff, window: 0xffff, dstPort: 65535, srcPort: 0 });
    t[12] = t[12]! | 1; // NS
    const { status, seg } = decode(frameOf(LinkType.RAW, ipv4(t)));
    expect(status).toBe(DecodeStatus.Ok);
    expect([seg.seq, seg.ack, seg.flags, seg.window, seg.srcPort, seg.dstPort]).toEqual([
      4294967295, 2147483648, 0x1ff, 65535, 0, 65535,
    ]);
  });
});

describe("decodeFrame: IPv6", () => {
  it("a chain of extension headers: hop-by-hop, routing, destination options, AH", () => {
    const extensions: Ipv6Extension[] = [
      { type: "hop-by-hop" },
      { type: "routing", body: new Array<number>(22).fill(0) },
      { type: "destination", body: [1, 12, ...new Array<number>(12).fill(0)] },
      { type: "ah", icv: new Array<number>(12).fill(0xab) },
    ];
    const pkt = ipv6(tcp({ payload: 300, options: linuxSynOptions({ wscale: 9 }) }), { extensions });
    // 8 + 24 + 16 + 24 bytes of extension headers.
    expect(pkt.length).toBe(40 + 72 + 40 + 300);
    const { status, seg } = decode(frameOf(LinkType.RAW, pkt));
    expect(status).toBe(DecodeStatus.Ok);
    expect([seg.ipVersion, seg.headerLength, seg.payloadLength, seg.wscale, seg.fragmented]).toEqual([
      6,
      40,
      300,
      9,
      false,
    ]);
  });

  it("malformed options inside a hop-by-hop header do not matter: its length field gives its size", () => {
    // Option type 0xc2 (jumbo) with length 200 in an 8-byte header.
    const pkt = ipv6(synTcp(), {
      src: "2001:db8::1",
      dst: "2001:db8:ffff::abcd",
      hopLimit: 55,
      extensions: [{ type: "hop-by-hop", body: [0xc2, 200, 0, 0, 0, 0] }],
    });
    expectSyn6(decode(frameOf(LinkType.RAW, pkt)));
  });

  it("first fragment: decoded, fragmented=true, ipId from the fragment header", () => {
    const pkt = ipv6(tcp({ payload: 1000 }), {
      extensions: [{ type: "hop-by-hop" }, { type: "fragment", offset: 0, more: true, id: 0xcafef00d }],
    });
    const { status, seg } = decode(frameOf(LinkType.RAW, pkt));
    expect(status).toBe(DecodeStatus.Ok);
    expect([seg.fragmented, seg.ipId, seg.payloadLength]).toEqual([true, 0xcafef00d, 1000]);
  });

  it("later fragment: LaterFragment", () => {
    for (const more of [true, false]) {
      const pkt = ipv6(tcp({ payload: 100 }), { extensions: [{ type: "fragment", offset: 150, more }] });
      expect(decode(frameOf(LinkType.RAW, pkt)).status).toBe(DecodeStatus.LaterFragment);
    }
  });

  it("an atomic fragment (offset 0, no MF) is an ordinary segment", () => {
    const pkt = ipv6(tcp(), { extensions: [{ type: "fragment", offset: 0, more: false }] });
    const { status, seg } = decode(frameOf(LinkType.RAW, pkt));
    expect([status, seg.fragmented]).toEqual([DecodeStatus.Ok, false]);
  });

  it("non-TCP: UDP, UDP after extension headers, no next header", () => {
    expect(decode(frameOf(LinkType.RAW, ipv6(udp(), { nextHeader: PROTO_UDP }))).status).toBe(DecodeStatus.NotTcp);
    const viaExt = ipv6(udp(), {
      nextHeader: PROTO_UDP,
      extensions: [{ type: "hop-by-hop" }, { type: "destination" }],
    });
    expect(decode(frameOf(LinkType.RAW, viaExt)).status).toBe(DecodeStatus.NotTcp);
    expect(decode(frameOf(LinkType.RAW, ipv6(new Uint8Array(0), { nextHeader: NH_NO_NEXT }))).status).toBe(
      DecodeStatus.NotTcp,
    );
  });

  it("cut inside the fixed header or an extension header: Truncated", () => {
    const pkt = ipv6(tcp(), { extensions: [{ type: "hop-by-hop" }, { type: "destination" }] });
    expect(decode(frameOf(LinkType.RAW, pkt, { caplen: 39 })).status).toBe(DecodeStatus.Truncated);
    expect(decode(frameOf(LinkType.RAW, pkt, { caplen: 40 + 8 + 7 })).status).toBe(DecodeStatus.Truncated);
    expect(decode(frameOf(LinkType.RAW, pkt, { caplen: 40 + 16 + 19 })).status).toBe(DecodeStatus.Truncated);
  });

  it("extension headers longer than the payload length: Malformed", () => {
    const pkt = ipv6(tcp(), { extensions: [{ type: "hop-by-hop" }], payloadLength: 4 });
    expect(decode(frameOf(LinkType.RAW, pkt)).status).toBe(DecodeStatus.Malformed);
  });

  it("a version nibble other than 6 after an IPv6 ethertype: Malformed", () => {
    const pkt = ethernet(ipv6(tcp(), { version: 4 }), { etherType: ETH_IPV6 });
    expect(decode(frameOf(LinkType.ETHERNET, pkt)).status).toBe(DecodeStatus.Malformed);
  });

  it("payload length 0 (TSO capture): lengths come from the frame's original length", () => {
    const pkt = sll2(ipv6(tcp({ payload: 9000 }), { payloadLength: 0 }), { protocol: ETH_IPV6 });
    const { status, seg } = decode(frameOf(LinkType.LINUX_SLL2, pkt, { caplen: 100 }));
    expect(status).toBe(DecodeStatus.Ok);
    expect(seg.payloadLength).toBe(9000);
  });
});

describe("decodeFrame: the reused segment", () => {
  it("fields of one packet do not leak into the next", () => {
    const seg = new TcpSegment();
    decode(frameOf(LinkType.RAW, ipv6(tcp(), { extensions: [{ type: "fragment", more: true, id: 9 }] })), seg);
    expect([seg.fragmented, seg.ipId, seg.ipVersion]).toEqual([true, 9, 6]);
    decode(frameOf(LinkType.RAW, ipv4(tcp({ options: linuxSynOptions() }), { moreFragments: true, id: 5 })), seg);
    expect([seg.fragmented, seg.ipId, seg.ipVersion, seg.wscale]).toEqual([true, 5, 4, 7]);
    expect(seg.src.slice(1)).toEqual(new Uint32Array(3));
    decode(frameOf(LinkType.RAW, ipv6(tcp())), seg);
    expect([seg.fragmented, seg.ipId, seg.dontFragment, seg.wscale, seg.mss, seg.hasTimestamp]).toEqual([
      false,
      0,
      false,
      -1,
      -1,
      false,
    ]);
    decode(frameOf(LinkType.RAW, ipv4(tcp())), seg);
    expect(seg.fragmented).toBe(false);
  });
});

describe("FrameSegmentSource", () => {
  it("yields TCP segments only and counts the rest by reason", () => {
    const records = [
      ethernet(syn4()),
      ethernet(ipv4(udp(), { protocol: PROTO_UDP })),
      ethernet(new Uint8Array(28), { etherType: ETH_ARP }),
      ethernet(ipv4(tcp({ payload: 10 }), { fragmentOffset: 3 })),
      ethernet(ipv4(tcp({ dataOffset: 3 }))),
      ethernet(ipv6(tcp({ srcPort: 1, dstPort: 2, flags: ACK }), { extensions: [{ type: "destination" }] }), {
        etherType: ETH_IPV6,
      }),
    ].map((data, i) => ({ sec: 1000 + i, data }));
    const full = pcapFile({}, records);
    const source = new FrameSegmentSource(new PcapReader());
    source.feed(full);
    source.finish();
    const seg = new TcpSegment();
    const got: [number, number, number, number][] = [];
    while (source.next(seg)) got.push([seg.frame, seg.srcPort, seg.dstPort, seg.time]);
    expect(got).toEqual([
      [1, 40000, 443, 1000],
      [6, 1, 2, 1005],
    ]);
    expect(source.packets).toBe(6);
    expect(source.skipped()).toEqual({
      "not TCP": 1,
      "not IP": 1,
      "later IP fragment": 1,
      "malformed header": 1,
    });
    expect(source.format).toBe("pcap");
    expect(source.linkTypes).toEqual([1]);

    // The same packets under a 40-byte snaplen: the TCP header is never complete.
    const cut = new FrameSegmentSource(new PcapReader());
    cut.feed(pcapFile({ snaplen: 40, truncate: true }, records));
    cut.finish();
    let n = 0;
    while (cut.next(seg)) n++;
    expect(n).toBe(0);
    expect(cut.packets).toBe(6);
    expect(cut.skipped()).toEqual({
      "truncated before the TCP header": 3,
      "not IP": 1,
      "not TCP": 1,
      "later IP fragment": 1,
    });
  });
});
