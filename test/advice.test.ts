/**
 * Advice in the host's own terms (issue 15): the OS inferred from real SYNs picks the knobs, every number that
 * is not from the capture says what it assumes, and route lines run as printed.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../src/analysis/analyze.js";
import { endpointsFrom } from "../src/compare/endpoint.js";
import type { Connection } from "../src/connections/connection.js";
import type { Endpoint } from "../src/connections/endpoint.js";
import { osAdvice, scaleAdvice, tooSmallAdvice } from "../src/findings/advice.js";
import type { Advice } from "../src/findings/finding.js";
import { synAckOrigin } from "../src/findings/synack-origin.js";
import { adviseLinux, routePersistence, routeWindowCommand } from "../src/kernel/advice.js";
import { parseRouteGet } from "../src/kernel/route-lookup.js";
import { LINUX_DEFAULTS } from "../src/kernel/sysctl-values.js";

const STACKS = join(import.meta.dirname, "stacks");
const CAPTURES = join(import.meta.dirname, "..", "captures");

async function ends(path: string): Promise<{ client: Endpoint; server: Endpoint }> {
  const r = await analyze([path], { idleTimeout: 300 });
  const c = r.connections[0]!;
  return endpointsFrom(c.client, c.server, 0);
}

function lowering(host: Endpoint, peer: Endpoint, tolerated: number): Advice[] {
  return scaleAdvice({
    host,
    hostRole: "client",
    peer,
    tolerated,
    pathProblem: "it rewrites the shift",
    rttSeconds: 0.02,
  });
}

const commands = (advice: Advice[]) => advice.map((a) => a.command);

describe("advice in the host OS's terms", () => {
  it("a Windows 7 client (TTL 128, mss,nop,ws,nop,nop,sok): netsh, no Linux sysctl", async () => {
    const { client, server } = await ends(join(STACKS, "windows-7.pcap"));
    const advice = lowering(client, server, 2);
    expect(commands(advice)).toContain("netsh interface tcp set global autotuninglevel=highlyrestricted");
    expect(commands(advice)).toContain("netsh interface tcp set global autotuninglevel=disabled");
    expect(commands(advice).filter((c) => c.includes("net.ipv4") || c.startsWith("ip route"))).toEqual([]);
    const netsh = advice.find((a) => a.command.endsWith("highlyrestricted"))!;
    expect(netsh.why).toContain("Windows, likely from its SYN");
    expect(netsh.why).toContain("Get-NetTCPSetting");
    // A shift of 4 to 7 tolerated: restricted (scale factor 4).
    expect(commands(lowering(client, server, 5))).toContain(
      "netsh interface tcp set global autotuninglevel=restricted",
    );
  });

  it("a Linux client (the kernel's own SYN): wscale sysctl on that host, a route recipe, sysctls that say what they assume", async () => {
    const { client, server } = await ends(join(CAPTURES, "rewrite-syn-0.client.pcap"));
    const advice = lowering(client, server, 0);
    expect(advice.map((a) => a.kind)).toEqual(["path", "sysctl", "route", "sysctl", "sysctl", "sysctl", "sysctl"]);
    expect(advice[1]!.command).toBe("wscale sysctl --target-wscale 0 --dst 198.18.2.2");
    expect(advice[2]!.command).toBe(
      "r=$(ip -o route get 198.18.2.2 | grep -oE '(via|dev) [^ ]+')\nip route replace 198.18.2.2/32 $r window 65535",
    );
    for (const a of advice.filter((x) => x.command.startsWith("sysctl -w net.") || x.command.startsWith("cat >"))) {
      if (a.why.startsWith("last resort")) continue;
      expect(a.why).toContain("assuming Linux 6.18 defaults: tcp_rmem = 4096 131072 33554432, rmem_max = 4194304");
    }
    expect(commands(advice).some((c) => c.includes("netsh"))).toBe(false);
    // The sysctl.d block names every key the lines before it change, and loads itself.
    const file = advice.find((a) => a.command.startsWith("cat >"))!;
    expect(file.command).toContain("net.ipv4.tcp_rmem = 4096 65535 65535\nnet.core.rmem_max = 65535\nEOF\n");
    expect(file.command.endsWith("sysctl -p /etc/sysctl.d/90-wscale.conf")).toBe(true);
  });

  it("a macOS client: win_scale_factor and autorcvbufmax", async () => {
    const { client, server } = await ends(join(STACKS, "ios.pcap"));
    const advice = lowering(client, server, 2);
    expect(commands(advice)).toContain(
      "sudo sysctl -w net.inet.tcp.win_scale_factor=2 net.inet.tcp.autorcvbufmax=262140",
    );
    expect(commands(advice)).toContain("sudo sysctl -w net.inet.tcp.rfc1323=0");
    expect(commands(advice).filter((c) => c.includes("net.ipv4") || c.includes("netsh"))).toEqual([]);
  });

  it("a FreeBSD client (Nintendo Switch): kern.ipc.maxsockbuf = 65535 << n", async () => {
    const { client, server } = await ends(join(STACKS, "freebsd-nintendo.pcap"));
    const advice = lowering(client, server, 5);
    expect(commands(advice)).toContain("sysctl kern.ipc.maxsockbuf=2097120");
    expect(advice.find((a) => a.command.startsWith("sysctl kern.ipc"))!.why).toContain("FreeBSD, likely from its SYN");
  });

  it("an OS the packets do not tell (CloudFront's SYN-ACK from a TTL-255 box): each family's knob, marked 'if it is'", async () => {
    const { client, server } = await ends(join(STACKS, "freebsd-nintendo.pcap"));
    const advice = scaleAdvice({
      host: server,
      hostRole: "server",
      peer: client,
      tolerated: 2,
      pathProblem: "it rewrites the shift",
      rttSeconds: 0.02,
    });
    const c = commands(advice);
    expect(c).toContain("netsh interface tcp set global autotuninglevel=highlyrestricted");
    expect(c).toContain("sysctl kern.ipc.maxsockbuf=262140");
    expect(c.some((x) => x.startsWith("ip route replace") || x.includes("ip route replace"))).toBe(true);
    expect(advice.find((a) => a.command.includes("netsh"))!.why).toContain("if it is Windows");
  });

  it("turning scaling back on: Linux sysctl for a Linux server, netsh for a Windows one", async () => {
    const linux = await ends(join(CAPTURES, "server-noscale.server.pcap"));
    expect(commands(osAdvice(linux.server, "server"))).toEqual(["sysctl -w net.ipv4.tcp_window_scaling=1"]);
    const windows = await ends(join(STACKS, "windows-synack.pcap"));
    expect(commands(osAdvice(windows.server, "server"))).toEqual([
      "netsh interface tcp set global autotuninglevel=normal",
    ]);
    const freebsd = await ends(join(STACKS, "freebsd-netflix.pcap"));
    expect(commands(osAdvice(freebsd.server, "server"))).toEqual(["sysctl net.inet.tcp.rfc1323=1"]);
  });
});

describe("route lines that run as printed", () => {
  it("with gateway and device: one line, a host route", () => {
    expect(routeWindowCommand({ dst: "198.18.2.2", via: "198.18.1.1", dev: "c0" }, 65535)).toBe(
      "ip route replace 198.18.2.2/32 via 198.18.1.1 dev c0 window 65535",
    );
    expect(routeWindowCommand({ dst: "198.18.2.2", dev: "c0", onLink: true }, 262143)).toBe(
      "ip route replace 198.18.2.2/32 dev c0 window 262143",
    );
    expect(routeWindowCommand({ dst: "2001:db8:2::2", via: "2001:db8:1::1", dev: "c0" }, 65535)).toBe(
      "ip route replace 2001:db8:2::2/128 via 2001:db8:1::1 dev c0 window 65535",
    );
    expect(routeWindowCommand({ dst: "198.51.100.0/24", via: "192.0.2.1", dev: "eth0" }, 65535)).toBe(
      "ip route replace 198.51.100.0/24 via 192.0.2.1 dev eth0 window 65535",
    );
  });

  it("without them: two lines that look them up first", () => {
    expect(routeWindowCommand({ dst: "2001:db8:2::2" }, 65535)).toBe(
      "r=$(ip -o route get 2001:db8:2::2 | grep -oE '(via|dev) [^ ]+')\nip route replace 2001:db8:2::2/128 $r window 65535",
    );
  });

  it("names the persistent forms", () => {
    const p = routePersistence("ip route replace 198.18.2.2/32 via 198.18.1.1 dev c0 window 65535");
    expect(p).toContain('nmcli connection modify <connection> +ipv4.routes "198.18.2.2/32 198.18.1.1 window=65535"');
    expect(p).toContain("/etc/network/interfaces");
    expect(p).toContain("systemd-networkd");
  });

  it("reads `ip -j route get` output: gateway, or a directly connected destination", () => {
    expect(
      parseRouteGet(
        '[{"dst":"198.18.2.2","gateway":"198.18.1.1","dev":"c0","prefsrc":"198.18.1.2","flags":[],"uid":0,"cache":[]}]',
        "198.18.2.2",
      ),
    ).toEqual({ dst: "198.18.2.2", via: "198.18.1.1", dev: "c0" });
    expect(parseRouteGet('[{"dst":"198.18.1.1","dev":"c0","prefsrc":"198.18.1.2"}]', "198.18.1.1")).toEqual({
      dst: "198.18.1.1",
      dev: "c0",
      onLink: true,
    });
    expect(parseRouteGet('[{"type":"local","dst":"127.0.0.1","dev":"lo"}]', "127.0.0.1")).toBeNull();
    expect(parseRouteGet("not json", "x")).toBeNull();
  });
});

describe("goals and arithmetic", () => {
  it("a goal beyond shift 14 says so, with the best one connection can reach", () => {
    const a = adviseLinux({ ...LINUX_DEFAULTS }, { rateBitsPerSec: 100e9, rttSeconds: 0.2 });
    const note = a.notes.find((n) => n.includes("beyond what one TCP connection can reach"))!;
    expect(note).toContain("65535 << 14 = 1073725440 bytes");
    expect(note).toContain("at most 42.9 Gbit/s at 200 ms");
    expect(note).toContain("100 Gbit/s needs 3 connections in parallel");
  });

  it("with --rate the sysctl.d block carries tcp_wmem and wmem_max too", () => {
    const a = adviseLinux(
      { ...LINUX_DEFAULTS, tcpRmem: [4096, 87380, 174760], rmemMax: 212992, wmemMax: 212992 },
      { rateBitsPerSec: 1e9, rttSeconds: 0.03 },
    );
    const file = a.commands.find((c) => c.kind === "file")!;
    const sysctls = a.commands.filter((c) => c.kind === "sysctl" && c.scope === "global");
    for (const c of sysctls) expect(file.content).toContain(`${c.setting![0]} = ${c.setting![1]}\n`);
    expect(sysctls.map((c) => c.setting![0])).toEqual([
      "net.ipv4.tcp_rmem",
      "net.core.rmem_max",
      "net.ipv4.tcp_wmem",
      "net.core.wmem_max",
    ]);
  });
});

/** The connections of a capture, as the rules see them (kept from the handshake on). */
async function connections(path: string): Promise<Connection[]> {
  const out: Connection[] = [];
  // Kept past the run: objects of their own (the analysis reuses a finished connection's).
  await analyze([path], { idleTimeout: 300, reuseConnections: false, onHandshake: (c) => out.push(c) });
  return out;
}

