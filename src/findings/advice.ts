import { formatAddress } from "../connections/address.js";
import type { Connection } from "../connections/connection.js";
import type { Endpoint } from "../connections/endpoint.js";
import { familyName, inferOs, type OsGuess } from "../connections/os.js";
import type { OsFamily } from "../connections/stacks.js";
import { adviseLinux, routePersistence } from "../kernel/advice.js";
import { MAX_UNSCALED_WINDOW, maxWindowForShift, throughput } from "../kernel/linux-wscale.js";
import { OS_KNOBS, type OsKnobs } from "../kernel/os-knobs.js";
import { LINUX_DEFAULTS, LINUX_DEFAULTS_TEXT } from "../kernel/sysctl-values.js";
import { formatBits, formatDuration } from "../kernel/units.js";
import type { Advice } from "./finding.js";
import { type SynAckOrigin, synAckOrigin } from "./synack-origin.js";

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

/** The families whose terms the advice uses: the inferred one, the candidates when it is unknown, else all. */
function familiesOf(os: OsGuess): OsFamily[] {
  if (os.family !== "unknown") return [os.family];
  return os.candidates.length > 0 ? os.candidates : ["linux", "windows", "macos", "freebsd"];
}

function osWhy(os: OsGuess): string {
  if (os.family === "unknown") {
    return os.candidates.length > 0
      ? `its OS is not certain: ${os.candidates.map(familyName).join(" or ")}`
      : "its OS is unknown";
  }
  return `${familyName(os.family)}, ${os.confidence} from its ${os.evidence[0]?.startsWith("SYN-ACK") ? "SYN-ACK" : "SYN"}`;
}

function knobsOf(f: OsFamily): OsKnobs | null {
  return f === "linux" || f === "other" ? null : OS_KNOBS[f];
}

/**
 * Fixes in the order of SPEC section 5, in the terms of the host's OS (inferred from its SYN or SYN-ACK): the
 * path itself, a per-destination route clamp, the global buffers, and disabling scaling last. For Linux the
 * numbers come from the same model as `wscale sysctl`, from upstream defaults since the host's own values are
 * not in the capture (each line says so).
 */
export function scaleAdvice(a: ScaleAdviceInput): Advice[] {
  const rtt = a.rttSeconds !== null && a.rttSeconds > 0 ? a.rttSeconds : null;
  const peerIp = formatAddress(a.peer.addr, a.peer.ipVersion);
  const host = `${a.hostRole} ${formatAddress(a.host.addr, a.host.ipVersion)}`;
  const os = inferOs(a.host);
  const out: Advice[] = [
    {
      kind: "path",
      command: `fix the box between ${a.host.describe()} and ${a.peer.describe()}: ${a.pathProblem}`,
      why: "the only fix that keeps full speed: e.g. Cisco ACE `tcp-options window-scale allow`; on a Linux firewall drop the nft/iptables rule that touches TCP options (TCPOPTSTRIP, `reset tcp option window`); a window-tracking firewall that mis-tracks scaled windows: `sysctl -w net.netfilter.nf_conntrack_tcp_be_liberal=1`",
    },
  ];
  const families = familiesOf(os);
  const at = (window: number) =>
    rtt === null ? "" : ` (${formatBits(throughput(window, rtt).bitsPerSec)} at ${formatDuration(rtt)})`;
  if (families.includes("linux")) out.push(...linuxLowering(a, host, peerIp, os, rtt, at));
  for (const f of families) {
    const k = knobsOf(f);
    if (k === null) continue;
    const lines = k.lower(a.tolerated).map((l) => ({ ...l, command: l.command.replace("<dst>", peerIp) }));
    const on = `on ${host}, ${os.family === f ? osWhy(os) : `if it is ${k.name}`}`;
    for (const l of lines)
      out.push({ kind: "os", command: l.command, why: `${on}: ${l.why}. ${k.model}; ${k.persist}` });
    if (lines.length === 0) out.push({ kind: "os", command: k.check, why: `${on}: ${k.model}` });
    out.push({
      kind: "os",
      command: k.disable.command,
      why: `${on}, ${k.disable.why}${at(MAX_UNSCALED_WINDOW)}`,
    });
  }
  return out;
}

