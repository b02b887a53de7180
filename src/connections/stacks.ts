/**
 * The TCP option layouts real stacks put in their SYN and SYN-ACK, one row per fact, each with its source
 * (a p0f 3.09b signature, a kernel source file, a public capture). A rule asks "is this a known layout?"
 * instead of carrying layouts in its `if`s; OS inference reads the TTL and window hints of the same rows.
 *
 * Layouts are written as p0f writes them: mss, nop, ws (window scale), sok (SACK permitted), ts (timestamps),
 * eol. A stack answers a SYN with only the options the SYN offered, so each stack has a row per subset it is
 * known to send; the same layout often belongs to several stacks (`mss,nop,ws` is Linux, Windows, macOS and
 * FreeBSD alike), which is why `matchLayout` returns a list.
 */

export type OsFamily = "linux" | "windows" | "macos" | "freebsd" | "netbsd" | "openbsd" | "solaris" | "other";

export interface StackLayout {
  family: OsFamily;
  label: string;
  /** The layout is sent in a SYN (false), a SYN-ACK (true), or both. */
  synAck: boolean | "either";
  /** Option kinds in order as sent, NOP=1, EOL=0 (everything after the first EOL dropped: it is padding). */
  kinds: readonly number[];
  /** The IP TTL (or IPv6 hop limit) the stack starts with. */
  initialTtl: number;
  /** Where the row comes from: p0f signature, kernel source file and version, public capture. */
  source: string;
  /** The p0f 3.09b signature line this row is taken from, verbatim (ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass). */
  p0f?: string;
  /** Typical SYN window field values, p0f style: "65535", "mss*44" (44 segments of the SYN's MSS), "mss*" (any number). */
  window?: readonly string[];
}

interface Row {
  family: OsFamily;
  label: string;
  synAck: boolean | "either";
  layout: string;
  ttl: number;
  source: string;
  p0f?: string;
  window?: readonly string[];
}

const P0F = "p0f 3.09b p0f.fp";
const LINUX_SRC =
  "Linux net/ipv4/tcp_output.c tcp_options_write() (2.6 to 6.18: mss; sok+ts or nop,nop,ts; nop,nop,sok; nop,ws)";
const LINUX_CAPTURE = "captures/*.pcap (Linux 6.18 in network namespaces)";
const FREEBSD_SRC =
  "FreeBSD sys/netinet/tcp_output.c tcp_addoptions(): nop before ws to an odd offset, sok at an even one, nops before ts to offset 2 mod 4, EOL pad";
const OPENBSD_SRC =
  "OpenBSD sys/netinet/tcp_output.c rev 1.157 (2025): mss; TCPOPT_SACK_PERMIT_HDR (nop,nop,sok); nop,ws; TCPOPT_TSTAMP_HDR (nop,nop,ts)";
const XNU_SRC =
  "XNU bsd/netinet/tcp_output.c: mss; nop,ws; TCPOPT_TSTAMP_HDR (nop,nop,ts); SACK permitted tacked on last, then EOL padding";
const NETBSD_SYN_SRC =
  "NetBSD sys/netinet/tcp_output.c rev 1.185 (2015): mss; nop,ws; sok followed by nop,nop; TCPOPT_TSTAMP_HDR (nop,nop,ts)";
const NETBSD_SYNACK_SRC =
  "NetBSD sys/netinet/tcp_syncache.c rev 1.6 (2022) syn_cache_respond(): mss; nop,ws; sok; nops to offset 2 mod 4; ts; EOL pad";

/**
 * The table. Where p0f lists a layout, `p0f` is its signature line (test/stacks checks each against p0f.fp);
 * the others come from the kernel source named. Captures named here are extracted under test/stacks/.
 */
