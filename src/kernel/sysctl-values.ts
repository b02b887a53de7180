/** Reading and parsing the Linux sysctls that decide the window-scale shift. */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Triple } from "./linux-wscale.js";

export interface LinuxSysctls {
  readonly tcpWindowScaling: number;
  readonly tcpRmem: Triple;
  readonly tcpWmem: Triple;
  readonly rmemMax: number;
  readonly wmemMax: number;
}

export type SysctlName =
  | "net.ipv4.tcp_window_scaling"
  | "net.ipv4.tcp_rmem"
  | "net.ipv4.tcp_wmem"
  | "net.core.rmem_max"
  | "net.core.wmem_max";

/**
 * Upstream defaults of a current kernel (6.18): tcp_rmem[2] became 32 MiB in 6.16, rmem_max and wmem_max 4 MiB
 * in 6.18. Advice for a host whose values are not known says it assumes these (LINUX_DEFAULTS_TEXT).
 */
export const LINUX_DEFAULTS: LinuxSysctls = {
  tcpWindowScaling: 1,
  tcpRmem: [4096, 131072, 33554432],
  tcpWmem: [4096, 16384, 4194304],
  rmemMax: 4194304,
  wmemMax: 4194304,
};

export const LINUX_DEFAULTS_VERSION = "Linux 6.18";

/** "assuming Linux 6.18 defaults: tcp_rmem = 4096 131072 33554432, rmem_max = 4194304": what decides the shift. */
export const LINUX_DEFAULTS_TEXT = `assuming ${LINUX_DEFAULTS_VERSION} defaults: tcp_rmem = ${LINUX_DEFAULTS.tcpRmem.join(" ")}, rmem_max = ${LINUX_DEFAULTS.rmemMax}`;

/** Where under /proc/sys a sysctl lives: dots become slashes. */
export function procSysPath(name: SysctlName, root = "/proc/sys"): string {
  return join(root, ...name.split("."));
}

/** A non-negative integer that fits an int sysctl, or null. */
function parseIntValue(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) && n <= 0x7fff_ffff ? n : null;
}

/** "4096 131072 6291456" (spaces or tabs, as /proc/sys prints it) -> [4096, 131072, 6291456], or an error text. */
export function parseTriple(text: string): Triple | string {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 3) return `expected three numbers "min default max", got "${text.trim()}"`;
  const nums = parts.map(parseIntValue);
  const [a, b, c] = nums;
  if (a === null || b === null || c === null || a === undefined || b === undefined || c === undefined) {
    return `expected three non-negative integers "min default max", got "${text.trim()}"`;
  }
  if (c === 0) return `the max (third number) must be positive, got "${text.trim()}"`;
  return [a, b, c];
}

/** One integer sysctl value as /proc/sys prints it. */
export function parseSysctlInt(text: string): number | null {
  return parseIntValue(text.trim());
}

export interface ReadSysctls {
  readonly values: LinuxSysctls;
  /** Per sysctl: read from `root`, or the upstream default because it could not be read. */
  readonly sources: Record<SysctlName, "/proc/sys" | "default">;
  /** One line per value that could not be read (not Linux, or a sandbox). */
  readonly problems: string[];
}

/** Read the five sysctls under `root` (default /proc/sys); unreadable ones fall back to LINUX_DEFAULTS. */
export async function readLinuxSysctls(root = "/proc/sys"): Promise<ReadSysctls> {
  const problems: string[] = [];
  const sources = {} as Record<SysctlName, "/proc/sys" | "default">;
  async function read<T>(name: SysctlName, parse: (t: string) => T | string | null, fallback: T): Promise<T> {
    const path = procSysPath(name, root);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "error";
      problems.push(`${path}: cannot read (${code}); using the upstream default for ${name}`);
      sources[name] = "default";
      return fallback;
    }
    const v = parse(text);
    if (v === null || typeof v === "string") {
      problems.push(`${path}: unexpected content "${text.trim()}"; using the upstream default for ${name}`);
      sources[name] = "default";
      return fallback;
    }
    sources[name] = "/proc/sys";
    return v;
  }
  const tcpWindowScaling = await read("net.ipv4.tcp_window_scaling", parseSysctlInt, LINUX_DEFAULTS.tcpWindowScaling);
  const tcpRmem = await read("net.ipv4.tcp_rmem", parseTriple, LINUX_DEFAULTS.tcpRmem);
  const tcpWmem = await read("net.ipv4.tcp_wmem", parseTriple, LINUX_DEFAULTS.tcpWmem);
  const rmemMax = await read("net.core.rmem_max", parseSysctlInt, LINUX_DEFAULTS.rmemMax);
  const wmemMax = await read("net.core.wmem_max", parseSysctlInt, LINUX_DEFAULTS.wmemMax);
  return { values: { tcpWindowScaling, tcpRmem, tcpWmem, rmemMax, wmemMax }, sources, problems };
}
