/**
 * The exact lines that change what a Linux host advertises, each checked against the model: a change the model
 * says has no effect on the outcome is never proposed (lowering tcp_rmem[2] alone while rmem_max is larger,
 * a route metric while the application sets TCP_WINDOW_CLAMP, ...).
 */

import {
  bdpBytes,
  DEFAULT_SCALING_RATIO,
  type LinuxWscaleInputs,
  type LinuxWscaleResult,
  largestSpaceForShift,
  linuxWscale,
  MAX_UNSCALED_WINDOW,
  maxWindowForShift,
  shiftForBdp,
  smallestSpaceForShift,
  TCP_MAX_WSCALE,
  type Triple,
  throughput,
} from "./linux-wscale.js";
import { formatBits, formatBytes, formatDuration } from "./units.js";

export const SYSCTL_CONF_PATH = "/etc/sysctl.d/90-wscale.conf";
/** RTTs the caps are shown for when none is given. */
export const TYPICAL_RTTS: readonly number[] = [0.001, 0.01, 0.03, 0.1];

export interface RouteTarget {
  /** The far end: an address (a /32 or /128 host route is made for it) or a prefix. */
  readonly dst?: string | undefined;
  /** Gateway and device of the route to it, when known (given, or from `ip route get` on this host). */
  readonly via?: string | undefined;
  readonly dev?: string | undefined;
  /** The destination is directly connected: no gateway (`via` is then left out). */
  readonly onLink?: boolean | undefined;
}

export interface AdviceGoal {
  /** The shift the host should advertise (e.g. the largest one a broken path tolerates). */
  readonly targetWscale?: number | undefined;
  /** With rttSeconds: the rate one connection must reach. */
  readonly rateBitsPerSec?: number | undefined;
  readonly rttSeconds?: number | undefined;
}

export type CommandKind = "sysctl" | "route" | "file";

export interface AdviceCommand {
  readonly kind: CommandKind;
  /** What to run (for "file": a shell command that writes the file). */
  readonly command: string;
  readonly why: string;
  /** For "file": where and what. */
  readonly path?: string;
  readonly content?: string;
  /** For "sysctl": the key and value it sets (the sysctl.d file lists them all). */
  readonly setting?: readonly [string, string];
  /** Which alternative this line belongs to: per destination, global, or the last resort. */
  readonly scope: "route" | "global" | "last-resort";
}

export interface Cap {
  readonly rttMs: number;
  readonly window: number;
  readonly bytesPerSec: number;
  readonly bitsPerSec: number;
}

export interface LinuxAdvice {
  /** The shift aimed for; null when no change of the shift is needed or asked. */
  readonly target: number | null;
  /** Why that target (or why none). */
  readonly reason: string;
  readonly bdpBytes: number | null;
  readonly commands: AdviceCommand[];
  readonly notes: string[];
}

/** Throughput caps of a window at several RTTs. */
export function capsFor(window: number, rtts: readonly number[]): Cap[] {
  return rtts.map((rtt) => {
    const t = throughput(window, rtt);
    return { rttMs: Number((rtt * 1e3).toPrecision(6)), window, bytesPerSec: t.bytesPerSec, bitsPerSec: t.bitsPerSec };
  });
}

function capText(window: number, rtts: readonly number[]): string {
  return rtts.map((r) => `${formatBits(throughput(window, r).bitsPerSec)} at ${formatDuration(r)}`).join(", ");
}

/** A destination as a route prefix: an address becomes a host route (/32, or /128 for IPv6). */
export function routePrefix(dst: string): string {
  if (dst.includes("/")) return dst;
  return `${dst}/${dst.includes(":") ? 128 : 32}`;
}

/**
 * The per-destination route line. `ip route replace` adds the route when there is none for exactly this prefix
 * (the usual case: a host route next to the default route) and replaces it otherwise; `ip route change` fails
 * with "No such file or directory" when the exact route does not exist. With gateway and device known:
 * `ip route replace <dst>/32 [via <gw>] dev <dev> window <bytes>`; otherwise two lines that look them up first.
 */