/** The Linux lines of scaleAdvice: route clamp, global sysctls (assumed defaults), last resort. */
function linuxLowering(
  a: ScaleAdviceInput,
  host: string,
  peerIp: string,
  os: OsGuess,
  rtt: number | null,
  at: (w: number) => string,
): Advice[] {
  const linux = adviseLinux(
    { ...LINUX_DEFAULTS },
    { targetWscale: a.tolerated, rttSeconds: rtt ?? undefined },
    { dst: peerIp },
  );
  const cap = maxWindowForShift(a.tolerated);
  const which = os.family === "linux" ? osWhy(os) : "if it is Linux";
  const assumed = `${LINUX_DEFAULTS_TEXT}; \`wscale sysctl --target-wscale ${a.tolerated} --dst ${peerIp}\` on that host prints the lines for its own values`;
  const out: Advice[] = [
    {
      kind: "sysctl",
      command: `wscale sysctl --target-wscale ${a.tolerated} --dst ${peerIp}`,
      why: `run on ${host} (${which}): the lines below computed from its own /proc/sys, with gateway and device from its own routing table`,
    },
  ];
  for (const c of linux.commands) {
    if (c.scope === "route") {
      out.push({
        kind: "route",
        command: c.command,
        why:
          `on ${host} (${which}): only connections to ${peerIp} advertise shift ${a.tolerated}, which the path lets through; ` +
          `their window is capped at ${cap} bytes${at(cap)}, every other path keeps its full window. ` +
          `The first line looks up gateway and device. ${routePersistence(c.command)}`,
      });
    } else if (c.scope === "global") {
      out.push({ kind: "sysctl", command: c.command, why: `on ${host}, every connection: ${c.why} (${assumed})` });
    } else {
      out.push({
        kind: "sysctl",
        command: c.command,
        why: `last resort on ${host}: no scaling in either direction of any connection, windows capped at ${MAX_UNSCALED_WINDOW} bytes${at(MAX_UNSCALED_WINDOW)}`,
      });
    }
  }
  return out;
}

/** Turning window scaling back on, in the terms of the host's OS (inferred from its SYN or SYN-ACK). */
export function osAdvice(host: Endpoint, role = "host"): Advice[] {
  const os = inferOs(host);
  const where = `${role} ${host.describe()}`;
  const out: Advice[] = [];
  for (const f of familiesOf(os)) {
    const on = `on the ${where}, ${os.family === f ? osWhy(os) : `if it is ${f === "linux" ? "Linux" : (knobsOf(f)?.name ?? f)}`}`;
    if (f === "linux") {
      out.push({
        kind: "sysctl",
        command: "sysctl -w net.ipv4.tcp_window_scaling=1",
        why: `${on}: RFC 7323 window scaling back on (the default); to keep it: net.ipv4.tcp_window_scaling = 1 in /etc/sysctl.d/90-wscale.conf`,
      });
      continue;
    }
    const k = knobsOf(f);
    if (k !== null) out.push({ kind: "os", command: k.enable.command, why: `${on}: ${k.enable.why}` });
  }
  return out;
}

/**
 * The answer to a SYN with window scaling carried none (scale-declined, and scale-stripped when it cannot tell).
 * When the SYN-ACK looks like it came from a box rather than the server (synack-origin.ts), that box is the one to
 * change, and the advice says so first; what is said about the server is then conditional. `serverNote` is
 * appended to the server's lines.
 */
