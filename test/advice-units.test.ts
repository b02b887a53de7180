/**
 * The advice of src/findings/advice.ts on hand-built connections, one decision at a time: which OS's commands
 * (inferred, a few candidates, none, or a stack outside the table), what an unknown or zero RTT leaves out, when a
 * small Linux shift is a deliberate cap, and which box answered a SYN in the server's place. Commands are what
 * users run: they are compared whole.
 */
import { describe, expect, it } from "vitest";
import type { Connection } from "../src/connections/connection.js";
import { inferOs } from "../src/connections/os.js";
import { declinedAdvice, osAdvice, scaleAdvice, tooSmallAdvice } from "../src/findings/advice.js";
import type { Advice } from "../src/findings/finding.js";
import { synAckOrigin } from "../src/findings/synack-origin.js";
import { type SegmentSpec, trackConnection as track } from "./helpers/segments.js";

const C = "198.18.1.2:40000";
const S = "198.18.2.2:443";

/** How a host's SYN looks: what OS inference reads. */
interface SynLook {
  layout: string;
  ttl: number;
  win: number;
}
/** Linux's own SYN: likely Linux. */
const LINUX: SynLook = { layout: "mss,sok,ts,nop,ws", ttl: 64, win: 64240 };
/** Windows 10's SYN: likely Windows. */
const WINDOWS: SynLook = { layout: "mss,nop,ws,nop,nop,sok", ttl: 128, win: 64240 };
/** OpenBSD's SYN: OpenBSD has no knob for the shift alone. */
const OPENBSD: SynLook = { layout: "mss,nop,nop,sok,nop,ws,nop,nop,ts", ttl: 64, win: 16384 };
/** A layout no stack sends at TTL 64: every family starting at 64 is a candidate. */
const AMBIGUOUS: SynLook = { layout: "mss,ws,nop", ttl: 64, win: 64240 };
/** Linux's layout from a host starting at TTL 128: nothing fits both, no candidate at all. */
const FOREIGN: SynLook = { layout: "mss,sok,ts,nop,ws", ttl: 128, win: 64240 };
/** A layout no stack sends, from initial TTL 32, which no stack of the table starts at: "another stack". */
const OTHER: SynLook = { layout: "mss,ws,nop", ttl: 30, win: 64240 };

/**
 * A handshake: the client's SYN as `look` with shift `clientShift`, a Linux SYN-ACK with shift 7, and the client's
 * ACK. `times`: SYN, SYN-ACK and ACK; null: no ACK, so no RTT is known.
 */
function handshake(
  look: SynLook,
  clientShift: number,
  times: readonly [number, number, number] | null = [0, 0.02, 0.04],
  ends: { client: string; server: string } = { client: C, server: S },
): Connection {
  const t = times ?? [0, 0.02, 0.04];
  const specs: SegmentSpec[] = [
    { from: ends.client, to: ends.server, flags: "S", seq: 1000, ...look, wscale: clientShift, mss: 1460, time: t[0] },
    {
      from: ends.server,
      to: ends.client,
      flags: "S.",
      seq: 5000,
      ack: 1001,
      win: 65160,
      wscale: 7,
      mss: 1460,
      ttl: 64,
      layout: "mss,sok,ts,nop,ws",
      time: t[1],
    },
  ];
  if (times !== null) specs.push({ from: ends.client, to: ends.server, flags: ".", seq: 1001, ack: 5001, time: t[2] });
  return track(specs);
}

const commands = (advice: Advice[]) => advice.map((a) => a.command);

function lowering(look: SynLook, tolerated: number, rttSeconds: number | null = 0.02): Advice[] {
  const conn = handshake(look, 7);
  return scaleAdvice({
    host: conn.client,
    hostRole: "client",
    peer: conn.server,
    tolerated,
    pathProblem: "it rewrites the shift",
    rttSeconds,
  });
}

