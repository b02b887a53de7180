/** The gateway and device this host uses for a destination, from `ip -j route get`, for route lines that run as printed. */

import { execFile } from "node:child_process";
import type { RouteTarget } from "./advice.js";

export interface RouteLookup {
  readonly route: RouteTarget;
  /** Why the lookup gave nothing (no `ip`, no route); the advice then prints a recipe that looks them up. */
  readonly problem: string | null;
}

/** One entry of `ip -j route get` output (iproute2). */
interface IpRouteGet {
  dst?: string;
  gateway?: string;
  dev?: string;
  type?: string;
}

/** Parse `ip -j route get <addr>` output into via/dev; null when it names no device. */
export function parseRouteGet(json: string, dst: string): RouteTarget | null {
  let entries: unknown;
  try {
    entries = JSON.parse(json);
  } catch {
    return null;
  }
  const first = Array.isArray(entries) ? (entries[0] as IpRouteGet | undefined) : undefined;
  if (first?.dev === undefined || (first.type !== undefined && first.type !== "unicast")) return null;
  return first.gateway !== undefined
    ? { dst, via: first.gateway, dev: first.dev }
    : { dst, dev: first.dev, onLink: true };
}

/** Ask this host's routing table how it reaches `dst` (an address or a prefix: its first address is asked). */
export function lookupRoute(dst: string, ipCommand = "ip"): Promise<RouteLookup> {
  const addr = dst.split("/")[0] ?? dst;
  return new Promise((resolve) => {
    execFile(ipCommand, ["-j", "route", "get", addr], { timeout: 3000 }, (err, stdout, stderr) => {
      if (err !== null) {
        const why = (stderr || err.message).trim().split("\n")[0];
        resolve({ route: { dst }, problem: `\`ip route get ${addr}\` failed: ${why}` });
        return;
      }
      const route = parseRouteGet(stdout, dst);
      resolve(
        route === null
          ? { route: { dst }, problem: `\`ip route get ${addr}\` named no unicast route with a device` }
          : { route, problem: null },
      );
    });
  });
}
