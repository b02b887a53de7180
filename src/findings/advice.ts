import { formatAddress } from "../connections/address.js";
import type { Endpoint } from "../connections/endpoint.js";
import { adviseLinux } from "../kernel/advice.js";
import { MAX_UNSCALED_WINDOW, maxWindowForShift, throughput } from "../kernel/linux-wscale.js";
import { LINUX_DEFAULTS } from "../kernel/sysctl-values.js";
import { formatBits } from "../kernel/units.js";
import type { Advice } from "./finding.js";
import { stackGuess } from "./vantage.js";

export interface ScaleAdviceInput {
  /** The host whose advertised shift the path breaks: the one to change. */
  host: Endpoint;
  hostRole: "client" | "server";
  /** The far end (the route's destination). */
  peer: Endpoint;
  /** The largest shift the path lets through unharmed. */
  tolerated: number;
  /** What the box did, in words, for the "fix the path" line. */
  pathProblem: string;
  rttSeconds: number | null;
}

/**
 * Fixes in the order of SPEC section 5: the path itself, a per-destination route clamp, the
 * global buffers, and disabling scaling last. The numbers come from the same Linux model as
 * `wscale sysctl`, for this connection's RTT.
 */
export function scaleAdvice(a: ScaleAdviceInput): Advice[] {
  const rtt = a.rttSeconds !== null && a.rttSeconds > 0 ? a.rttSeconds : null;
  const peerIp = formatAddress(a.peer.addr, a.peer.ipVersion);
  const host = `${a.hostRole} ${formatAddress(a.host.addr, a.host.ipVersion)}`;
  const out: Advice[] = [
    {
      kind: "path",
      command: `fix the box between ${a.host.describe()} and ${a.peer.describe()}: ${a.pathProblem}`,
      why: "the only fix that keeps full speed: e.g. Cisco ACE `tcp-options window-scale allow`; on a Linux firewall drop the nft/iptables rule that touches TCP options (TCPOPTSTRIP, `reset tcp option window`); a window-tracking firewall that mis-tracks scaled windows: `sysctl -w net.netfilter.nf_conntrack_tcp_be_liberal=1`",
    },
  ];
  const linux = adviseLinux(
    { ...LINUX_DEFAULTS },
    { targetWscale: a.tolerated, rttSeconds: rtt ?? undefined },
    { dst: peerIp },
  );
  const at = (window: number) =>
    rtt === null ? "" : ` (${formatBits(throughput(window, rtt).bitsPerSec)} at ${round(rtt * 1000)} ms)`;
  const cap = maxWindowForShift(a.tolerated);
  for (const c of linux.commands) {
    if (c.scope === "route") {
      out.push({
        kind: "route",
        command: c.command,
        why: `on ${host}: only connections to ${peerIp} advertise shift ${a.tolerated}, which the path lets through; their window is capped at ${cap} bytes${at(cap)}, every other path keeps its full window`,
      });
    } else if (c.scope === "global") {
      out.push({ kind: "sysctl", command: c.command, why: `on ${host}, every connection: ${c.why}` });
    } else {
      out.push({
        kind: "sysctl",
        command: c.command,
        why: `last resort on ${host}: no scaling in either direction of any connection, windows capped at ${MAX_UNSCALED_WINDOW} bytes${at(MAX_UNSCALED_WINDOW)}`,
      });
    }
  }
  out.push(...osAdvice(a.host));
  return out;
}

/** The equivalent knobs where the host to change is not Linux. */
export function osAdvice(host: Endpoint): Advice[] {
  const stack = stackGuess(host);
  if (stack === "Windows" || host.syn?.ttl === 128) {
    return [
      {
        kind: "os",
        command: "netsh interface tcp set global autotuninglevel=restricted",
        why: "on a Windows host: restricted (or highlyrestricted) lowers the advertised shift; disabled turns receive-window scaling off (64 KiB cap)",
      },
    ];
  }
  if (stack === "macOS/BSD") {
    return [
      {
        kind: "os",
        command: "sysctl -w net.inet.tcp.rfc1323=0",
        why: "on macOS up to 10.13 only: turns window scaling and timestamps off (64 KiB cap); later releases have no switch",
      },
    ];
  }
  return [];
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