export function routeWindowCommand(route: RouteTarget, window: number): string {
  const dst = route.dst ?? "<dst>";
  const prefix = route.dst === undefined ? "<dst>/32" : routePrefix(dst);
  if (route.dev !== undefined && (route.via !== undefined || route.onLink)) {
    const via = route.via !== undefined ? ` via ${route.via}` : "";
    return `ip route replace ${prefix}${via} dev ${route.dev} window ${window}`;
  }
  const addr = dst.split("/")[0];
  return `r=$(ip -o route get ${addr} | grep -oE '(via|dev) [^ ]+')\nip route replace ${prefix} $r window ${window}`;
}

/** Where the route line must be repeated so that it survives a reboot. */
export function routePersistence(routeLine: string): string {
  const line = routeLine.split("\n").at(-1) ?? routeLine;
  const m = /^ip route replace (\S+)(?: via (\S+))?(?: dev (\S+)| \$r) window (\d+)$/.exec(line);
  const [, prefix = "<dst>", via, , window = "<bytes>"] = m ?? [];
  return (
    "To keep it after a reboot: NetworkManager " +
    `\`nmcli connection modify <connection> +ipv4.routes "${prefix}${via ? ` ${via}` : ""} window=${window}"\`; ` +
    "ifupdown: the same line as `up ...` in the interface's stanza of /etc/network/interfaces; " +
    "systemd-networkd and netplan have no route `window` setting: run the line from a oneshot unit after network-online.target"
  );
}

type Knob = "tcp_window_scaling" | "tcp_rmem[1]" | "tcp_rmem[2]" | "rmem_max" | "route window";

interface Plan {
  readonly changes: ReadonlyMap<Knob, number>;
  readonly inputs: LinuxWscaleInputs;
  readonly result: LinuxWscaleResult;
}

function apply(base: LinuxWscaleInputs, changes: ReadonlyMap<Knob, number>): LinuxWscaleInputs {
  const rmem: [number, number, number] = [...base.tcpRmem];
  let next: LinuxWscaleInputs = base;
  for (const [knob, v] of changes) {
    if (knob === "tcp_window_scaling") next = { ...next, tcpWindowScaling: v };
    else if (knob === "tcp_rmem[1]") rmem[1] = v;
    else if (knob === "tcp_rmem[2]") rmem[2] = v;
    else if (knob === "rmem_max") next = { ...next, rmemMax: v };
    else next = { ...next, routeWindow: v };
  }
  return { ...next, tcpRmem: rmem };
}

/** Knob order of preference at equal count: the most targeted first, rmem_max (every socket of every protocol) last. */
const PREFERENCE: readonly Knob[] = ["route window", "tcp_window_scaling", "tcp_rmem[2]", "tcp_rmem[1]", "rmem_max"];

/**
 * The smallest set of changes among `candidates` (each knob either kept or set to its candidate value) that makes
 * the model give shift `n`, with `fixed` changes always applied. Null when no combination does.
 */
function smallestPlan(
  base: LinuxWscaleInputs,
  n: number,
  fixed: ReadonlyMap<Knob, number>,
  candidates: ReadonlyMap<Knob, number>,
): Plan | null {
  const knobs = [...candidates.keys()];
  const combos: Knob[][] = [];
  for (let mask = 0; mask < 1 << knobs.length; mask++) combos.push(knobs.filter((_, i) => mask & (1 << i)));
  const rank = (c: Knob[]) => c.reduce((acc, k) => acc + 2 ** (PREFERENCE.length - PREFERENCE.indexOf(k)), 0);
  combos.sort((a, b) => a.length - b.length || rank(b) - rank(a));
  for (const combo of combos) {
    const changes = new Map(fixed);
    for (const k of combo) changes.set(k, candidates.get(k) ?? 0);
    const inputs = apply(base, changes);
    const result = linuxWscale(inputs);
    if (result.wscale === n) return { changes, inputs, result };
  }
  return null;
}