describe("a SYN-ACK from a box, not the server", () => {
  it("VirtualBox NAT (tcpdump's whois.pcap): TTL 64 after 117 ms, ISN 9920001; advised on that box", async () => {
    const [conn] = await connections(join(STACKS, "virtualbox-nat.pcap"));
    const origin = synAckOrigin(conn!);
    expect(origin).toMatchObject({ kind: "slirp", confidence: "likely" });
    expect(origin!.box).toContain("slirp");
    expect(origin!.evidence.join("\n")).toContain("SYN-ACK TTL 64 crossed no router, yet it came 117 ms after the SYN");
    expect(origin!.evidence.join("\n")).toContain("ISN 9920001 = 1 + 155 x 64000");

    const report = await analyze([join(STACKS, "virtualbox-nat.pcap")], { idleTimeout: 300 });
    const declined = report.findings.find((f) => f.id === "scale-declined")!;
    expect(declined.advice[0]).toMatchObject({
      kind: "path",
      command: 'VBoxManage modifyvm "<vm>" --nic1 bridged --bridgeadapter1 <host interface>',
    });
    expect(declined.advice[0]!.why).toContain("slirp's own TCP answers with MSS only");
    // What is said about the server itself is conditional.
    for (const a of declined.advice.slice(1)) expect(a.why).toContain("only if the server itself answered");
  });

  it("the kernel's own handshakes, from either end: the server answered", async () => {
    for (const f of [
      "healthy.client.pcap",
      "healthy.server.pcap",
      "rewrite-syn-0.client.pcap",
      "server-noscale.server.pcap",
    ]) {
      const [conn] = await connections(join(CAPTURES, f));
      expect(synAckOrigin(conn!), f).toBeNull();
    }
  });
});

describe("scale-too-small's advice after the route workaround", () => {
  it("a Linux shift of 2 (route window 174760) is a deliberate cap: keep it while the box is there; the measured RTT", async () => {
    const [conn] = await connections(join(CAPTURES, "zero-above-2-route-window.client.pcap"));
    const advice = tooSmallAdvice(conn!, conn!.client);
    const rtt = conn!.rtt;
    expect(advice[0]!.command).toBe(
      `keep the cap on client ${conn!.client.describe()} while the box it works around is there`,
    );
    expect(advice[0]!.why).toContain("shift 2 comes from a clamp someone set");
    expect(advice[0]!.why).toContain(`ip route get 198.18.2.2`);
    expect(advice[1]!.command).toBe(
      `wscale sysctl --rtt ${Number((rtt * 1000).toPrecision(3))}ms --rate <the rate you need> --dst 198.18.2.2 --window-clamp 262140`,
    );
    expect(rtt * 1000).toBeGreaterThan(15); // the lab's 20 ms path, not "1ms"
    for (const a of advice) expect(a.command).not.toMatch(/ip route (del|replace|change)/);
  });
});
