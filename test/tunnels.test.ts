/**
 * TCP inside tunnels and PPP (issue 14): GRE, VXLAN, Geneve, IP-in-IP, PPP, PPPoE and Cisco HDLC,
 * each decoder with a good packet, a truncated one, an impossible length and a malformed header
 * (STYLE.md), built by hand; and whatever is not decoded is named, per input, with one warning.
 */
import { describe, expect, it } from "vitest";
import type { Frame } from "../src/capture/frame.js";
import { PcapReader } from "../src/capture/pcap.js";
import { decodeFrame } from "../src/decode/decode-frame.js";
import { LinkType } from "../src/decode/link.js";
import { TcpSegment } from "../src/decode/segment.js";
import { FrameSegmentSource } from "../src/decode/segment-source.js";
import { skippedName } from "../src/decode/skipped-names.js";
import { DecodeStatus, STATUS_MASK } from "../src/decode/status.js";
import {
  addrWords,
  bytes,
  ETH_IPV6,
  ETH_VLAN,
  ethernet,
  frameOf,
  hex,
  ipv4,
  ipv6,
  linuxSynOptions,
  PROTO_UDP,
  pattern,
  pcapFile,
  SYN,
  tcp,
  udp,
} from "./helpers/capture-builder.js";
import {
  ciscoHdlc,
  GRE_ETHERNET,
  GRE_IPV6,
  GRE_PPP,
  geneve,
  gre,
  PPP_IPV6,
  PPP_LCP,
  PROTO_AH,
  PROTO_ESP,
  PROTO_GRE,
  PROTO_IPIP,
  PROTO_IPV6_IN_IP,
  ppp,
  pppoe,
  udpAround,
  vxlan,
} from "./helpers/tunnel-builder.js";

/** The inner segment every test carries: a SYN with Linux options, 192.0.2.1:40000 -> 198.51.100.7:443. */
const innerTcp = () =>
  tcp({ srcPort: 40000, dstPort: 443, seq: 0xdeadbeef, flags: SYN, window: 64240, options: linuxSynOptions() });
const inner4 = () => ipv4(innerTcp(), { src: "192.0.2.1", dst: "198.51.100.7", ttl: 61, id: 0x4321 });
const inner6 = () => ipv6(innerTcp(), { src: "2001:db8::1", dst: "2001:db8:ffff::abcd", hopLimit: 55 });
/** An outer IPv4 header (the tunnel endpoints), with other addresses and TTL than the inner one. */
const outer4 = (payload: Uint8Array, protocol: number, o: { totalLength?: number } = {}) =>
  ipv4(payload, { src: "203.0.113.1", dst: "203.0.113.2", ttl: 200, id: 0x0abc, protocol, ...o });
const outer6 = (payload: Uint8Array, nextHeader: number) =>
  ipv6(payload, { src: "2001:db8:1::1", dst: "2001:db8:1::2", hopLimit: 250, nextHeader });

function decode(f: Frame): { status: number; seg: TcpSegment } {
  const seg = new TcpSegment();
  return { status: decodeFrame(f, seg), seg };
}

const eth = (payload: Uint8Array, etherType = 0x0800) => frameOf(LinkType.ETHERNET, ethernet(payload, { etherType }));
const raw = (packet: Uint8Array, o: { caplen?: number } = {}) => frameOf(LinkType.RAW, packet, o);

/** The inner SYN came out: the inner addresses, TTL and IP ID, not the tunnel's. */
function expectInner4(f: Frame) {
  const { status, seg } = decode(f);
  expect(status).toBe(DecodeStatus.Ok);
  expect([seg.ipVersion, [...seg.src], [...seg.dst], seg.ttl, seg.ipId]).toEqual([
    4,
    addrWords("192.0.2.1"),
    addrWords("198.51.100.7"),
    61,
    0x4321,
  ]);
  expect([seg.srcPort, seg.dstPort, seg.seq, seg.flags, seg.window, seg.wscale, seg.mss]).toEqual([
    40000,
    443,
    0xdeadbeef,
    SYN,
    64240,
    7,
    1460,
  ]);
}