function tripleText(rmem: Triple): string {
  return `${rmem[0]} ${rmem[1]} ${rmem[2]}`;
}

/** The shift the model gives for `base` with every change of `plan` except `knob`: what that change is for. */
function withoutChange(base: LinuxWscaleInputs, plan: Plan, knob: Knob): LinuxWscaleResult {
  const rest = new Map(plan.changes);
  rest.delete(knob);
  return linuxWscale(apply(base, rest));
}

function shiftText(r: LinuxWscaleResult): string {
  return r.wscale === null ? "no window-scale option" : `shift ${r.wscale}`;
}

/**
 * What to run so that the host advertises `goal.targetWscale`, or so that one connection can reach
 * `goal.rateBitsPerSec` at `goal.rttSeconds`. Alternatives are ordered from the most targeted (a route metric for
 * the affected destination) to the bluntest (tcp_window_scaling = 0).
 */
export function adviseLinux(inputs: LinuxWscaleInputs, goal: AdviceGoal, route: RouteTarget = {}): LinuxAdvice {
  const current = linuxWscale(inputs);
  const notes: string[] = [];
  const commands: AdviceCommand[] = [];
  const rtts = goal.rttSeconds !== undefined ? [goal.rttSeconds] : [0.01, 0.03, 0.1];
  const rate = goal.rateBitsPerSec;
  const rtt = goal.rttSeconds;
  const bdp = rate !== undefined && rtt !== undefined ? bdpBytes(rate, rtt) : null;

  let target: number | null = null;
  let reason: string;
  if (goal.targetWscale !== undefined) {
    target = goal.targetWscale;
    reason = `shift ${target} asked for (--target-wscale)`;
    const plan = planShift(inputs, current, target, route, rtts, commands, notes);
    if (bdp !== null && rate !== undefined && rtt !== undefined) {
      const after = plan?.result ?? current;
      if (maxWindowForShift(TCP_MAX_WSCALE) < bdp) {
        notes.push(
          beyondShift14(`${formatBits(rate)} x ${formatDuration(rtt)} = ${formatBytes(bdp)} in flight`, bdp, rate, rtt),
        );
      } else if (maxWindowForShift(target) < bdp) {
        notes.push(
          `shift ${target} caps one connection at ${formatBytes(maxWindowForShift(target))} per round trip, ` +
            `${formatBits(throughput(maxWindowForShift(target), rtt).bitsPerSec)} at ${formatDuration(rtt)}: ` +
            `below the ${formatBits(rate)} asked for, which needs shift ${shiftForBdp(rate, rtt)}`,
        );
      } else if (after.bufferWindow < bdp) {
        notes.push(
          `${formatBytes(bdp)} in flight also needs a receive buffer of about ${bufferFor(bdp, inputs)} bytes, ` +
            `more than shift ${target} allows (tcp_rmem[2] <= ${largestSpaceForShift(target)}, about ${formatBytes(after.bufferWindow)} of window)`,
        );
      }
    }
  } else if (bdp !== null && rate !== undefined && rtt !== undefined) {
    const r = planRate(inputs, current, bdp, rate, rtt, route, commands, notes);
    target = r.target;
    reason = r.reason;
  } else {
    reason = "no --target-wscale or --rtt/--rate given: nothing to change";
  }

  // tcp_wmem: what this host can have in flight when it sends; it never changes the shift.
  const wmem = inputs.tcpWmem;
  if (wmem !== undefined && bdp !== null && rtt !== undefined) {
    if (wmem[2] < 2 * bdp) {
      const line: Triple = [wmem[0], wmem[1], Math.min(2 ** Math.ceil(Math.log2(2 * bdp)), 0x7fff_ffff)];
      commands.push(
        sysctlCommand(
          "net.ipv4.tcp_wmem",
          tripleText(line),
          "global",
          `when this host sends: the send buffer holds the unacknowledged data plus overhead (about half of it payload), ` +
            `so ${formatBytes(bdp)} in flight needs tcp_wmem[2] of about twice that; ${wmem[2]} caps a sender at about ` +
            `${formatBits(throughput(wmem[2] / 2, rtt).bitsPerSec)} at ${formatDuration(rtt)}. tcp_wmem does not change the shift`,
        ),
      );
      const wmemMax = inputs.wmemMax;
      if (wmemMax !== undefined && wmemMax < line[2]) {
        commands.push(
          sysctlCommand(
            "net.core.wmem_max",
            String(line[2]),
            "global",
            `wmem_max ${wmemMax} -> ${line[2]}: applications that size their own send buffer (SO_SNDBUF) are capped at wmem_max. ` +
              "It can only be changed from the host: inside a container (a child network namespace) it is read-only",
          ),
        );
      }
    } else {
      notes.push(
        `tcp_wmem[2] = ${wmem[2]} already lets this host keep ${formatBytes(bdp)} in flight when it sends (it never changes the shift)`,
      );
    }
  } else if (wmem !== undefined && target !== null) {
    const inFlight = Math.floor(wmem[2] / 2);
    notes.push(
      `tcp_wmem never changes the shift; when this host sends, tcp_wmem[2] = ${wmem[2]} keeps at most about ` +
        `${formatBytes(inFlight)} in flight (${capText(inFlight, rtts)}); give --rtt and --rate to size it`,
    );
  }

  // The sysctl.d file right after the global lines it makes permanent.
  const file = confFile(commands, goal);
  if (file !== null) {
    let last = -1;
    commands.forEach((c, i) => {
      if (c.scope === "global") last = i;
    });
    commands.splice(last + 1, 0, file);
  }
  return { target, reason, bdpBytes: bdp, commands, notes };
}

