/**
 * `wscale sysctl`: the window-scale shift this Linux host advertises, why, what it costs, and the exact lines
 * that change it. Every number comes from the model in src/kernel/linux-wscale.ts.
 */

import type { Argv, CommandModule } from "yargs";
import {
  type AdviceCommand,
  adviseLinux,
  capsFor,
  type LinuxAdvice,
  type RouteTarget,
  routePersistence,
  TYPICAL_RTTS,
} from "../../kernel/advice.js";
import { type LinuxWscaleInputs, type LinuxWscaleResult, linuxWscale, type Triple } from "../../kernel/linux-wscale.js";
import { lookupRoute } from "../../kernel/route-lookup.js";
import { parseSysctlInt, parseTriple, readLinuxSysctls, type SysctlName } from "../../kernel/sysctl-values.js";
import { formatBits, formatBytes, formatDuration, parseBytes, parseDuration, parseRate } from "../../kernel/units.js";
import { HELP_EPILOG } from "../exit-codes.js";
import {
  bytes,
  checkValues,
  InvalidValue,
  interfaceName,
  ipAddress,
  ipPrefix,
  memTriple,
  positiveBytes,
  rateBits,
  rttSeconds,
  shift,
  text,
  zeroOrOne,
} from "../option-values.js";

/** A bad flag value: one line, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface SysctlArgs {
  "tcp-rmem": string | undefined;
  "tcp-wmem": string | undefined;
  "rmem-max": string | undefined;
  "window-scaling": string | undefined;
  "window-clamp": string | undefined;
  "so-rcvbuf": string | undefined;
  "target-wscale": string | undefined;
  rtt: string | undefined;
  rate: string | undefined;
  dst: string | undefined;
  via: string | undefined;
  dev: string | undefined;
  format: "text" | "json";
  "proc-sys": string;
}

export type ValueSource = "flag" | "/proc/sys" | "default";

/** The JSON document of `wscale sysctl --format json`. */
export interface SysctlReport {
  readonly wscale: number | null;
  readonly decidedBy: string;
  readonly maxWindow: number;
  readonly space: number;
  readonly windowCeiling: number;
  readonly bufferWindow: number;
  readonly explanation: string;
  readonly computation: string;
  readonly inputs: {
    readonly tcpWindowScaling: number;
    readonly tcpRmem: Triple;
    readonly tcpWmem: Triple;
    readonly rmemMax: number;
    readonly wmemMax: number;
    readonly windowClamp: number | null;
    readonly soRcvbuf: number | null;
  };
  /** Where each value came from: a flag, this host's /proc/sys, or the upstream default (it could not be read). */
  readonly sources: Record<string, ValueSource>;
  /** The route the per-destination line is for, and where its gateway and device came from. */
  readonly route: RouteTarget & { readonly from: "flags" | "ip route get" | "recipe" | null };
  readonly windowClamp: LinuxWscaleResult["windowClamp"];
  readonly caps: {
    rttMs: number;
    window: number;
    bytesPerSec: number;
    bitsPerSec: number;
    bufferWindow: number;
    bufferBitsPerSec: number;
  }[];
  readonly goal: {
    readonly targetWscale: number | null;
    readonly rttMs: number | null;
    readonly rateBitsPerSec: number | null;
    readonly bdpBytes: number | null;
  };
  readonly target: number | null;
  readonly reason: string;
  readonly commands: AdviceCommand[];
  readonly notes: string[];
  readonly warnings: string[];
}

function usage<T>(flag: string, v: T | string): T {
  if (typeof v === "string") throw new UsageError(`--${flag}: ${v}`);
  return v;
}

function bytesFlag(flag: string, text: string | undefined): number | null {
  if (text === undefined) return null;
  const v = usage(flag, parseBytes(text));
  if (v === 0 && flag !== "so-rcvbuf") throw new UsageError(`--${flag}: must be positive`);
  return v;
}