function expectInner6(f: Frame) {
  const { status, seg } = decode(f);
  expect(status).toBe(DecodeStatus.Ok);
  expect([seg.ipVersion, [...seg.src], [...seg.dst], seg.ttl, seg.srcPort, seg.seq, seg.wscale]).toEqual([
    6,
    addrWords("2001:db8::1"),
    addrWords("2001:db8:ffff::abcd"),
    55,
    40000,
    0xdeadbeef,
    7,
  ]);
}

const statusOf = (f: Frame) => decode(f).status;

describe("GRE (RFC 2784, 2890, 1701; PPTP's enhanced GRE, RFC 2637)", () => {
  it("good: IPv4 and IPv6 inside, over IPv4 and IPv6, with checksum, key and sequence number in any mix", () => {
    const variants = [
      {},
      { checksum: true },
      { key: 0x01020304 },
      { sequence: 77 },
      { checksum: true, key: 9, sequence: 10 },
      { routing: [{ family: 0x0800, data: pattern(8) }] },
    ];
    for (const v of variants) {
      expectInner4(eth(outer4(gre(inner4(), v), PROTO_GRE)));
      expectInner4(eth(outer6(gre(inner4(), v), PROTO_GRE), ETH_IPV6));
      expectInner6(eth(outer4(gre(inner6(), { ...v, protocol: GRE_IPV6 }), PROTO_GRE)));
    }
  });

  it("good: an Ethernet frame inside (gretap), with a VLAN tag; PPP inside PPTP's enhanced GRE", () => {
    const tagged = ethernet(inner4(), { tags: [{ tpid: ETH_VLAN, vid: 7 }] });
    expectInner4(eth(outer4(gre(tagged, { protocol: GRE_ETHERNET, key: 1 }), PROTO_GRE)));
    for (const pptp of [{ sequence: 5 }, { sequence: 5, ack: 4 }, {}]) {
      const g = gre(ppp(inner4()), { protocol: GRE_PPP, version: 1, key: 0x00400001, ...pptp });
      expectInner4(eth(outer4(g, PROTO_GRE)));
    }
    // A PPTP acknowledgment without payload carries no TCP.
    expect(
      statusOf(eth(outer4(gre(new Uint8Array(0), { protocol: GRE_PPP, version: 1, key: 1, ack: 3 }), PROTO_GRE))),
    ).toBe(DecodeStatus.NotTcp);
  });

  it("truncated: cut in the GRE header, in its key, and in the inner IP header", () => {
    const packet = outer4(gre(inner4(), { key: 5 }), PROTO_GRE);
    for (const caplen of [22, 26, 28 + 10]) {
      expect(statusOf(raw(packet, { caplen })), `caplen ${caplen}`).toBe(DecodeStatus.Truncated);
    }
  });

  it("impossible length: the outer IP datagram ends inside the GRE header or its optional fields", () => {
    const withKey = gre(inner4(), { key: 5, sequence: 6 });
    expect(statusOf(raw(outer4(withKey, PROTO_GRE, { totalLength: 20 + 3 })))).toBe(DecodeStatus.Malformed);
    expect(statusOf(raw(outer4(withKey, PROTO_GRE, { totalLength: 20 + 10 })))).toBe(DecodeStatus.Malformed);
    // A source route that runs past the datagram.
    const routed = gre(inner4(), { routing: [{ family: 0x0800, data: pattern(200) }] });
    expect(statusOf(raw(outer4(routed, PROTO_GRE, { totalLength: 20 + 40 })))).toBe(DecodeStatus.Malformed);
  });

  it("malformed: version 2, PPTP GRE without its key or with a checksum; a protocol not decoded is named", () => {
    expect(statusOf(raw(outer4(gre(inner4(), { version: 2 }), PROTO_GRE)))).toBe(DecodeStatus.Malformed);
    expect(statusOf(raw(outer4(gre(ppp(inner4()), { version: 1, protocol: GRE_PPP }), PROTO_GRE)))).toBe(
      DecodeStatus.Malformed,
    );
    expect(
      statusOf(raw(outer4(gre(ppp(inner4()), { version: 1, protocol: GRE_PPP, key: 1, checksum: true }), PROTO_GRE))),
    ).toBe(DecodeStatus.Malformed);
    const erspan = statusOf(raw(outer4(gre(ethernet(inner4()), { protocol: 0x88be, sequence: 1 }), PROTO_GRE)));
    expect([erspan & STATUS_MASK, skippedName(erspan)]).toEqual([
      DecodeStatus.NotDecoded,
      "not decoded: ERSPAN (GRE protocol 0x88be)",
    ]);
    expect(skippedName(statusOf(raw(outer4(gre(inner4(), { protocol: 0x1234 }), PROTO_GRE))))).toBe(
      "not decoded: GRE protocol 0x1234",
    );
  });
});