/** tcp_rmem[2] (or 2 x SO_RCVBUF) whose window, at the initial scaling ratio, holds `bdp`. */
function bufferFor(bdp: number, inputs: LinuxWscaleInputs): number {
  return Math.min(Math.ceil((bdp * 256) / (inputs.scalingRatio ?? DEFAULT_SCALING_RATIO)), 0x7fff_ffff);
}

/** For a rate at an RTT: the buffer and window that carry its bandwidth-delay product (raising only). */
function planRate(
  inputs: LinuxWscaleInputs,
  current: LinuxWscaleResult,
  bdp: number,
  rate: number,
  rtt: number,
  route: RouteTarget,
  commands: AdviceCommand[],
  notes: string[],
): { target: number | null; reason: string } {
  const needed = shiftForBdp(rate, rtt);
  const bdpText = `${formatBits(rate)} x ${formatDuration(rtt)} = ${formatBytes(bdp)} in flight`;
  if (maxWindowForShift(needed) < bdp) notes.push(beyondShift14(bdpText, bdp, rate, rtt));
  if (current.wscale !== null && current.windowCeiling >= bdp && current.bufferWindow >= bdp) {
    return {
      target: null,
      reason:
        `${bdpText}: the current shift ${current.wscale} allows ${formatBytes(current.windowCeiling)} and the buffer about ` +
        `${formatBytes(current.bufferWindow)}; no change needed. The smallest shift that carries it is ${needed} ` +
        `(use --target-wscale ${needed} if the path breaks larger shifts)`,
    };
  }

  let next = inputs;
  if (inputs.tcpWindowScaling === 0) {
    next = { ...next, tcpWindowScaling: 1 };
    commands.push(enableScalingCommand("global"));
  }
  const need = bufferFor(bdp, inputs);
  const before = linuxWscale(next);
  if (before.rcvbufLocked && before.bufferWindow < bdp) {
    notes.push(
      `the application's SO_RCVBUF ${inputs.soRcvbuf} limits its buffer to ${formatBytes(before.skRcvbuf)} (about ` +
        `${formatBytes(before.bufferWindow)} of window, and the shift to ${before.shiftIfEnabled}); it must ask for at least ` +
        `${Math.ceil(need / 2)} bytes or not set SO_RCVBUF at all` +
        (Math.ceil(need / 2) > inputs.rmemMax
          ? `, and net.core.rmem_max (${inputs.rmemMax}) caps what it can ask for: sysctl -w net.core.rmem_max=${Math.ceil(need / 2)}`
          : ""),
    );
  } else if (before.bufferWindow < bdp) {
    const rmem: Triple = [inputs.tcpRmem[0], Math.min(inputs.tcpRmem[1], need), need];
    next = { ...next, tcpRmem: rmem };
    const r = linuxWscale(next);
    commands.push(
      sysctlCommand(
        "net.ipv4.tcp_rmem",
        tripleText(rmem),
        "global",
        `autotuning grows the receive buffer only up to tcp_rmem[2] = ${inputs.tcpRmem[2]}, about ${formatBytes(before.bufferWindow)} ` +
          `of window at the kernel's initial ${Math.round(((inputs.scalingRatio ?? DEFAULT_SCALING_RATIO) / 256) * 100)} % payload ratio; ` +
          `${formatBytes(bdp)} in flight needs tcp_rmem[2] >= ${need}` +
          (r.wscale !== before.wscale ? `, which also makes the shift ${r.wscale} (decided by ${r.decidedBy})` : ""),
      ),
    );
    if (inputs.rmemMax < need) {
      // The same value: max(tcp_rmem[2], rmem_max) stays `need`, so the shift does not move.
      next = { ...next, rmemMax: need };
      commands.push(
        sysctlCommand(
          "net.core.rmem_max",
          String(need),
          "global",
          `rmem_max ${inputs.rmemMax} -> ${need}: applications that size their own receive buffer (SO_RCVBUF: iperf3 -w, many servers) ` +
            "are capped at rmem_max; the same value as tcp_rmem[2] leaves the shift as above. " +
            "rmem_max can only be changed from the host: inside a container (a child network namespace) it is read-only",
        ),
      );
    }
  }

  let after = linuxWscale(next);
  const clamp = after.windowClamp;
  if (after.windowCeiling < bdp && clamp?.source === "route window") {
    const open = linuxWscale({ ...next, routeWindow: null });
    const w = Math.max(open.space, bdp);
    const withRoute = linuxWscale({ ...next, routeWindow: w });
    if (withRoute.windowCeiling > after.windowCeiling) {
      commands.push({
        kind: "route",
        scope: "route",
        command: routeWindowCommand(route, w),
        why:
          `the route's window metric ${clamp.value} is this socket's window_clamp: it caps the window at ${formatBytes(after.windowCeiling)} ` +
          `and the shift at ${after.wscale}; raise it to ${w} (or drop \`window\` from the route) for shift ${withRoute.wscale}`,
      });
      after = withRoute;
    }
  } else if (after.windowCeiling < bdp && clamp?.source === "TCP_WINDOW_CLAMP") {
    notes.push(
      `the application's TCP_WINDOW_CLAMP ${clamp.value} caps the window at ${formatBytes(after.windowCeiling)}; only the application can change it`,
    );
  }
  const ok = after.windowCeiling >= bdp && after.bufferWindow >= bdp;
  notes.push(
    `after these changes: ${shiftText(after)} (decided by ${after.decidedBy}), window up to ${formatBytes(after.windowCeiling)}, ` +
      `buffer about ${formatBytes(after.bufferWindow)}: ${capText(Math.min(after.windowCeiling, after.bufferWindow), [rtt])}` +
      (ok ? "" : `, still short of ${formatBits(rate)}`),
  );
  return {
    target: after.wscale,
    reason:
      `${bdpText} needs a window of at least ${formatBytes(bdp)} (shift >= ${needed}) and a receive buffer that holds it; ` +
      `now ${shiftText(current)} allows ${formatBytes(current.windowCeiling)} and the buffer about ${formatBytes(current.bufferWindow)}`,
  };
}