/** Parse the flags, read /proc/sys for what they do not give, run the model and the advice. */
export async function buildSysctlReport(args: SysctlArgs): Promise<SysctlReport> {
  const rmemFlag = args["tcp-rmem"] === undefined ? undefined : usage("tcp-rmem", parseTriple(args["tcp-rmem"]));
  const wmemFlag = args["tcp-wmem"] === undefined ? undefined : usage("tcp-wmem", parseTriple(args["tcp-wmem"]));
  const rmemMaxFlag = bytesFlag("rmem-max", args["rmem-max"]);
  const windowClamp = bytesFlag("window-clamp", args["window-clamp"]);
  const soRcvbuf = bytesFlag("so-rcvbuf", args["so-rcvbuf"]);
  let scalingFlag: number | undefined;
  if (args["window-scaling"] !== undefined) {
    const v = parseSysctlInt(args["window-scaling"]);
    if (v !== 0 && v !== 1) throw new UsageError(`--window-scaling: must be 0 or 1, got "${args["window-scaling"]}"`);
    scalingFlag = v;
  }
  let targetWscale: number | undefined;
  if (args["target-wscale"] !== undefined) {
    const t = String(args["target-wscale"]).trim();
    if (!/^\d+$/.test(t) || Number(t) > 14) {
      throw new UsageError(`--target-wscale: must be a shift from 0 to 14, got "${args["target-wscale"]}"`);
    }
    targetWscale = Number(t);
  }
  const rtt = args.rtt === undefined ? undefined : usage("rtt", parseDuration(args.rtt));
  const rate = args.rate === undefined ? undefined : usage("rate", parseRate(args.rate));
  if (rate !== undefined && rtt === undefined)
    throw new UsageError("--rate needs --rtt (the bandwidth-delay product needs both)");

  const read = await readLinuxSysctls(args["proc-sys"]);
  const sources: Record<string, ValueSource> = {};
  const flagged = new Set<SysctlName>();
  const pick = <T>(name: SysctlName, flag: T | undefined | null, fromProc: T): T => {
    if (flag !== undefined && flag !== null) {
      sources[name] = "flag";
      flagged.add(name);
      return flag;
    }
    sources[name] = read.sources[name];
    return fromProc;
  };
  const tcpWindowScaling = pick("net.ipv4.tcp_window_scaling", scalingFlag, read.values.tcpWindowScaling);
  const tcpRmem = pick("net.ipv4.tcp_rmem", rmemFlag, read.values.tcpRmem);
  const tcpWmem = pick("net.ipv4.tcp_wmem", wmemFlag, read.values.tcpWmem);
  const rmemMax = pick("net.core.rmem_max", rmemMaxFlag, read.values.rmemMax);
  // No flag for wmem_max: it only sizes what applications may ask for with SO_SNDBUF, never the shift.
  const wmemMax = pick("net.core.wmem_max", undefined, read.values.wmemMax);
  if (windowClamp !== null) sources.window_clamp = "flag";
  if (soRcvbuf !== null) sources.SO_RCVBUF = "flag";
  const warnings = read.problems.filter(
    (p) => ![...flagged].some((name) => p.endsWith(name)) && (rate !== undefined || !p.endsWith("net.core.wmem_max")),
  );

  // The route line: gateway and device from the flags, else from this host's routing table when this host is the
  // one advised, else a recipe that looks them up where it runs.
  const otherMachine = flagged.size > 0;
  let route: SysctlReport["route"] = { dst: args.dst, via: args.via, dev: args.dev, from: null };
  const notes: string[] = [];
  if (args.dst !== undefined) {
    if (args.dev !== undefined) route = { ...route, onLink: args.via === undefined, from: "flags" };
    else if (otherMachine) route = { ...route, from: "recipe" };
    else {
      const found = await lookupRoute(args.dst);
      if (found.problem === null) route = { ...found.route, from: "ip route get" };
      else {
        route = { ...route, from: "recipe" };
        notes.push(`${found.problem}: the route line looks up gateway and device where it runs`);
      }
    }
  }

  const inputs: LinuxWscaleInputs = {
    tcpWindowScaling,
    tcpRmem,
    tcpWmem,
    rmemMax,
    wmemMax,
    routeWindow: windowClamp,
    soRcvbuf,
  };
  const result = linuxWscale(inputs);
  const advice: LinuxAdvice = adviseLinux(inputs, { targetWscale, rateBitsPerSec: rate, rttSeconds: rtt }, route);
  const fromHost = (Object.keys(sources) as string[]).filter((k) => sources[k] !== "flag" && k.startsWith("net."));
  if (otherMachine && fromHost.length > 0) {
    notes.push(
      `not given, so read from this host: ${fromHost.map((k) => `${k} = ${valueText(inputs, k)}${sources[k] === "default" ? " (upstream default)" : ""}`).join(", ")}; ` +
        "if you are advising another machine, give its values too (they differ between kernels: rmem_max became 4 MiB in 6.18)",
    );
  }
  const rtts = rtt !== undefined ? [rtt] : TYPICAL_RTTS;
  const buffer = capsFor(result.bufferWindow, rtts);
  const caps = capsFor(result.windowCeiling, rtts).map((c, i) => ({
    ...c,
    bufferWindow: result.bufferWindow,
    bufferBitsPerSec: buffer[i]?.bitsPerSec ?? 0,
  }));

  return {
    wscale: result.wscale,
    decidedBy: result.decidedBy,
    maxWindow: result.maxWindow,
    space: result.space,
    windowCeiling: result.windowCeiling,
    bufferWindow: result.bufferWindow,
    explanation: result.explanation,
    computation: result.computation,
    inputs: { tcpWindowScaling, tcpRmem, tcpWmem, rmemMax, wmemMax, windowClamp, soRcvbuf },
    sources,
    route,
    windowClamp: result.windowClamp,
    caps,
    goal: {
      targetWscale: targetWscale ?? null,
      rttMs: rtt === undefined ? null : rtt * 1e3,
      rateBitsPerSec: rate ?? null,
      bdpBytes: advice.bdpBytes,
    },
    target: advice.target,
    reason: advice.reason,
    commands: advice.commands,
    notes: [...notes, ...advice.notes],
    warnings,
  };
}