const PATH = "fix the box between 198.18.1.2:40000 and 198.18.2.2:443: it rewrites the shift";
const ROUTE_2 =
  "r=$(ip -o route get 198.18.2.2 | grep -oE '(via|dev) [^ ]+')\nip route replace 198.18.2.2/32 $r window 262143";
const LINUX_2 = [
  "wscale sysctl --target-wscale 2 --dst 198.18.2.2",
  ROUTE_2,
  'sysctl -w net.ipv4.tcp_rmem="4096 131072 262143"',
  "sysctl -w net.core.rmem_max=262143",
  "cat > /etc/sysctl.d/90-wscale.conf <<'EOF'\n# /etc/sysctl.d/90-wscale.conf: written from wscale sysctl (advertise shift 2)\nnet.ipv4.tcp_rmem = 4096 131072 262143\nnet.core.rmem_max = 262143\nEOF\nsysctl -p /etc/sysctl.d/90-wscale.conf",
  "sysctl -w net.ipv4.tcp_window_scaling=0",
];

describe("the hosts these tests build, as OS inference sees them", () => {
  it("Linux, Windows and OpenBSD likely; two kinds of unknown; another stack", () => {
    expect(inferOs(handshake(LINUX, 7).client)).toMatchObject({ family: "linux", confidence: "likely" });
    expect(inferOs(handshake(WINDOWS, 7).client)).toMatchObject({ family: "windows", confidence: "likely" });
    expect(inferOs(handshake(OPENBSD, 7).client)).toMatchObject({ family: "openbsd", confidence: "likely" });
    expect(inferOs(handshake(AMBIGUOUS, 7).client)).toMatchObject({
      family: "unknown",
      candidates: ["linux", "macos", "freebsd", "netbsd", "openbsd", "solaris"],
    });
    expect(inferOs(handshake(FOREIGN, 7).client)).toMatchObject({ family: "unknown", candidates: [] });
    expect(inferOs(handshake(OTHER, 7).client)).toMatchObject({ family: "other", candidates: [] });
    expect(inferOs(handshake(LINUX, 7).server)).toMatchObject({ family: "linux", confidence: "likely" });
  });
});