const ROWS: readonly Row[] = [
  // Linux: one writer (tcp_options_write) for SYN and SYN-ACK; a SYN-ACK carries only what the SYN offered.
  {
    family: "linux",
    label: "Linux 2.6-6.x",
    synAck: "either",
    layout: "mss,sok,ts,nop,ws",
    ttl: 64,
    source: `${P0F} "s:unix:Linux:3.11 and newer"; ${LINUX_SRC}; ${LINUX_CAPTURE}`,
    p0f: "*:64:0:*:mss*20,10:mss,sok,ts,nop,ws:df,id+:0",
    window: ["mss*44", "mss*45", "mss*20", "mss*10", "mss*4", "mss*"],
  },
  {
    family: "linux",
    label: "Linux, window scaling off (or not offered by the peer)",
    synAck: "either",
    layout: "mss,sok,ts",
    ttl: 64,
    source: `${P0F} "s:unix:Linux:3.x" response; ${LINUX_SRC}`,
    p0f: "*:64:0:*:mss*10,0:mss,sok,ts:df:0",
  },
  {
    family: "linux",
    label: "Linux, timestamps off (or not offered by the peer)",
    synAck: "either",
    layout: "mss,nop,nop,sok,nop,ws",
    ttl: 64,
    source: `${P0F} "g:unix:Linux:2.2.x-3.x (no timestamps)"; ${LINUX_SRC}; nDPI 4.2 tests/pcap/rtsp.pcap frame 17 (SYN-ACK)`,
    p0f: "*:64:0:*:*,*:mss,nop,nop,sok,nop,ws:df,id+:0",
  },
  {
    family: "linux",
    label: "Linux, SACK off (or not offered by the peer)",
    synAck: "either",
    layout: "mss,nop,nop,ts,nop,ws",
    ttl: 64,
    source: `${P0F} "s:unix:Linux:3.x" response; ${LINUX_SRC}`,
    p0f: "*:64:0:*:mss*10,*:mss,nop,nop,ts,nop,ws:df:0",
  },
  {
    family: "linux",
    label: "Linux, timestamps and window scaling off",
    synAck: "either",
    layout: "mss,nop,nop,sok",
    ttl: 64,
    source: `${P0F} "s:unix:Linux:3.x" response; ${LINUX_SRC}`,
    p0f: "*:64:0:*:mss*10,0:mss,nop,nop,sok:df:0",
  },
  {
    family: "linux",
    label: "Linux, SACK and window scaling off",
    synAck: "either",
    layout: "mss,nop,nop,ts",
    ttl: 64,
    source: `${P0F} "s:unix:Linux:3.x" response; ${LINUX_SRC}`,
    p0f: "*:64:0:*:mss*10,0:mss,nop,nop,ts:df:0",
  },
  {
    family: "linux",
    label: "Linux, SACK and timestamps off",
    synAck: "either",
    layout: "mss,nop,ws",
    ttl: 64,
    source: `${P0F} "s:unix:Linux:3.x" response; ${LINUX_SRC}`,
    p0f: "*:64:0:*:mss*10,*:mss,nop,ws:df:0",
  },
  {
    family: "linux",
    label: "Linux answering a SYN that offered only MSS (or a SYN cookie without timestamps)",
    synAck: true,
    layout: "mss",
    ttl: 64,
    source: `${P0F} "s:unix:Linux:3.x" response; ${LINUX_SRC}`,
    p0f: "*:64:0:*:mss*10,0:mss:df:0",
  },

  // Windows: NT 5.x (XP, 2003) and NT 6.x+ (Vista, 7, 8, 10, 11, Server). Timestamps are off by default.
  {
    family: "windows",
    label: "Windows Vista/7/8/10/11 (and XP with scaling on)",
    synAck: "either",
    layout: "mss,nop,ws,nop,nop,sok",
    ttl: 128,
    source:
      `${P0F} "s:win:Windows:7 or 8" request and response; ` +
      "nDPI 4.2 tests/pcap/starcraft_battle.pcap frame 41 (Windows 7, window 8192), tests/pcap/rtsp.pcap frame 13 (Windows 10, window 64240), tests/pcap/vnc.pcap frame 2 (SYN-ACK)",
    p0f: "*:128:0:*:8192,8:mss,nop,ws,nop,nop,sok:df,id+:0",
    window: ["8192", "64240", "65535", "16384"],
  },
  {
    family: "windows",
    label: "Windows with timestamps on (netsh int tcp set global timestamps=enabled)",
    synAck: "either",
    layout: "mss,nop,ws,sok,ts",
    ttl: 128,
    source: `${P0F} "s:win:Windows:7 or 8" request; nDPI 4.2 tests/pcap/teams.pcap frame 13 (SYN-ACK, TTL 108)`,
    p0f: "*:128:0:*:8192,2:mss,nop,ws,sok,ts:df,id+:0",
    window: ["8192", "64240", "65535"],
  },
  {
    family: "windows",
    label: "Windows XP/2003 default (no window scaling), or NT 6.x answering a SYN without it",
    synAck: "either",
    layout: "mss,nop,nop,sok",
    ttl: 128,
    source: `${P0F} "s:win:Windows:XP" request; nDPI 4.2 tests/pcap/dnp3.pcap frames 1 (SYN) and 4 (SYN-ACK)`,
    p0f: "*:128:0:*:65535,0:mss,nop,nop,sok:df,id+:0",
    window: ["65535", "16384", "8192"],
  },
  {
    family: "windows",
    label: "Windows answering a SYN with timestamps but no window scaling",
    synAck: true,
    layout: "mss,sok,ts",
    ttl: 128,
    source: `${P0F} "s:win:Windows:7 or 8" response`,
    p0f: "*:128:0:*:8192,0:mss,sok,ts:df,id+:0",
  },
  {
    family: "windows",
    label: "Windows answering a SYN without SACK",
    synAck: true,
    layout: "mss,nop,ws",
    ttl: 128,
    source: `${P0F} "s:win:Windows:7 or 8" response`,
    p0f: "*:128:0:*:8192,8:mss,nop,ws:df,id+:0",
  },
  {
    family: "windows",
    label: "Windows answering a SYN with timestamps only",
    synAck: true,
    layout: "mss,nop,nop,ts",
    ttl: 128,
    source: `${P0F} "s:win:Windows:7 or 8" response`,
    p0f: "*:128:0:*:8192,0:mss,nop,nop,ts:df,id+:0",
  },
  {
    family: "windows",
    label: "Windows answering a SYN with window scaling and timestamps, no SACK",
    synAck: true,
    layout: "mss,nop,ws,nop,nop,ts",
    ttl: 128,
    source: `${P0F} "s:win:Windows:7 or 8" response`,
    p0f: "*:128:0:*:8192,8:mss,nop,ws,nop,nop,ts:df,id+:0",
  },
  {
    family: "windows",
    label: "Windows answering a SYN that offered only MSS",
    synAck: true,
    layout: "mss",
    ttl: 128,
    source: `${P0F} "s:win:Windows:7 or 8" response`,
    p0f: "*:128:0:*:8192,0:mss:df,id+:0",
  },
  {
    family: "windows",
    label: "Windows XP/2003 with RFC 1323 options on",
    synAck: true,
    layout: "mss,nop,ws,nop,nop,ts,nop,nop,sok",
    ttl: 128,
    source: `${P0F} "s:win:Windows:XP" response; nDPI 4.2 tests/pcap/skype.pcap (SYN-ACKs with TTL 114-116)`,
    p0f: "*:128:0:*:65535,0:mss,nop,ws,nop,nop,ts,nop,nop,sok:df,id+,ts1-:0",
  },
  {
    family: "windows",
    label: "Windows XP/2003 with timestamps, answering a SYN without window scaling",
    synAck: true,
    layout: "mss,nop,nop,ts,nop,nop,sok",
    ttl: 128,
    source: `${P0F} "s:win:Windows:XP" response`,
    p0f: "*:128:0:*:65535,0:mss,nop,nop,ts,nop,nop,sok:df,id+,ts1-:0",
  },

  // macOS and iOS (XNU): SACK permitted last, EOL padding.
  {
    family: "macos",
    label: "macOS / iOS",
    synAck: "either",
    layout: "mss,nop,ws,nop,nop,ts,sok,eol",
    ttl: 64,
    source:
      `${P0F} "s:unix:MacOS X:10.9 or newer" request, "s:unix:Mac OS X:10.x" response; ${XNU_SRC}; ` +
      "nDPI 4.2 tests/pcap/iphone.pcap frame 58 (iOS SYN), tests/pcap/nats.pcap frame 2 (macOS SYN-ACK)",
    p0f: "*:64:0:*:65535,4:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0",
    window: ["65535"],
  },
  {
    family: "macos",
    label: "macOS answering a SYN without timestamps",
    synAck: true,
    layout: "mss,nop,ws,sok,eol",
    ttl: 64,
    source: `${P0F} "s:unix:Mac OS X:10.x" response; ${XNU_SRC}`,
    p0f: "*:64:0:*:65535,0:mss,nop,ws,sok,eol+1:df,id+:0",
  },
  {
    family: "macos",
    label: "macOS, window scaling and timestamps off (net.inet.tcp.rfc1323=0)",
    synAck: "either",
    layout: "mss,sok,eol",
    ttl: 64,
    source: `${P0F} "s:unix:Mac OS X:10.x" response; ${XNU_SRC}; nDPI 4.2 tests/pcap/skype.pcap (SYNs with TTL 64, window 65535)`,
    p0f: "*:64:0:*:65535,0:mss,sok,eol+1:df,id+:0",
  },
  {
    family: "macos",
    label: "macOS answering a SYN without SACK",
    synAck: true,
    layout: "mss,nop,ws,nop,nop,ts",
    ttl: 64,
    source: `${P0F} "s:unix:Mac OS X:10.x" response; ${XNU_SRC}`,
    p0f: "*:64:0:*:65535,0:mss,nop,ws,nop,nop,ts:df,id+:0",
  },
  {
    family: "macos",
    label: "macOS answering a SYN with timestamps and SACK, no window scaling",
    synAck: true,
    layout: "mss,nop,nop,ts,sok,eol",
    ttl: 64,
    source: `${P0F} "s:unix:Mac OS X:10.x" response; ${XNU_SRC}`,
    p0f: "*:64:0:*:65535,0:mss,nop,nop,ts,sok,eol+1:df,id+:0",
  },
  {
    family: "macos",
    label: "macOS answering a SYN without SACK and timestamps",
    synAck: true,
    layout: "mss,nop,ws",
    ttl: 64,
    source: `${P0F} "s:unix:Mac OS X:10.x" response`,
    p0f: "*:64:0:*:65535,0:mss,nop,ws:df,id+:0",
  },
  {
    family: "macos",
    label: "macOS answering a SYN with timestamps only",
    synAck: true,
    layout: "mss,nop,nop,ts",
    ttl: 64,
    source: `${P0F} "s:unix:Mac OS X:10.x" response`,
    p0f: "*:64:0:*:65535,0:mss,nop,nop,ts:df,id+:0",
  },

  // FreeBSD: tcp_addoptions() for SYN and SYN-ACK (syncache) alike.
  {
    family: "freebsd",
    label: "FreeBSD 8.x and newer",
    synAck: "either",
    layout: "mss,nop,ws,sok,ts",
    ttl: 64,
    source:
      `${P0F} "s:unix:FreeBSD:9.x or newer" request and response; ${FREEBSD_SRC}; ` +
      "nDPI 4.2 tests/pcap/nintendo.pcap frame 91 (Nintendo Switch, a FreeBSD-derived stack), tests/pcap/netflix.pcap frame 970 (SYN-ACK of a Netflix Open Connect server, FreeBSD)",
    p0f: "*:64:0:*:65535,6:mss,nop,ws,sok,ts:df,id+:0",
    window: ["65535", "32768"],
  },
  {
    family: "freebsd",
    label: "FreeBSD answering a SYN without timestamps",
    synAck: true,
    layout: "mss,nop,ws,sok,eol",
    ttl: 64,
    source: `${P0F} "s:unix:FreeBSD:9.x" response; ${FREEBSD_SRC}`,
    p0f: "*:64:0:*:65535,6:mss,nop,ws,sok,eol+1:df,id+:0",
  },
  {
    family: "freebsd",
    label: "FreeBSD answering a SYN without SACK",
    synAck: true,
    layout: "mss,nop,ws,nop,nop,ts",
    ttl: 64,
    source: `${P0F} "s:unix:FreeBSD:9.x" response; ${FREEBSD_SRC}`,
    p0f: "*:64:0:*:65535,6:mss,nop,ws,nop,nop,ts:df,id+:0",
  },
  {
    family: "freebsd",
    label: "FreeBSD answering a SYN without SACK and timestamps",
    synAck: true,
    layout: "mss,nop,ws",
    ttl: 64,
    source: `${P0F} "s:unix:FreeBSD:9.x" response; ${FREEBSD_SRC}`,
    p0f: "*:64:0:*:65535,6:mss,nop,ws:df,id+:0",
  },
  {
    family: "freebsd",
    label: "FreeBSD, window scaling off (or not offered by the peer)",
    synAck: "either",
    layout: "mss,sok,ts",
    ttl: 64,
    source: `${P0F} "s:unix:FreeBSD:8.x-9.x" response; ${FREEBSD_SRC}`,
    p0f: "*:64:0:*:65535,0:mss,sok,ts:df,id+:0",
  },
  {
    family: "freebsd",
    label: "FreeBSD answering a SYN with SACK only",
    synAck: true,
    layout: "mss,sok,eol",
    ttl: 64,
    source: `${P0F} "s:unix:FreeBSD:8.x-9.x" response; ${FREEBSD_SRC}`,
    p0f: "*:64:0:*:65535,0:mss,sok,eol+1:df,id+:0",
  },
  {
    family: "freebsd",
    label: "FreeBSD answering a SYN with timestamps only",
    synAck: true,
    layout: "mss,nop,nop,ts",
    ttl: 64,
    source: `${P0F} "s:unix:FreeBSD:8.x-9.x" response; ${FREEBSD_SRC}`,
    p0f: "*:64:0:*:65535,0:mss,nop,nop,ts:df,id+:0",
  },

  // NetBSD: not in p0f. Its SYN pads SACK-permitted with two NOPs and the timestamps with two more: a run of
  // four NOPs that is ordinary padding, not a cleared option.
  {
    family: "netbsd",
    label: "NetBSD",
    synAck: false,
    layout: "mss,nop,ws,sok,nop,nop,nop,nop,ts",
    ttl: 64,
    source: `${NETBSD_SYN_SRC}; tcpdump 4.99.3 tests/of10_s4810.pcap frame 1 (Dell Force10 S4810, FTOS is NetBSD-based)`,
    window: ["32768"],
  },
  {
    family: "netbsd",
    label: "NetBSD, window scaling off (net.inet.tcp.win_scale=0)",
    synAck: false,
    layout: "mss,sok,nop,nop,nop,nop,ts",
    ttl: 64,
    source: NETBSD_SYN_SRC,
  },
  {
    family: "netbsd",
    label: "NetBSD, timestamps off (net.inet.tcp.timestamps=0)",
    synAck: false,
    layout: "mss,nop,ws,sok,nop,nop",
    ttl: 64,
    source: NETBSD_SYN_SRC,
  },
  {
    family: "netbsd",
    label: "NetBSD SYN-ACK (syn cache)",
    synAck: true,
    layout: "mss,nop,ws,sok,ts",
    ttl: 64,
    source: NETBSD_SYNACK_SRC,
  },

  // OpenBSD: SACK-permitted first, every option aligned by NOPs.
  {
    family: "openbsd",
    label: "OpenBSD 4.x and newer",
    synAck: "either",
    layout: "mss,nop,nop,sok,nop,ws,nop,nop,ts",
    ttl: 64,
    source: `${P0F} "s:unix:OpenBSD:4.x-5.x" request, "s:unix:OpenBSD:5.x" response; ${OPENBSD_SRC}`,
    p0f: "*:64:0:*:16384,3:mss,nop,nop,sok,nop,ws,nop,nop,ts:df,id+:0",
    window: ["16384"],
  },
  {
    family: "openbsd",
    label: "OpenBSD answering a SYN without timestamps",
    synAck: true,
    layout: "mss,nop,nop,sok,nop,ws",
    ttl: 64,
    source: `${P0F} "s:unix:OpenBSD:5.x" response; ${OPENBSD_SRC}`,
    p0f: "*:64:0:1460:16384,3:mss,nop,nop,sok,nop,ws:df,id+:0",
  },
  {
    family: "openbsd",
    label: "OpenBSD answering a SYN without window scaling",
    synAck: true,
    layout: "mss,nop,nop,sok,nop,nop,ts",
    ttl: 64,
    source: `${P0F} "s:unix:OpenBSD:5.x" response; ${OPENBSD_SRC}`,
    p0f: "*:64:0:1460:16384,0:mss,nop,nop,sok,nop,nop,ts:df,id+:0",
  },
  {
    family: "openbsd",
    label: "OpenBSD answering a SYN without SACK",
    synAck: true,
    layout: "mss,nop,ws,nop,nop,ts",
    ttl: 64,
    source: `${P0F} "s:unix:OpenBSD:5.x" response; ${OPENBSD_SRC}`,
    p0f: "*:64:0:1460:16384,3:mss,nop,ws,nop,nop,ts:df,id+:0",
  },
  {
    family: "openbsd",
    label: "OpenBSD answering a SYN with SACK only",
    synAck: true,
    layout: "mss,nop,nop,sok",
    ttl: 64,
    source: `${P0F} "s:unix:OpenBSD:5.x" response; ${OPENBSD_SRC}`,
    p0f: "*:64:0:1460:16384,0:mss,nop,nop,sok:df,id+:0",
  },
  {
    family: "openbsd",
    label: "OpenBSD answering a SYN with window scaling only",
    synAck: true,
    layout: "mss,nop,ws",
    ttl: 64,
    source: `${P0F} "s:unix:OpenBSD:5.x" response; ${OPENBSD_SRC}`,
    p0f: "*:64:0:1460:16384,3:mss,nop,ws:df,id+:0",
  },
  {
    family: "openbsd",
    label: "OpenBSD answering a SYN with timestamps only",
    synAck: true,
    layout: "mss,nop,nop,ts",
    ttl: 64,
    source: `${P0F} "s:unix:OpenBSD:5.x" response; ${OPENBSD_SRC}`,
    p0f: "*:64:0:1460:16384,0:mss,nop,nop,ts:df,id+:0",
  },

  // Solaris: 10 looks like Windows but starts at TTL 64; 8 puts MSS last; 2.6 starts at TTL 255.
  {
    family: "solaris",
    label: "Solaris 10",
    synAck: "either",
    layout: "mss,nop,ws,nop,nop,sok",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:10" request and response`,
    p0f: "*:64:0:*:mss*34,0:mss,nop,ws,nop,nop,sok:df,id+:0",
    window: ["mss*34", "mss*37"],
  },
  {
    family: "solaris",
    label: "Solaris 10 with timestamps",
    synAck: true,
    layout: "nop,nop,ts,mss,nop,ws,nop,nop,sok",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:10" response`,
    p0f: "*:64:0:*:mss*37,0:nop,nop,ts,mss,nop,ws,nop,nop,sok:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 10 answering a SYN without SACK",
    synAck: true,
    layout: "nop,nop,ts,mss,nop,ws",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:10" response`,
    p0f: "*:64:0:*:mss*37,0:nop,nop,ts,mss,nop,ws:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 10 answering a SYN without window scaling",
    synAck: true,
    layout: "nop,nop,ts,mss,nop,nop,sok",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:10" response`,
    p0f: "*:64:0:*:mss*37,0:nop,nop,ts,mss,nop,nop,sok:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 10 answering a SYN with timestamps only",
    synAck: true,
    layout: "nop,nop,ts,mss",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:10" response`,
    p0f: "*:64:0:*:mss*37,0:nop,nop,ts,mss:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 8",
    synAck: false,
    layout: "nop,ws,nop,nop,ts,nop,nop,sok,mss",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:8" request`,
    p0f: "*:64:0:*:32850,1:nop,ws,nop,nop,ts,nop,nop,sok,mss:df,id+:0",
    window: ["32850", "mss*19"],
  },
  {
    family: "solaris",
    label: "Solaris 8 SYN-ACK",
    synAck: true,
    layout: "nop,nop,ts,nop,ws,nop,nop,sok,mss",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:8" response`,
    p0f: "*:64:0:*:mss*19,0:nop,nop,ts,nop,ws,nop,nop,sok,mss:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 8 answering a SYN without timestamps",
    synAck: true,
    layout: "nop,ws,nop,nop,sok,mss",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:8" response`,
    p0f: "*:64:0:*:mss*19,0:nop,ws,nop,nop,sok,mss:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 10 answering a SYN with window scaling only",
    synAck: true,
    layout: "mss,nop,ws",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:10" response`,
    p0f: "*:64:0:*:mss*37,0:mss,nop,ws:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 10 answering a SYN with SACK only",
    synAck: true,
    layout: "mss,nop,nop,sok",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:10" response`,
    p0f: "*:64:0:*:mss*37,0:mss,nop,nop,sok:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 10 answering a SYN that offered only MSS",
    synAck: true,
    layout: "mss",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:10" response`,
    p0f: "*:64:0:*:mss*37,0:mss:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 8 answering a SYN with window scaling only",
    synAck: true,
    layout: "nop,ws,mss",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:8" response`,
    p0f: "*:64:0:*:mss*19,0:nop,ws,mss:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 8 answering a SYN with timestamps only",
    synAck: true,
    layout: "nop,nop,ts,mss",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:8" response`,
    p0f: "*:64:0:*:mss*19,0:nop,nop,ts,mss:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 8 answering a SYN with SACK only",
    synAck: true,
    layout: "nop,nop,sok,mss",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:8" response`,
    p0f: "*:64:0:*:mss*19,0:nop,nop,sok,mss:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 8 answering a SYN without SACK",
    synAck: true,
    layout: "nop,nop,ts,nop,ws,mss",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:8" response`,
    p0f: "*:64:0:*:mss*19,0:nop,nop,ts,nop,ws,mss:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 8 answering a SYN without window scaling",
    synAck: true,
    layout: "nop,nop,ts,nop,nop,sok,mss",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:8" response`,
    p0f: "*:64:0:*:mss*19,0:nop,nop,ts,nop,nop,sok,mss:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 8 answering a SYN that offered only MSS",
    synAck: true,
    layout: "mss",
    ttl: 64,
    source: `${P0F} "s:unix:Solaris:8" response`,
    p0f: "*:64:0:*:mss*19,0:mss:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 2.6 SYN-ACK with timestamps",
    synAck: true,
    layout: "nop,nop,ts,mss",
    ttl: 255,
    source: `${P0F} "s:unix:Solaris:6" response`,
    p0f: "4:255:0:*:mss*7,0:nop,nop,ts,mss:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 2.6 SYN-ACK with MSS only",
    synAck: true,
    layout: "mss",
    ttl: 255,
    source: `${P0F} "s:unix:Solaris:6" response`,
    p0f: "4:255:0:*:mss*7,0:mss:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 2.6 SYN-ACK with window scaling and timestamps",
    synAck: true,
    layout: "nop,nop,ts,nop,ws,mss",
    ttl: 255,
    source: `${P0F} "s:unix:Solaris:6" response`,
    p0f: "4:255:0:*:mss*7,0:nop,nop,ts,nop,ws,mss:df,id+:0",
  },
  {
    family: "solaris",
    label: "Solaris 2.6 SYN-ACK with window scaling",
    synAck: true,
    layout: "nop,ws,mss",
    ttl: 255,
    source: `${P0F} "s:unix:Solaris:6" response`,
    p0f: "4:255:0:*:mss*7,0:nop,ws,mss:df,id+:0",
  },
];