describe("VXLAN (RFC 7348): UDP 4789, and 8472 (the Linux default)", () => {
  const vx = (frame: Uint8Array, o: { port?: number; flags?: number; udpLength?: number } = {}) =>
    outer4(udpAround(vxlan(frame, { flags: o.flags }), { dstPort: o.port ?? 4789, length: o.udpLength }), PROTO_UDP);

  it("good: Ethernet inside, with IPv4, IPv6, a VLAN tag; on either port; over IPv6", () => {
    for (const port of [4789, 8472]) {
      expectInner4(raw(vx(ethernet(inner4()), { port })));
      expectInner6(raw(vx(ethernet(inner6(), { etherType: ETH_IPV6 }), { port })));
      expectInner4(raw(vx(ethernet(inner4(), { tags: [{ tpid: ETH_VLAN, vid: 3 }] }), { port })));
    }
    expectInner4(eth(outer6(udpAround(vxlan(ethernet(inner4())), { dstPort: 4789 }), PROTO_UDP), ETH_IPV6));
    // Reserved flag bits are ignored on receipt (RFC 7348 section 5), e.g. the group policy extension's.
    expectInner4(raw(vx(ethernet(inner4()), { flags: 0x88 })));
  });

  it("truncated: cut in the VXLAN header and in the inner Ethernet header", () => {
    const packet = vx(ethernet(inner4()));
    expect(statusOf(raw(packet, { caplen: 20 + 8 + 4 }))).toBe(DecodeStatus.Truncated);
    // In the inner Ethernet header there is no ethertype yet: nothing says IP.
    expect(statusOf(raw(packet, { caplen: 20 + 16 + 10 }))).toBe(DecodeStatus.NotIp);
    expect(statusOf(raw(packet, { caplen: 20 + 16 + 14 + 10 }))).toBe(DecodeStatus.Truncated);
  });

  it("impossible length: a UDP length too short for the VXLAN header, or longer than the IP datagram", () => {
    expect(statusOf(raw(vx(ethernet(inner4()), { udpLength: 12 })))).toBe(DecodeStatus.Malformed);
    expect(statusOf(raw(vx(ethernet(inner4()), { udpLength: 4 })))).toBe(DecodeStatus.Malformed);
    expect(statusOf(raw(vx(ethernet(inner4()), { udpLength: 2000 })))).toBe(DecodeStatus.Malformed);
  });

  it("malformed: the I flag clear (no valid VNI)", () => {
    expect(statusOf(raw(vx(ethernet(inner4()), { flags: 0x00 })))).toBe(DecodeStatus.Malformed);
  });
});