export function declinedAdvice(conn: Connection, serverNote = ""): Advice[] {
  const origin = synAckOrigin(conn);
  const note = (a: Advice, extra: string) => ({ ...a, why: [a.why, extra, serverNote].filter(Boolean).join(", ") });
  if (origin === null) return osAdvice(conn.server, "server").map((a) => note(a, ""));
  const shift = conn.client.offered.state === "present" ? conn.client.offered.shift : 7;
  const mss = conn.server.firstSyn?.mss ?? 1460;
  const fix: Record<SynAckOrigin["kind"], { command: string; why: string }> = {
    slirp: {
      command: 'VBoxManage modifyvm "<vm>" --nic1 bridged --bridgeadapter1 <host interface>',
      why: "slirp's own TCP answers with MSS only: no window scaling, SACK or timestamps whatever the server supports, so every connection through it is capped at 64 KiB per round trip. Give the VM bridged networking (with the VM powered off; QEMU: a tap or bridge netdev instead of -netdev user)",
    },
    "linux-synproxy": {
      command: "nft -a list ruleset | grep -n synproxy",
      why: `on the box: SYNPROXY answers with the options of its rule, and this one has no wscale. Give the rule the shift the server itself offers (e.g. ${shift} if it is a Linux host like the client): nft \`synproxy mss ${mss} wscale ${shift} timestamp sack-perm\`, iptables \`-j SYNPROXY --mss ${mss} --wscale ${shift} --timestamp --sack-perm\``,
    },
    "nat-or-proxy": {
      command: `enable window scaling on ${origin.box}, which answered the SYN instead of the server`,
      why: "a NAT or proxy that connects on its own answers with its own options: its TCP settings decide, not the server's",
    },
    "syn-proxy": {
      command: `enable window scaling on ${origin.box}, which answered the SYN instead of the server`,
      why: "a SYN proxy answers with the options of its own configuration (Linux SYNPROXY: `wscale N` in its rule); a load balancer's TCP profile needs window scaling on",
    },
    "load-balancer": {
      command: `enable window scaling on ${origin.box}, which answered the SYN instead of the server`,
      why: "a load balancer that ends TCP itself answers with its own TCP profile: window scaling must be on there",
    },
  };
  const box: Advice = {
    kind: "path",
    command: fix[origin.kind].command,
    why: `${origin.confidence === "likely" ? "The SYN-ACK came from a box" : "The SYN-ACK may have come from a box"}: ${origin.evidence.join("; ")}. ${fix[origin.kind].why}`,
  };
  return [box, ...osAdvice(conn.server, "server").map((a) => note(a, "only if the server itself answered"))];
}

/** `--rtt` as measured, to a useful precision: "20.6ms", "0.25ms". */
function rttArg(rttSeconds: number): string {
  return `${Number((rttSeconds * 1000).toPrecision(3))}ms`;
}

/**
 * scale-too-small: the receiver's shift caps its window below what the path needs. Never a blind "raise it": a
 * shift this small from Linux (defaults give 7 or more since 2.6.17) comes from a deliberate cap, often the
 * route-window workaround for a box that breaks larger shifts; the advice says what the cap costs at the measured
 * RTT and how to size a larger one, to be used only once that box is fixed.
 */
export function tooSmallAdvice(conn: Connection, receiver: Endpoint): Advice[] {
  const s = receiver.shift ?? 0;
  const rtt = conn.rtt;
  const role = receiver === conn.client ? "client" : "server";
  const peerIp = formatAddress(receiver.peer.addr, receiver.peer.ipVersion);
  const os = inferOs(receiver);
  const ceiling = maxWindowForShift(s);
  const rttText = rtt > 0 ? formatDuration(rtt) : "the measured RTT";
  const cost = rtt > 0 ? `${formatBits(throughput(ceiling, rtt).bitsPerSec)} at ${rttText}` : "";
  const out: Advice[] = [];
  const deliberate = os.family === "linux" && s < 7;
  if (deliberate) {
    out.push({
      kind: "path",
      command: `keep the cap on ${role} ${receiver.describe()} while the box it works around is there`,
      why:
        `Linux offers shift 7 or more by default (10 since 6.16): shift ${s} comes from a clamp someone set, a route \`window\` metric ` +
        `(\`ip route get ${peerIp}\` shows it), TCP_WINDOW_CLAMP or SO_RCVBUF. If it works around a box that breaks larger shifts, ` +
        `this is its price (${cost || "65535 << shift per round trip"}); fix the box, then lift the cap`,
    });
  }
  const command =
    rtt > 0
      ? `wscale sysctl --rtt ${rttArg(rtt)} --rate <the rate you need> --dst ${peerIp}${deliberate ? ` --window-clamp ${ceiling}` : ""}`
      : `wscale sysctl --rtt <the RTT> --rate <the rate you need> --dst ${peerIp}`;
  const routeHint = deliberate
    ? "; --window-clamp stands for the current cap, so it prints the route window to replace it with"
    : "";
  out.push({
    kind: "sysctl",
    command,
    why: `on ${role} ${receiver.describe()}${os.family === "linux" ? "" : ` (${osWhy(os)}; the lines it prints are Linux's)`}: the tcp_rmem/rmem_max and route lines whose shift and buffer carry that rate at ${rtt > 0 ? `the measured ${rttText}` : rttText}${routeHint}`,
  });
  const knobs = os.family === "unknown" || os.family === "linux" ? null : knobsOf(os.family);
  if (knobs !== null)
    out.push({ kind: "os", command: knobs.check, why: `on ${role} ${receiver.describe()}: ${knobs.model}` });
  return out;
}