describe("scaleAdvice: the path, then the host's own OS", () => {
  it("a Linux client: the path, wscale sysctl, the route clamp, the global lines, the last resort; throughput at the RTT", () => {
    const advice = lowering(LINUX, 2);
    expect(commands(advice)).toEqual([PATH, ...LINUX_2]);
    expect(advice.map((a) => a.kind)).toEqual(["path", "sysctl", "route", "sysctl", "sysctl", "sysctl", "sysctl"]);
    expect(advice[1]!.why).toBe(
      "run on client 198.18.1.2 (Linux, likely from its SYN): the lines below computed from its own /proc/sys, with gateway and device from its own routing table",
    );
    expect(advice[2]!.why).toMatch(
      /^on client 198\.18\.1\.2 \(Linux, likely from its SYN\): only connections to 198\.18\.2\.2 advertise shift 2, which the path lets through; their window is capped at 262140 bytes \(105 Mbit\/s at 20 ms\), every other path keeps its full window\. /,
    );
    expect(advice[6]!.why).toBe(
      "last resort on client 198.18.1.2: no scaling in either direction of any connection, windows capped at 65535 bytes (26.2 Mbit/s at 20 ms)",
    );
  });

  it("no RTT, an RTT of 0 or below: the same lines, without throughput", () => {
    const none = lowering(LINUX, 2, null);
    expect(commands(none)).toEqual([PATH, ...LINUX_2]);
    expect(none[2]!.why).toContain("their window is capped at 262140 bytes, every other path keeps its full window.");
    expect(none[6]!.why).toBe(
      "last resort on client 198.18.1.2: no scaling in either direction of any connection, windows capped at 65535 bytes",
    );
    expect(lowering(LINUX, 2, 0)).toEqual(none);
    expect(lowering(LINUX, 2, -0.02)).toEqual(none);
  });

  it("an IPv6 client: the host route is a /128", () => {
    const conn = handshake(LINUX, 7, undefined, { client: "[2001:db8:1::2]:40000", server: "[2001:db8:2::2]:443" });
    const advice = scaleAdvice({
      host: conn.client,
      hostRole: "client",
      peer: conn.server,
      tolerated: 0,
      pathProblem: "it rewrites the shift",
      rttSeconds: 0.02,
    });
    expect(advice[1]!.command).toBe("wscale sysctl --target-wscale 0 --dst 2001:db8:2::2");
    expect(advice[2]!.command).toBe(
      "r=$(ip -o route get 2001:db8:2::2 | grep -oE '(via|dev) [^ ]+')\nip route replace 2001:db8:2::2/128 $r window 65535",
    );
  });

  it("a Windows client: netsh's level for shift 2, no check line; past shift 7 no level fits: the check line", () => {
    const two = lowering(WINDOWS, 2);
    expect(commands(two)).toEqual([
      PATH,
      "netsh interface tcp set global autotuninglevel=highlyrestricted",
      "netsh interface tcp set global autotuninglevel=disabled",
    ]);
    expect(two[1]!.why).toMatch(/^on client 198\.18\.1\.2, Windows, likely from its SYN: offers shift 2 instead of 8/);
    const eight = lowering(WINDOWS, 8);
    expect(eight).toEqual([
      two[0],
      {
        kind: "os",
        command: "netsh interface tcp show global",
        why: "on client 198.18.1.2, Windows, likely from its SYN: Receive Window Auto-Tuning picks the shift: Microsoft documents scale factor 8 for autotuninglevel=normal (the default), 4 for restricted, 2 for highlyrestricted; disabled keeps the window at 64 KiB",
      },
      {
        kind: "os",
        command: "netsh interface tcp set global autotuninglevel=disabled",
        why: "on client 198.18.1.2, Windows, likely from its SYN, last resort: the receive window stays at 64 KiB (26.2 Mbit/s at 20 ms)",
      },
    ]);
  });

  it("an OpenBSD client (no knob for the shift alone): the check line, then the last resort", () => {
    const advice = lowering(OPENBSD, 2);
    expect(commands(advice)).toEqual([PATH, "sysctl net.inet.tcp.rfc1323", "sysctl net.inet.tcp.rfc1323=0"]);
    expect(advice[1]!.why).toBe(
      "on client 198.18.1.2, OpenBSD, likely from its SYN: OpenBSD requests its shift from the socket buffer limit; we know of no knob for the shift alone",
    );
  });

  it("an OS the SYN does not tell among several: each candidate's lines, marked 'if it is'", () => {
    const advice = lowering(AMBIGUOUS, 2);
    expect(commands(advice)).toEqual([
      PATH,
      ...LINUX_2,
      "sudo sysctl -w net.inet.tcp.win_scale_factor=2 net.inet.tcp.autorcvbufmax=262140",
      "sudo sysctl -w net.inet.tcp.rfc1323=0",
      "sysctl kern.ipc.maxsockbuf=262140",
      "sysctl net.inet.tcp.rfc1323=0",
      "sysctl -w kern.sbmax=262140",
      "sysctl -w net.inet.tcp.win_scale=0",
      "sysctl net.inet.tcp.rfc1323",
      "sysctl net.inet.tcp.rfc1323=0",
      "route change -host 198.18.2.2 -recvpipe 262140",
      "ipadm set-prop -p recv_buf=65535 tcp",
    ]);
    expect(advice[1]!.why).toBe(
      "run on client 198.18.1.2 (if it is Linux): the lines below computed from its own /proc/sys, with gateway and device from its own routing table",
    );
    expect(advice[2]!.why).toMatch(/^on client 198\.18\.1\.2 \(if it is Linux\): only connections to 198\.18\.2\.2/);
    expect(advice[7]!.why).toMatch(/^on client 198\.18\.1\.2, if it is macOS: the smallest shift XNU then picks is 2;/);
    expect(advice[13]!.why).toBe(
      "on client 198.18.1.2, if it is OpenBSD: OpenBSD requests its shift from the socket buffer limit; we know of no knob for the shift alone",
    );
  });

  it("an OS that fits no candidate: Linux, Windows, macOS and FreeBSD", () => {
    expect(commands(lowering(FOREIGN, 2))).toEqual([
      PATH,
      ...LINUX_2,
      "netsh interface tcp set global autotuninglevel=highlyrestricted",
      "netsh interface tcp set global autotuninglevel=disabled",
      "sudo sysctl -w net.inet.tcp.win_scale_factor=2 net.inet.tcp.autorcvbufmax=262140",
      "sudo sysctl -w net.inet.tcp.rfc1323=0",
      "sysctl kern.ipc.maxsockbuf=262140",
      "sysctl net.inet.tcp.rfc1323=0",
    ]);
  });

  it("another stack (a TTL no stack of the table starts at): the path alone, no OS's knob", () => {
    expect(lowering(OTHER, 2)).toEqual([lowering(LINUX, 2)[0]]);
  });
});