describe("Geneve (RFC 8926): UDP 6081, with options", () => {
  const gnv = (payload: Uint8Array, o: Parameters<typeof geneve>[1] = {}, udpLength?: number) =>
    outer4(udpAround(geneve(payload, o), { dstPort: 6081, length: udpLength }), PROTO_UDP);
  const options = [
    { optionClass: 0x0102, type: 0x80, data: pattern(4) },
    { optionClass: 0xffff, type: 1, data: pattern(12) },
  ];

  it("good: Ethernet, IPv4 or IPv6 inside, without and with options", () => {
    expectInner4(raw(gnv(ethernet(inner4()))));
    expectInner4(raw(gnv(ethernet(inner4()), { options })));
    expectInner4(raw(gnv(inner4(), { protocol: 0x0800, options, critical: true })));
    expectInner6(raw(gnv(inner6(), { protocol: 0x86dd, options })));
  });

  it("truncated: cut in the header, in an option, in the inner packet", () => {
    const packet = gnv(ethernet(inner4()), { options });
    for (const caplen of [20 + 8 + 5, 20 + 16 + 10, 20 + 16 + 24 + 14 + 12]) {
      expect(statusOf(raw(packet, { caplen })), `caplen ${caplen}`).toBe(DecodeStatus.Truncated);
    }
  });

  it("impossible length: options longer than the UDP datagram; an option longer than the option space", () => {
    expect(statusOf(raw(gnv(ethernet(inner4()), { options, optionWords: 63 }, 8 + 8 + 24 + 50)))).toBe(
      DecodeStatus.Malformed,
    );
    const tooLong = [{ optionClass: 1, type: 1, data: pattern(4), lengthWords: 3 }];
    expect(statusOf(raw(gnv(ethernet(inner4()), { options: tooLong })))).toBe(DecodeStatus.Malformed);
    expect(statusOf(raw(gnv(ethernet(inner4()), {}, 12)))).toBe(DecodeStatus.Malformed);
  });

  it("malformed: version 1; an option space that is not whole options; a control message is not traffic", () => {
    expect(statusOf(raw(gnv(ethernet(inner4()), { version: 1 })))).toBe(DecodeStatus.Malformed);
    // The header says 2 words of options, the one option there says 0 words of data: 4 bytes left over.
    const short = [{ optionClass: 1, type: 1, data: pattern(4), lengthWords: 0 }];
    expect(statusOf(raw(gnv(ethernet(inner4()), { options: short })))).toBe(DecodeStatus.Malformed);
    expect(statusOf(raw(gnv(ethernet(inner4()), { control: true })))).toBe(DecodeStatus.NotTcp);
    expect(skippedName(statusOf(raw(gnv(inner4(), { protocol: 0x8847 }))))).toBe(
      "not decoded: MPLS (Geneve protocol 0x8847)",
    );
  });
});

describe("IP in IP (RFC 2003, RFC 4213) and the IPv4 authentication header (RFC 4302)", () => {
  it("good: 4in4, 6in4, 4in6, 6in6; AH in IPv4", () => {
    expectInner4(raw(outer4(inner4(), PROTO_IPIP)));
    expectInner6(raw(outer4(inner6(), PROTO_IPV6_IN_IP)));
    expectInner4(raw(outer6(inner4(), PROTO_IPIP)));
    expectInner6(raw(outer6(inner6(), PROTO_IPV6_IN_IP)));
    const ah = bytes([6, 4], [0, 0], hex("00000100 00000001"), pattern(12)); // next header TCP, 24 bytes
    const { status, seg } = decode(raw(ipv4(bytes(ah, innerTcp()), { protocol: PROTO_AH, src: "192.0.2.9" })));
    expect([status, [...seg.src], seg.dstPort, seg.wscale]).toEqual([DecodeStatus.Ok, addrWords("192.0.2.9"), 443, 7]);
  });

  it("truncated, impossible length, malformed: the inner header cut, AH longer than the datagram, an inner version 5", () => {
    expect(statusOf(raw(outer4(inner4(), PROTO_IPIP), { caplen: 20 + 12 }))).toBe(DecodeStatus.Truncated);
    const ah = bytes([6, 40], [0, 0], pattern(8));
    expect(statusOf(raw(ipv4(bytes(ah, innerTcp()), { protocol: PROTO_AH })))).toBe(DecodeStatus.Malformed);
    const v5 = inner4();
    v5[0] = 0x55;
    expect(statusOf(raw(outer4(v5, PROTO_IPIP)))).toBe(DecodeStatus.Malformed);
  });

  it("tunnels nested 8 deep are opened; 9 deep are named, not followed", () => {
    let packet = inner4();
    for (let i = 0; i < 8; i++) packet = outer4(packet, PROTO_IPIP);
    expectInner4(raw(packet));
    expect(skippedName(statusOf(raw(outer4(packet, PROTO_IPIP))))).toBe(
      "not decoded: tunnels nested deeper than the decoder follows",
    );
  });

  it("ESP is named (encrypted: no TCP to see); other IP protocols are not TCP", () => {
    expect(skippedName(statusOf(raw(outer4(pattern(40), PROTO_ESP))))).toBe(
      "not decoded: ESP (encrypted) (IP protocol 50)",
    );
    expect(statusOf(raw(outer4(pattern(40), 132)))).toBe(DecodeStatus.NotTcp); // SCTP
  });
});