/**
 * The sysctl.d file for every global `sysctl -w` line (the last value of a key wins), pasteable as printed:
 * a heredoc that writes it, then `sysctl -p` of that file to load it now (it is read at every boot).
 */
function confFile(commands: readonly AdviceCommand[], goal: AdviceGoal): AdviceCommand | null {
  const settings = new Map<string, string>();
  for (const c of commands)
    if (c.scope === "global" && c.setting !== undefined) settings.set(c.setting[0], c.setting[1]);
  if (settings.size === 0) return null;
  const what =
    goal.targetWscale !== undefined
      ? `advertise shift ${goal.targetWscale}`
      : goal.rateBitsPerSec !== undefined && goal.rttSeconds !== undefined
        ? `${formatBits(goal.rateBitsPerSec)} at ${formatDuration(goal.rttSeconds)}`
        : "window scaling";
  const content =
    `# ${SYSCTL_CONF_PATH}: written from wscale sysctl (${what})\n` +
    [...settings].map(([k, v]) => `${k} = ${v}`).join("\n") +
    "\n";
  return {
    kind: "file",
    scope: "global",
    path: SYSCTL_CONF_PATH,
    content,
    command: `cat > ${SYSCTL_CONF_PATH} <<'EOF'\n${content}EOF\nsysctl -p ${SYSCTL_CONF_PATH}`,
    why: `every key the lines above change (${[...settings.keys()].join(", ")}), read again at every boot since sysctl -w lasts only until a reboot; \`sysctl -p\` loads it now (\`sysctl --system\` reloads all of /etc/sysctl.d)`,
  };
}