function valueText(inputs: LinuxWscaleInputs, key: string): string {
  if (key === "net.ipv4.tcp_rmem") return inputs.tcpRmem.join(" ");
  if (key === "net.ipv4.tcp_wmem") return (inputs.tcpWmem ?? []).join(" ");
  if (key === "net.core.rmem_max") return String(inputs.rmemMax);
  if (key === "net.core.wmem_max") return String(inputs.wmemMax);
  return String(inputs.tcpWindowScaling);
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((l) => (l === "" ? l : prefix + l))
    .join("\n");
}

/** The terminal rendering of a report. */
export function renderSysctlText(r: SysctlReport): string {
  const out: string[] = [];
  const SOURCE: Record<ValueSource, string> = {
    flag: "given",
    "/proc/sys": "this host",
    default: `upstream default: not readable here`,
  };
  const src = (k: string) => (r.sources[k] === undefined ? "" : `  (${SOURCE[r.sources[k]]})`);
  const i = r.inputs;
  out.push("Inputs:");
  out.push(`  net.ipv4.tcp_window_scaling = ${i.tcpWindowScaling}${src("net.ipv4.tcp_window_scaling")}`);
  out.push(`  net.ipv4.tcp_rmem           = ${i.tcpRmem.join(" ")}${src("net.ipv4.tcp_rmem")}`);
  out.push(
    `  net.ipv4.tcp_wmem           = ${i.tcpWmem.join(" ")}${src("net.ipv4.tcp_wmem")}  (never changes the shift)`,
  );
  out.push(`  net.core.rmem_max           = ${i.rmemMax}${src("net.core.rmem_max")}`);
  if (r.goal.rateBitsPerSec !== null)
    out.push(`  net.core.wmem_max           = ${i.wmemMax}${src("net.core.wmem_max")}`);
  if (i.windowClamp !== null)
    out.push(`  window_clamp                = ${i.windowClamp}  (route window metric or TCP_WINDOW_CLAMP)`);
  if (i.soRcvbuf !== null)
    out.push(`  SO_RCVBUF                   = ${i.soRcvbuf}  (set by the application before connect/listen)`);
  out.push("");
  if (r.wscale === null) {
    out.push("Advertised window scale: none (net.ipv4.tcp_window_scaling = 0: the SYN carries no window-scale option)");
  } else {
    const decider = r.sources[r.decidedBy.replace(/\[\d\]$/, "")];
    const mixed = Object.values(r.sources).includes("flag") && decider !== undefined && decider !== "flag";
    out.push(
      `Advertised window scale: ${r.wscale}, decided by ${r.decidedBy}${mixed ? ` (${SOURCE[decider]}'s value, not given)` : ""}`,
    );
  }
  out.push(`  ${r.computation}`);
  out.push(
    r.wscale === null
      ? `Largest window: ${formatBytes(r.maxWindow)} (unscaled)`
      : `Largest window: 65535 << ${r.wscale} = ${formatBytes(r.maxWindow)}` +
          (r.windowCeiling < r.maxWindow ? `; window_clamp limits it to ${formatBytes(r.windowCeiling)}` : ""),
  );
  out.push(
    `Receive buffer: autotuning grows it up to about ${formatBytes(r.bufferWindow)} of window (at the kernel's initial 50 % payload ratio; it adapts to the traffic)`,
  );
  out.push("Throughput cap of one connection:");
  for (const c of r.caps) {
    const buf = c.bufferWindow < c.window ? `; ${formatBits(c.bufferBitsPerSec)} by the receive buffer` : "";
    out.push(`  RTT ${formatDuration(c.rttMs / 1e3).padStart(6)}: ${formatBits(c.bitsPerSec)} by the window${buf}`);
  }
  out.push("");
  out.push(`Goal: ${r.reason}`);
  const groups: [AdviceCommand["scope"], string][] = [
    ["route", "Per destination (only connections on that route):"],
    ["global", "Global (every connection of this host):"],
    ["last-resort", "Last resort:"],
  ];
  for (const [scope, title] of groups) {
    const cmds = r.commands.filter((c) => c.scope === scope);
    if (cmds.length === 0) continue;
    out.push("");
    out.push(title);
    for (const c of cmds) {
      if (c.kind === "file") {
        // Column 0: a heredoc's terminator must start its line, and the block is pasted as it stands.
        out.push(`  # ${c.why}:`);
        out.push(c.command);
      } else {
        out.push(indent(c.command, "  "));
        out.push(`    # ${c.why}`);
        if (c.kind === "route" && r.route.from === "ip route get")
          out.push(`    # gateway and device: \`ip route get\` on this host`);
        if (c.kind === "route") out.push(`    # ${routePersistence(c.command)}`);
      }
    }
  }
  if (r.notes.length > 0) {
    out.push("");
    out.push("Notes:");
    for (const n of r.notes) out.push(`  - ${n}`);
  }
  return `${out.join("\n")}\n`;
}

/** Each flag's check (src/cli/option-values.ts); the handler parses the texts as given. */
const FLAG_VALUES: Record<string, (text: string) => unknown> = {
  "tcp-rmem": memTriple,
  "tcp-wmem": memTriple,
  "rmem-max": positiveBytes,
  "window-scaling": zeroOrOne,
  "window-clamp": positiveBytes,
  "so-rcvbuf": bytes,
  "target-wscale": shift,
  rtt: rttSeconds,
  rate: rateBits,
  dst: ipPrefix,
  via: ipAddress,
  dev: interfaceName,
  format: text,
  "proc-sys": text,
};

function builder(y: Argv): Argv<SysctlArgs> {
  return y
    .option("tcp-rmem", {
      type: "string",
      describe: 'net.ipv4.tcp_rmem of the host to advise, "min default max" (default: read from /proc/sys)',
    })
    .option("tcp-wmem", { type: "string", describe: 'net.ipv4.tcp_wmem, "min default max" (never changes the shift)' })
    .option("rmem-max", { type: "string", describe: "net.core.rmem_max in bytes (K/M/G = x1024)" })
    .option("window-scaling", { type: "string", describe: "net.ipv4.tcp_window_scaling: 0 or 1" })
    .option("window-clamp", {
      type: "string",
      describe: "a route `window` metric or TCP_WINDOW_CLAMP in bytes: becomes the socket's window_clamp",
    })
    .option("so-rcvbuf", {
      type: "string",
      describe: "the SO_RCVBUF an application sets before connect/listen (the kernel doubles it and clamps with it)",
    })
    .option("target-wscale", {
      type: "string",
      describe: "print the lines that make this host advertise shift N (0-14)",
    })
    .option("rtt", { type: "string", describe: "round-trip time for the caps and the advice: 30ms, 0.03s, 30000us" })
    .option("rate", {
      type: "string",
      describe: "rate one connection must reach, with --rtt: 1Gbit, 100Mbit/s, 500k (bits/s); 10MB/s (bytes/s)",
    })
    .option("dst", {
      type: "string",
      describe: "destination address or prefix for the per-route line, e.g. 198.51.100.0/24",
    })
    .option("via", { type: "string", describe: "gateway of that route (an IPv4 or IPv6 address)" })
    .option("dev", { type: "string", describe: "interface of that route, e.g. eth0" })
    .option("format", { choices: ["text", "json"] as const, default: "text" as const, describe: "output format" })
    .option("proc-sys", { type: "string", default: "/proc/sys", describe: "where to read the sysctls from" })
    .check((argv) => {
      try {
        checkValues(argv, FLAG_VALUES);
      } catch (e) {
        throw e instanceof InvalidValue ? new UsageError(e.message) : e;
      }
      return true;
    })
    .example("$0 sysctl", "the shift this host advertises, which setting decides it, and the throughput caps")
    .example(
      "$0 sysctl --target-wscale 2 --dst 198.51.100.0/24 --via 192.0.2.1 --dev eth0",
      "the route, sysctl and sysctl.d lines that make it advertise shift 2",
    )
    .example("$0 sysctl --rtt 30ms --rate 1Gbit", "what one 1 Gbit/s connection at 30 ms needs")
    .example(
      '$0 sysctl --tcp-rmem "4096 131072 6291456" --rmem-max 212992 --window-scaling 1 --format json',
      "advise another machine from its values",
    )
    .epilog(HELP_EPILOG);
}

export const sysctlCommand: CommandModule<object, SysctlArgs> = {
  command: "sysctl",
  describe: "the window scale this Linux host advertises, why, and the lines that change it",
  builder,
  handler: async (argv) => {
    const report = await buildSysctlReport(argv);
    for (const w of report.warnings) process.stderr.write(`wscale sysctl: warning: ${w}\n`);
    process.stdout.write(argv.format === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderSysctlText(report));
    process.exitCode = 0;
  },
};