describe("PPP (DLT 9, 50), PPPoE (ethertype 0x8864, DLT 51), Cisco HDLC (DLT 104)", () => {
  it("good: with and without address and control, with a one-byte protocol field, IPv6", () => {
    for (const lt of [LinkType.PPP, LinkType.PPP_HDLC]) {
      expectInner4(frameOf(lt, ppp(inner4())));
      expectInner4(frameOf(lt, ppp(inner4(), { addressControl: false })));
      expectInner4(frameOf(lt, ppp(inner4(), { compressProtocol: true })));
      expectInner4(frameOf(lt, ppp(inner4(), { addressControl: false, compressProtocol: true })));
      expectInner6(frameOf(lt, ppp(inner6(), { protocol: PPP_IPV6 })));
    }
    expectInner4(eth(pppoe(ppp(inner4(), { addressControl: false })), 0x8864));
    expectInner6(eth(pppoe(ppp(inner6(), { addressControl: false, protocol: PPP_IPV6 })), 0x8864));
    expectInner4(frameOf(LinkType.PPP_ETHER, pppoe(ppp(inner4(), { addressControl: false }))));
  });

  it("good: Cisco HDLC, under its own link type and under PPP's (as routers write it)", () => {
    expectInner4(frameOf(LinkType.C_HDLC, ciscoHdlc(inner4())));
    expectInner4(frameOf(LinkType.C_HDLC, ciscoHdlc(inner4(), { address: 0x8f })));
    expectInner6(frameOf(LinkType.PPP, ciscoHdlc(inner6(), { etherType: 0x86dd })));
    expectInner4(frameOf(LinkType.PPP_HDLC, ciscoHdlc(inner4())));
  });

  it("truncated: a frame ending in the PPP header or in the PPPoE header", () => {
    expect(statusOf(frameOf(LinkType.PPP, ppp(inner4()), { caplen: 3 }))).toBe(DecodeStatus.Truncated);
    expect(statusOf(frameOf(LinkType.PPP, ppp(inner4()), { caplen: 2 }))).toBe(DecodeStatus.Truncated);
    expect(statusOf(frameOf(LinkType.PPP_ETHER, pppoe(ppp(inner4())), { caplen: 5 }))).toBe(DecodeStatus.Truncated);
    expect(statusOf(frameOf(LinkType.PPP, ppp(inner4()), { caplen: 4 + 19 }))).toBe(DecodeStatus.Truncated);
  });

  it("impossible length: a PPPoE payload length too short to hold the PPP protocol", () => {
    expect(statusOf(eth(pppoe(ppp(inner4(), { addressControl: false }), { length: 1 }), 0x8864))).toBe(
      DecodeStatus.Malformed,
    );
  });

  it("malformed: PPPoE version/type other than 0x11 or a discovery code in a session frame; LCP is not IP", () => {
    const body = ppp(inner4(), { addressControl: false });
    expect(statusOf(eth(pppoe(body, { versionType: 0x21 }), 0x8864))).toBe(DecodeStatus.Malformed);
    expect(statusOf(eth(pppoe(body, { code: 0x09 }), 0x8864))).toBe(DecodeStatus.Malformed);
    expect(statusOf(frameOf(LinkType.PPP, ppp(pattern(10), { protocol: PPP_LCP })))).toBe(DecodeStatus.NotIp);
    expect(skippedName(statusOf(frameOf(LinkType.PPP, ppp(pattern(30), { protocol: 0x002d }))))).toBe(
      "not decoded: Van Jacobson compressed TCP/IP (PPP protocol 0x002d)",
    );
  });
});