describe("osAdvice: scaling back on", () => {
  it("a Linux server, from its SYN-ACK", () => {
    expect(osAdvice(handshake(LINUX, 7).server, "server")).toEqual([
      {
        kind: "sysctl",
        command: "sysctl -w net.ipv4.tcp_window_scaling=1",
        why: "on the server 198.18.2.2:443, Linux, likely from its SYN-ACK: RFC 7323 window scaling back on (the default); to keep it: net.ipv4.tcp_window_scaling = 1 in /etc/sysctl.d/90-wscale.conf",
      },
    ]);
  });

  it("each candidate in its own name when the SYN does not tell", () => {
    const advice = osAdvice(handshake(AMBIGUOUS, 7).client, "client");
    expect(advice.map((a) => [a.kind, a.command, a.why.slice(0, a.why.indexOf(":", 30))])).toEqual([
      ["sysctl", "sysctl -w net.ipv4.tcp_window_scaling=1", "on the client 198.18.1.2:40000, if it is Linux"],
      ["os", "sudo sysctl -w net.inet.tcp.rfc1323=1", "on the client 198.18.1.2:40000, if it is macOS"],
      ["os", "sysctl net.inet.tcp.rfc1323=1", "on the client 198.18.1.2:40000, if it is FreeBSD"],
      ["os", "sysctl -w net.inet.tcp.win_scale=1", "on the client 198.18.1.2:40000, if it is NetBSD"],
      ["os", "sysctl net.inet.tcp.rfc1323=1", "on the client 198.18.1.2:40000, if it is OpenBSD"],
      ["os", "ipadm set-prop -p _wscale_always=1 tcp", "on the client 198.18.1.2:40000, if it is Solaris"],
    ]);
    expect(advice[3]!.why).toBe("on the client 198.18.1.2:40000, if it is NetBSD: window scaling back on, the default");
  });

  it("the default role is 'host'; another stack: nothing to say", () => {
    expect(osAdvice(handshake(WINDOWS, 7).client)).toEqual([
      {
        kind: "os",
        command: "netsh interface tcp set global autotuninglevel=normal",
        why: "on the host 198.18.1.2:40000, Windows, likely from its SYN: receive-window autotuning back on, with window scaling (an elevated prompt; `Get-NetTCPSetting | Format-Table SettingName, AutoTuningLevelLocal` shows it per profile)",
      },
    ]);
    expect(osAdvice(handshake(OTHER, 7).client, "client")).toEqual([]);
  });
});