function sysctlCommand(key: string, value: string, scope: AdviceCommand["scope"], why: string): AdviceCommand {
  const quoted = value.includes(" ") ? `"${value}"` : value;
  return { kind: "sysctl", scope, command: `sysctl -w ${key}=${quoted}`, why, setting: [key, value] };
}

function planShift(
  inputs: LinuxWscaleInputs,
  current: LinuxWscaleResult,
  n: number,
  route: RouteTarget,
  rtts: readonly number[],
  commands: AdviceCommand[],
  notes: string[],
): Plan | null {
  if (current.wscale === n) {
    notes.push(`this host already advertises shift ${n}: nothing to change`);
    return null;
  }
  const L = largestSpaceForShift(n);
  const S = smallestSpaceForShift(n);
  const lowering = current.wscale === null ? current.shiftIfEnabled > n : current.wscale > n;
  const maxWin = maxWindowForShift(n);
  const fixed = new Map<Knob, number>();
  if (inputs.tcpWindowScaling === 0) fixed.set("tcp_window_scaling", 1);

  // 1. Per destination: the route's `window` metric becomes window_clamp (unless the app sets TCP_WINDOW_CLAMP).
  const routeCandidates = new Map<Knob, number>([["route window", n === TCP_MAX_WSCALE ? 0xffff_ffff : L]]);
  let routePlan: Plan | null = null;
  if (lowering || current.windowClamp?.source === "route window") {
    routePlan = smallestPlan(inputs, n, fixed, routeCandidates);
    if (routePlan !== null && !routePlan.changes.has("route window")) routePlan = null;
  }
  if (routePlan !== null) {
    const w = routePlan.changes.get("route window") ?? L;
    const ceiling = routePlan.result.windowCeiling;
    if (fixed.size > 0) commands.push(enableScalingCommand("route"));
    commands.push({
      kind: "route",
      scope: "route",
      command: routeWindowCommand(route, w),
      why:
        `the route's window metric becomes window_clamp, so connections on this route advertise shift ${n} ` +
        `(${w} is the largest value that gives ${n}) and connections on other routes are not affected; ` +
        `it also caps the window on this route at ${formatBytes(ceiling)} (${capText(ceiling, rtts)}). ` +
        "A host route beside the existing ones: `ip route replace` adds it (or replaces it if it exists), `ip route del` with the same prefix undoes it",
    });
  } else if (lowering && inputs.tcpWindowClamp) {
    notes.push(
      `a route window metric has no effect here: the application sets TCP_WINDOW_CLAMP (${inputs.tcpWindowClamp}), which replaces the route's metric`,
    );
  }

  // 2. Global: tcp_rmem[2] / rmem_max (and tcp_rmem[1] if it alone is larger), the fewest that give shift n.
  const sysCandidates = new Map<Knob, number>();
  if (inputs.tcpRmem[2] !== L) sysCandidates.set("tcp_rmem[2]", L);
  if (inputs.rmemMax !== L) sysCandidates.set("rmem_max", L);
  if (inputs.tcpRmem[1] > L) sysCandidates.set("tcp_rmem[1]", L);
  let sysPlan = smallestPlan(inputs, n, fixed, sysCandidates);
  let needsRoute = false;
  if (sysPlan === null && routePlan === null && !lowering && current.windowClamp?.source === "route window") {
    // Raising past a route metric: both the metric and the sysctls must move.
    const both = new Map(fixed);
    both.set("route window", n === TCP_MAX_WSCALE ? 0xffff_ffff : L);
    sysPlan = smallestPlan(inputs, n, both, sysCandidates);
    needsRoute = sysPlan !== null;
  }
  if (sysPlan !== null && (sysPlan.changes.size > fixed.size || fixed.size > 0)) {
    if (sysPlan.changes.has("tcp_window_scaling")) commands.push(enableScalingCommand("global"));
    const rmem = sysPlan.inputs.tcpRmem;
    if (sysPlan.changes.has("tcp_rmem[2]") || sysPlan.changes.has("tcp_rmem[1]")) {
      const rmemFixed: Triple = [rmem[0], Math.min(rmem[1], rmem[2]), rmem[2]];
      const parts: string[] = [];
      if (sysPlan.changes.has("tcp_rmem[2]")) {
        const without = withoutChange(inputs, sysPlan, "tcp_rmem[2]");
        parts.push(
          `tcp_rmem[2] ${inputs.tcpRmem[2]} -> ${rmem[2]}: ` +
            (lowering
              ? `the largest value that gives shift ${n} (2^${n + 16} - 1)`
              : `enough for shift ${n} (>= ${S}) and the largest that keeps it at ${n}; at the kernel's initial 50 % payload ratio that buffer holds about ${formatBytes(Math.floor(rmem[2] / 2))} of window`) +
            (without.wscale !== n ? ` (without it the shift stays at ${without.wscale ?? "none"})` : ""),
        );
      }
      if (sysPlan.changes.has("tcp_rmem[1]") || rmemFixed[1] !== rmem[1]) {
        parts.push(`tcp_rmem[1] ${inputs.tcpRmem[1]} -> ${rmemFixed[1]}: the default must not exceed the max`);
      }
      commands.push(sysctlCommand("net.ipv4.tcp_rmem", tripleText(rmemFixed), "global", parts.join("; ")));
    }
    if (sysPlan.changes.has("rmem_max")) {
      const without = withoutChange(inputs, sysPlan, "rmem_max");
      const v = sysPlan.inputs.rmemMax;
      const viaSoRcvbuf = inputs.soRcvbuf != null && sysPlan.result.decidedBy === "SO_RCVBUF";
      const stays =
        without.wscale === n
          ? ""
          : viaSoRcvbuf
            ? `the application's SO_RCVBUF ${inputs.soRcvbuf} is taken as min(SO_RCVBUF, rmem_max), doubled, and becomes the window_clamp, so with rmem_max ${inputs.rmemMax} the shift would stay at ${without.wscale ?? "none"}; `
            : `the kernel takes max(tcp_rmem[2], rmem_max), so with rmem_max ${inputs.rmemMax} the shift would stay at ${without.wscale ?? "none"}; `;
      commands.push(
        sysctlCommand(
          "net.core.rmem_max",
          String(v),
          "global",
          `rmem_max ${inputs.rmemMax} -> ${v}: ${stays}` +
            (lowering
              ? `this also caps SO_RCVBUF for every socket of every protocol (UDP and QUIC servers ask for large buffers) at ${v}. `
              : "it also lets applications ask for larger SO_RCVBUF. ") +
            "rmem_max can only be changed from the host: inside a container (a child network namespace) it is read-only",
        ),
      );
    }
    const ceiling = sysPlan.result.windowCeiling;
    if (needsRoute) {
      commands.push({
        kind: "route",
        scope: "global",
        command: routeWindowCommand(route, sysPlan.inputs.routeWindow ?? L),
        why: `the route's window metric ${inputs.routeWindow} caps the shift at ${current.wscale}: it must be raised too (or the route replaced without \`window\`)`,
      });
    }
    notes.push(
      `after the global change: ${shiftText(sysPlan.result)} (decided by ${sysPlan.result.decidedBy}), window up to ${formatBytes(ceiling)}: ${capText(ceiling, rtts)}`,
    );
  } else if (sysPlan === null && routePlan === null) {
    notes.push(blocker(inputs, current, n));
  } else if (sysPlan === null) {
    notes.push(`${blocker(inputs, current, n)}: only the route metric above does`);
  }

  // 3. Last resort (only when the goal is a smaller shift): no option at all.
  if (lowering && (current.wscale !== null || inputs.tcpWindowScaling !== 0)) {
    commands.push({
      kind: "sysctl",
      scope: "last-resort",
      command: "sysctl -w net.ipv4.tcp_window_scaling=0",
      why:
        `last resort: no window-scale option at all, so neither direction of any connection of this host scales: every window is capped at 65535 bytes, ` +
        `${capText(MAX_UNSCALED_WINDOW, rtts)} instead of ${capText(maxWin, rtts)} with shift ${n}. ` +
        `Unlike shift 0 (route window 65535), it also stops the peer from scaling the other direction. ` +
        `To keep it after a reboot: net.ipv4.tcp_window_scaling = 0 in ${SYSCTL_CONF_PATH}`,
    });
  }
  return sysPlan;
}