describe("what is not decoded is named per input: a count under skipped, one warning each", () => {
  it("L2TP, ESP, MPLS and a link type not read: counted by name, each warned about once, at its first frame", () => {
    const l2tp = ethernet(outer4(udpAround(pattern(40), { dstPort: 1701 }), PROTO_UDP));
    const esp = ethernet(outer4(pattern(60), PROTO_ESP));
    const mpls = ethernet(bytes(hex("0001f140"), inner4()), { etherType: 0x8847 });
    const plainUdp = ethernet(ipv4(udp(), { protocol: PROTO_UDP }));
    const tunnelled = ethernet(outer4(gre(inner4()), PROTO_GRE));
    const records = [l2tp, esp, l2tp, tunnelled, mpls, plainUdp, esp, l2tp].map((data, i) => ({ sec: 1000 + i, data }));
    const file = pcapFile({}, records);
    const source = new FrameSegmentSource(new PcapReader());
    source.feed(file);
    source.finish();
    const seg = new TcpSegment();
    const got: number[] = [];
    while (source.next(seg)) got.push(seg.frame);
    expect(got).toEqual([4]);
    expect(source.skipped()).toEqual({
      "not decoded: L2TP (UDP port 1701)": 3,
      "not decoded: ESP (encrypted) (IP protocol 50)": 2,
      "not decoded: MPLS (ethertype 0x8847)": 1,
      "not TCP": 1,
    });
    const offsets: number[] = [];
    let at = 24;
    for (const r of records) {
      offsets.push(at);
      at += 16 + r.data.length;
    }
    expect(source.warnings).toEqual([
      { offset: offsets[0], message: "frame 1 and every one like it skipped: L2TP (UDP port 1701) is not decoded" },
      {
        offset: offsets[1],
        message: "frame 2 and every one like it skipped: ESP (encrypted) (IP protocol 50) is not decoded",
      },
      { offset: offsets[4], message: "frame 5 and every one like it skipped: MPLS (ethertype 0x8847) is not decoded" },
    ]);
  });

  it("a capture of a link type not read: every packet skipped under its name, one warning", () => {
    const file = pcapFile(
      { linkType: 105 },
      [1, 2, 3].map((i) => ({ sec: i, data: pattern(50, i) })),
    );
    const source = new FrameSegmentSource(new PcapReader());
    source.feed(file);
    source.finish();
    expect(source.next(new TcpSegment())).toBe(false);
    expect(source.skipped()).toEqual({ "not decoded: link type 105 (IEEE 802.11)": 3 });
    expect(source.warnings).toEqual([
      { offset: 24, message: "frame 1 and every one like it skipped: link type 105 (IEEE 802.11) is not decoded" },
    ]);
  });

  it("many kinds (damaged traffic can name any GRE protocol): 15 named warnings, then one that says the rest are only counted", () => {
    const records = Array.from({ length: 40 }, (_, i) => ({
      sec: 1000 + i,
      data: ethernet(outer4(gre(inner4(), { protocol: 0x1000 + i }), PROTO_GRE)),
    }));
    const source = new FrameSegmentSource(new PcapReader());
    source.feed(pcapFile({}, records));
    source.finish();
    expect(source.next(new TcpSegment())).toBe(false);
    expect(Object.keys(source.skipped())).toHaveLength(40);
    expect(source.skipped()["not decoded: GRE protocol 0x1027"]).toBe(1);
    expect(source.warnings.map((w) => w.message)).toEqual([
      ...Array.from(
        { length: 15 },
        (_, i) =>
          `frame ${i + 1} and every one like it skipped: GRE protocol 0x${(0x1000 + i).toString(16)} is not decoded`,
      ),
      "frame 16: more kinds of packets that are not decoded; from here on they are only counted in the skipped packets",
    ]);
  });
});