describe("tooSmallAdvice: a small shift, and what it costs at the measured RTT", () => {
  it("Linux's shift 6 is a deliberate cap: keep it, its price at 40 ms, and --window-clamp", () => {
    const conn = handshake(LINUX, 6);
    expect(conn.rtt).toBeCloseTo(0.04, 9);
    expect(tooSmallAdvice(conn, conn.client)).toEqual([
      {
        kind: "path",
        command: "keep the cap on client 198.18.1.2:40000 while the box it works around is there",
        why: "Linux offers shift 7 or more by default (10 since 6.16): shift 6 comes from a clamp someone set, a route `window` metric (`ip route get 198.18.2.2` shows it), TCP_WINDOW_CLAMP or SO_RCVBUF. If it works around a box that breaks larger shifts, this is its price (839 Mbit/s at 40 ms); fix the box, then lift the cap",
      },
      {
        kind: "sysctl",
        command: "wscale sysctl --rtt 40ms --rate <the rate you need> --dst 198.18.2.2 --window-clamp 4194240",
        why: "on client 198.18.1.2:40000: the tcp_rmem/rmem_max and route lines whose shift and buffer carry that rate at the measured 40 ms; --window-clamp stands for the current cap, so it prints the route window to replace it with",
      },
    ]);
  });

  it("Linux's shift 7 is its default: no cap to keep, no --window-clamp", () => {
    const conn = handshake(LINUX, 7);
    expect(tooSmallAdvice(conn, conn.client)).toEqual([
      {
        kind: "sysctl",
        command: "wscale sysctl --rtt 40ms --rate <the rate you need> --dst 198.18.2.2",
        why: "on client 198.18.1.2:40000: the tcp_rmem/rmem_max and route lines whose shift and buffer carry that rate at the measured 40 ms",
      },
    ]);
  });

  it("no RTT known, or an RTT of 0: placeholders, no price in bits per second, no --window-clamp", () => {
    for (const [times, rtt] of [
      [null, Number.NaN],
      [[0, 0, 0], 0],
    ] as const) {
      const conn = handshake(LINUX, 2, times);
      expect(conn.rtt).toBe(rtt);
      const advice = tooSmallAdvice(conn, conn.client);
      expect(commands(advice)).toEqual([
        "keep the cap on client 198.18.1.2:40000 while the box it works around is there",
        "wscale sysctl --rtt <the RTT> --rate <the rate you need> --dst 198.18.2.2",
      ]);
      expect(advice[0]!.why).toContain("this is its price (65535 << shift per round trip); fix the box");
      expect(advice[1]!.why).toMatch(/ carry that rate at the measured RTT; --window-clamp stands for the current cap/);
    }
  });

  it("Windows's shift 2 is no Linux cap: the Linux lines marked as such, and netsh's check line", () => {
    const conn = handshake(WINDOWS, 2);
    expect(tooSmallAdvice(conn, conn.client)).toEqual([
      {
        kind: "sysctl",
        command: "wscale sysctl --rtt 40ms --rate <the rate you need> --dst 198.18.2.2",
        why: "on client 198.18.1.2:40000 (Windows, likely from its SYN; the lines it prints are Linux's): the tcp_rmem/rmem_max and route lines whose shift and buffer carry that rate at the measured 40 ms",
      },
      {
        kind: "os",
        command: "netsh interface tcp show global",
        why: "on client 198.18.1.2:40000: Receive Window Auto-Tuning picks the shift: Microsoft documents scale factor 8 for autotuninglevel=normal (the default), 4 for restricted, 2 for highlyrestricted; disabled keeps the window at 64 KiB",
      },
    ]);
  });

  it("the server as the receiver: its role, and the client as the destination", () => {
    const conn = handshake(WINDOWS, 2);
    expect(tooSmallAdvice(conn, conn.server)).toEqual([
      {
        kind: "sysctl",
        command: "wscale sysctl --rtt 40ms --rate <the rate you need> --dst 198.18.1.2",
        why: "on server 198.18.2.2:443: the tcp_rmem/rmem_max and route lines whose shift and buffer carry that rate at the measured 40 ms",
      },
    ]);
  });

  it("an OS not known: the candidates, or that it is unknown", () => {
    const some = handshake(AMBIGUOUS, 2);
    expect(tooSmallAdvice(some, some.client).map((a) => a.why)).toEqual([
      "on client 198.18.1.2:40000 (its OS is not certain: Linux or macOS/iOS or FreeBSD or NetBSD or OpenBSD or Solaris; the lines it prints are Linux's): the tcp_rmem/rmem_max and route lines whose shift and buffer carry that rate at the measured 40 ms",
    ]);
    const none = handshake(FOREIGN, 2);
    expect(tooSmallAdvice(none, none.client).map((a) => a.why)).toEqual([
      "on client 198.18.1.2:40000 (its OS is unknown; the lines it prints are Linux's): the tcp_rmem/rmem_max and route lines whose shift and buffer carry that rate at the measured 40 ms",
    ]);
  });
});