const KIND: Readonly<Record<string, number>> = { eol: 0, nop: 1, mss: 2, ws: 3, sok: 4, ts: 8 };

/** "mss,nop,ws" -> [2, 1, 3]; p0f's "eol+N" (EOL and N bytes of padding) is an EOL. */
export function layoutKinds(layout: string): number[] {
  return layout.split(",").map((name) => {
    const k = KIND[name.replace(/\+\d+$/, "")];
    if (k === undefined) throw new Error(`stacks: unknown option "${name}" in layout "${layout}"`);
    return k;
  });
}

/** Everything after the first EOL is padding (zeros, or whatever a decoder makes of it): drop it. */
export function normaliseKinds(kinds: readonly number[]): readonly number[] {
  const eol = kinds.indexOf(0);
  return eol < 0 ? kinds : kinds.slice(0, eol + 1);
}

export const STACKS: readonly StackLayout[] = ROWS.map((r) => ({
  family: r.family,
  label: r.label,
  synAck: r.synAck,
  kinds: normaliseKinds(layoutKinds(r.layout)),
  initialTtl: r.ttl,
  source: r.source,
  ...(r.p0f === undefined ? {} : { p0f: r.p0f }),
  ...(r.window === undefined ? {} : { window: r.window }),
}));

const BY_LAYOUT = new Map<string, StackLayout[]>();
for (const s of STACKS) {
  const key = s.kinds.join(",");
  const list = BY_LAYOUT.get(key);
  if (list === undefined) BY_LAYOUT.set(key, [s]);
  else list.push(s);
}