function enableScalingCommand(scope: "route" | "global"): AdviceCommand {
  return sysctlCommand(
    "net.ipv4.tcp_window_scaling",
    "1",
    scope,
    "net.ipv4.tcp_window_scaling = 0: the SYN carries no window-scale option at all; it must be on for any shift",
  );
}

/** A bandwidth-delay product no single connection can carry: say so, and what the best is. */
function beyondShift14(bdpText: string, bdp: number, rate: number, rtt: number): string {
  const max = maxWindowForShift(TCP_MAX_WSCALE);
  const best = throughput(max, rtt).bitsPerSec;
  return (
    `${bdpText} is beyond what one TCP connection can reach: the largest window is 65535 << 14 = ${formatBytes(max)} ` +
    `(shift 14, the RFC 7323 maximum), which carries at most ${formatBits(best)} at ${formatDuration(rtt)}. ` +
    `${formatBits(rate)} needs ${Math.ceil(bdp / max)} connections in parallel; the changes advised get one connection to that best figure`
  );
}

/** Why no sysctl reaches shift n: what the model says holds it. */
function blocker(inputs: LinuxWscaleInputs, current: LinuxWscaleResult, n: number): string {
  const c = current.windowClamp;
  if (c?.source === "TCP_WINDOW_CLAMP") {
    return `no sysctl gives shift ${n}: the application sets TCP_WINDOW_CLAMP ${c.value}, which caps the shift at ${current.shiftIfEnabled}; only the application can change it`;
  }
  if (c?.source === "SO_RCVBUF" || inputs.soRcvbuf != null) {
    return `no sysctl gives shift ${n}: the application sets SO_RCVBUF ${inputs.soRcvbuf} (sk_rcvbuf ${current.skRcvbuf}, window_clamp ${current.socketSpace}), which decides the shift; only the application can change it`;
  }
  if (c?.source === "route window") {
    return `no sysctl gives shift ${n}: the route's window metric ${c.value} caps the shift at ${current.shiftIfEnabled}`;
  }
  return `no change of tcp_rmem or rmem_max gives shift ${n}`;
}