/** A SYN answered without window scaling; the SYN-ACK as given, then the client's ACK and maybe server data. */
function declined(o: {
  ttl: number;
  delay: number;
  layout: string;
  isn?: number;
  win?: number;
  mss?: number;
  clientShift?: number;
  dataTtl?: number;
  secondTtl?: number;
}): Connection {
  const isn = o.isn ?? 5000;
  const specs: SegmentSpec[] = [
    {
      from: C,
      to: S,
      flags: "S",
      seq: 1000,
      win: 64240,
      wscale: o.clientShift,
      mss: 1460,
      ttl: 64,
      layout: o.clientShift === undefined ? "mss,sok,ts" : "mss,sok,ts,nop,ws",
      time: 0,
    },
    {
      from: S,
      to: C,
      flags: "S.",
      seq: isn,
      ack: 1001,
      win: o.win ?? 65160,
      mss: o.mss,
      ttl: o.ttl,
      layout: o.layout,
      time: o.delay,
    },
  ];
  if (o.secondTtl !== undefined)
    specs.push({
      from: S,
      to: C,
      flags: "S.",
      seq: isn,
      ack: 1001,
      win: 65160,
      mss: 1460,
      ttl: o.secondTtl,
      layout: "mss",
      time: o.delay + 0.001,
    });
  specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: isn + 1, win: 502, ttl: 64, time: o.delay + 0.001 });
  if (o.dataTtl !== undefined)
    specs.push({
      from: S,
      to: C,
      flags: "P.",
      seq: isn + 1,
      ack: 1001,
      win: 509,
      len: 100,
      ttl: o.dataTtl,
      time: o.delay + 0.03,
    });
  return track(specs);
}

const SERVER_NOTE = ", only if the server itself answered";