/** The known stacks whose SYN (synAck=false) or SYN-ACK layout is exactly this sequence of option kinds. */
export function matchLayout(kinds: readonly number[], synAck: boolean): StackLayout[] {
  const rows = BY_LAYOUT.get(normaliseKinds(kinds).join(","));
  if (rows === undefined) return [];
  return rows.filter((r) => r.synAck === "either" || r.synAck === synAck);
}

/** The NOP runs in this layout are a real stack's own padding (so NOPs are NOT evidence of a cleared option). */
export function isStackPadding(kinds: readonly number[], synAck: boolean): boolean {
  return matchLayout(kinds, synAck).length > 0;
}

/** Option kinds of a window-scale (3 bytes) or timestamps (10 bytes) option a box overwrote with NOPs. */
const CLEARED: readonly { kind: number; bytes: number; name: string }[] = [
  { kind: 3, bytes: 3, name: "window-scale" },
  { kind: 8, bytes: 10, name: "timestamps" },
];

/** A known stack's layout that a box overwrote one option of in place with NOPs. */
export interface RestoredLayout {
  /** The layout with the option put back. */
  kinds: number[];
  /** The option's kind (3 window scale, 8 timestamps) and name. */
  kind: number;
  name: string;
  /** The stacks that send the restored layout. */
  rows: StackLayout[];
}

/**
 * The first layout this one could have been before a box overwrote one option (of `kind`, or any)
 * in place with NOPs, that a known stack sends: each run of NOPs long enough to hold the option, with
 * the option put back at each position in the run. Null when no such layout is known.
 */
export function restoredLayout(kinds: readonly number[], synAck: boolean, kind?: number): RestoredLayout | null {
  for (const c of CLEARED) {
    if (kind !== undefined && c.kind !== kind) continue;
    for (let i = 0; i + c.bytes <= kinds.length; i++) {
      let run = true;
      for (let j = i; j < i + c.bytes && run; j++) run = kinds[j] === 1;
      if (!run) continue;
      const restored = [...kinds.slice(0, i), c.kind, ...kinds.slice(i + c.bytes)];
      const rows = matchLayout(restored, synAck);
      if (rows.length > 0) return { kinds: restored, kind: c.kind, name: c.name, rows };
    }
  }
  return null;
}

/** "mss,nop,ws" for [2, 1, 3]; other kinds by number. For messages and evidence notes. */
export function layoutText(kinds: readonly number[]): string {
  const names = ["eol", "nop", "mss", "ws", "sok", undefined, undefined, undefined, "ts"];
  return kinds.map((k) => names[k] ?? String(k)).join(",");
}