describe("declinedAdvice: the box that answered the SYN first, then the server conditionally", () => {
  it("no box: the server's own lines, with the note", () => {
    const conn = declined({ ttl: 60, delay: 0.001, mss: 1460, layout: "mss,sok,ts", clientShift: 7 });
    expect(synAckOrigin(conn)).toBeNull();
    expect(declinedAdvice(conn, "seen twice")).toEqual([
      {
        kind: "sysctl",
        command: "sysctl -w net.ipv4.tcp_window_scaling=1",
        why: "on the server 198.18.2.2:443, Linux, likely from its SYN-ACK: RFC 7323 window scaling back on (the default); to keep it: net.ipv4.tcp_window_scaling = 1 in /etc/sysctl.d/90-wscale.conf, seen twice",
      },
    ]);
  });

  it("slirp (TTL 64 after 117 ms, ISN 1 + 155 x 64000), likely: bridged networking, then the server if it answered", () => {
    const conn = declined({ ttl: 64, delay: 0.117, isn: 9920001, win: 65535, mss: 1460, layout: "mss" });
    const advice = declinedAdvice(conn, "seen twice");
    expect(advice[0]).toEqual({
      kind: "path",
      command: 'VBoxManage modifyvm "<vm>" --nic1 bridged --bridgeadapter1 <host interface>',
      why: "The SYN-ACK came from a box: SYN-ACK TTL 64 crossed no router, yet it came 117 ms after the SYN: the answer was made on this link, after a round trip further away; SYN-ACK ISN 9920001 = 1 + 155 x 64000: the ISN series of slirp (VirtualBox NAT, QEMU user-mode networking). slirp's own TCP answers with MSS only: no window scaling, SACK or timestamps whatever the server supports, so every connection through it is capped at 64 KiB per round trip. Give the VM bridged networking (with the VM powered off; QEMU: a tap or bridge netdev instead of -netdev user)",
    });
    expect(advice.slice(1)).toEqual([
      {
        kind: "sysctl",
        command: "sysctl -w net.ipv4.tcp_window_scaling=1",
        why: `on the server 198.18.2.2:443, if it is Linux: RFC 7323 window scaling back on (the default); to keep it: net.ipv4.tcp_window_scaling = 1 in /etc/sysctl.d/90-wscale.conf${SERVER_NOTE}, seen twice`,
      },
      {
        kind: "os",
        command: "ipadm set-prop -p _wscale_always=1 tcp",
        why: `on the server 198.18.2.2:443, if it is Solaris: window scaling offered on every connection (Solaris 11)${SERVER_NOTE}, seen twice`,
      },
    ]);
  });

  it("a NAT or proxy next to the client (TTL 64 after 10 ms), possible: the box named, 'may have come'", () => {
    const conn = declined({ ttl: 64, delay: 0.01, mss: 1460, layout: "mss", clientShift: 7 });
    const advice = declinedAdvice(conn);
    expect(advice[0]).toEqual({
      kind: "path",
      command:
        "enable window scaling on a NAT or proxy next to the client, which answered the SYN instead of the server",
      why: "The SYN-ACK may have come from a box: SYN-ACK TTL 64 crossed no router, yet it came 10 ms after the SYN: the answer was made on this link, after a round trip further away. a NAT or proxy that connects on its own answers with its own options: its TCP settings decide, not the server's",
    });
    expect(commands(advice.slice(1))).toEqual([
      "sysctl -w net.ipv4.tcp_window_scaling=1",
      "ipadm set-prop -p _wscale_always=1 tcp",
    ]);
    for (const a of advice.slice(1)) expect(a.why.endsWith(SERVER_NOTE)).toBe(true);
  });

  it("Linux SYNPROXY (window 0): its rule, with the client's shift and the SYN-ACK's MSS", () => {
    const conn = declined({ ttl: 60, delay: 0.001, win: 0, mss: 1400, layout: "mss,sok,ts", clientShift: 9 });
    expect(synAckOrigin(conn)).toMatchObject({ kind: "linux-synproxy", confidence: "possible" });
    const [box, ...server] = declinedAdvice(conn);
    expect(box).toEqual({
      kind: "path",
      command: "nft -a list ruleset | grep -n synproxy",
      why: "The SYN-ACK may have come from a box: SYN-ACK window 0: Linux SYNPROXY answers with window 0, a server's own stack never does. on the box: SYNPROXY answers with the options of its rule, and this one has no wscale. Give the rule the shift the server itself offers (e.g. 9 if it is a Linux host like the client): nft `synproxy mss 1400 wscale 9 timestamp sack-perm`, iptables `-j SYNPROXY --mss 1400 --wscale 9 --timestamp --sack-perm`",
    });
    expect(commands(server)).toEqual(["sysctl -w net.ipv4.tcp_window_scaling=1", "sysctl net.inet.tcp.rfc1323=1"]);
  });

  it("Linux SYNPROXY, a client without wscale and a SYN-ACK without MSS: shift 7 and MSS 1460", () => {
    const conn = declined({ ttl: 60, delay: 0.001, win: 0, layout: "sok,ts" });
    expect(conn.client.offered).toEqual({ state: "absent" });
    expect(conn.server.firstSyn!.mss).toBeNull();
    expect(declinedAdvice(conn)[0]!.why).toMatch(
      /: nft `synproxy mss 1460 wscale 7 timestamp sack-perm`, iptables `-j SYNPROXY --mss 1460 --wscale 7 --timestamp --sack-perm`$/,
    );
  });

  it("Linux SYNPROXY whose server's data comes from further away: likely", () => {
    const conn = declined({
      ttl: 60,
      delay: 0.001,
      win: 0,
      mss: 1400,
      layout: "mss,sok,ts",
      clientShift: 9,
      dataTtl: 50,
    });
    expect(declinedAdvice(conn)[0]!.why).toMatch(
      /^The SYN-ACK came from a box: SYN-ACK window 0: Linux SYNPROXY answers with window 0, a server's own stack never does; SYN-ACK TTL 60, the server's data TTL 50: 10 hop\(s\) further than the SYN-ACK\. on the box: /,
    );
  });

  it("a SYN proxy (the server's data 10 hops further): possible alone, likely with a second SYN-ACK", () => {
    const one = declined({ ttl: 60, delay: 0.001, mss: 1460, layout: "mss,sok,ts", clientShift: 7, dataTtl: 50 });
    const possible = declinedAdvice(one);
    expect(possible[0]).toEqual({
      kind: "path",
      command:
        "enable window scaling on a SYN proxy or load balancer in front of the server, which answered the SYN instead of the server",
      why: "The SYN-ACK may have come from a box: SYN-ACK TTL 60, the server's data TTL 50: 10 hop(s) further than the SYN-ACK. a SYN proxy answers with the options of its own configuration (Linux SYNPROXY: `wscale N` in its rule); a load balancer's TCP profile needs window scaling on",
    });
    expect(possible.slice(1)).toEqual([
      {
        kind: "sysctl",
        command: "sysctl -w net.ipv4.tcp_window_scaling=1",
        why: `on the server 198.18.2.2:443, Linux, likely from its SYN-ACK: RFC 7323 window scaling back on (the default); to keep it: net.ipv4.tcp_window_scaling = 1 in /etc/sysctl.d/90-wscale.conf${SERVER_NOTE}`,
      },
    ]);
    const two = declined({
      ttl: 60,
      delay: 0.001,
      mss: 1460,
      layout: "mss,sok,ts",
      clientShift: 7,
      dataTtl: 50,
      secondTtl: 52,
    });
    expect(declinedAdvice(two)[0]!.why).toMatch(
      /^The SYN-ACK came from a box: a later SYN-ACK \(frame \d+\) came with TTL 52, the first with 60: two senders; /,
    );
  });

  it("a load balancer (Linux's layout from a host starting at 255), possible", () => {
    const conn = declined({ ttl: 250, delay: 0.001, mss: 1460, layout: "mss,sok,ts", clientShift: 7 });
    const advice = declinedAdvice(conn);
    expect(advice[0]).toEqual({
      kind: "path",
      command:
        "enable window scaling on a load balancer or proxy in front of the server, which answered the SYN instead of the server",
      why: "The SYN-ACK may have come from a box: SYN-ACK options mss,sok,ts: the layout of Linux or Windows or FreeBSD (initial TTL 64/128), not of a stack starting at 255: a box on the path (NAT, proxy, load balancer) may have sent or rewritten it. a load balancer that ends TCP itself answers with its own TCP profile: window scaling must be on there",
    });
    expect(commands(advice.slice(1))).toEqual([
      "sysctl -w net.ipv4.tcp_window_scaling=1",
      "netsh interface tcp set global autotuninglevel=normal",
      "sudo sysctl -w net.inet.tcp.rfc1323=1",
      "sysctl net.inet.tcp.rfc1323=1",
    ]);
  });
});
