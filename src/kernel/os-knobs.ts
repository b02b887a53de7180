/**
 * What decides the window-scale shift on stacks other than Linux, and the knob that changes it, one row per
 * family with its source. Linux has its own full model (linux-wscale.ts); these rows say what an engineer types
 * on the other systems. Where the source gives no exact relation, the row says to check the next SYN.
 */

import type { OsFamily } from "../connections/stacks.js";
import { MAX_UNSCALED_WINDOW } from "./linux-wscale.js";

export interface KnobLine {
  readonly command: string;
  readonly why: string;
}

export interface OsKnobs {
  readonly name: string;
  /** How the stack picks its shift, with the source. */
  readonly model: string;
  /** Shows the current settings. */
  readonly check: string;
  /** Turns window scaling on (the default everywhere). */
  readonly enable: KnobLine;
  /** Makes the host offer at most shift `n`; empty when the stack has no knob for the shift alone. */
  lower(n: number): KnobLine[];
  /** No window scaling at all: the last resort. */
  readonly disable: KnobLine;
  /** Where the setting has to go to survive a reboot. */
  readonly persist: string;
}

/** 65535 << n: the largest window shift n expresses, and the buffer ceiling that makes a BSD stack pick n. */
function windowOf(n: number): number {
  return MAX_UNSCALED_WINDOW * 2 ** n;
}

/** Windows' autotuning levels and the scale factors Microsoft documents for them. */
function windowsLevel(n: number): { level: string; shift: string } | null {
  if (n >= 8) return null;
  if (n >= 4) return { level: "restricted", shift: "4" };
  if (n >= 2) return { level: "highlyrestricted", shift: "2" };
  return { level: "disabled", shift: "none (the receive window stays at 64 KiB)" };
}

export const OS_KNOBS: Readonly<Record<Exclude<OsFamily, "linux" | "other">, OsKnobs>> = {
  windows: {
    name: "Windows",
    model:
      "Receive Window Auto-Tuning picks the shift: Microsoft documents scale factor 8 for autotuninglevel=normal (the default), 4 for restricted, 2 for highlyrestricted; disabled keeps the window at 64 KiB",
    check: "netsh interface tcp show global",
    enable: {
      command: "netsh interface tcp set global autotuninglevel=normal",
      why: "receive-window autotuning back on, with window scaling (an elevated prompt; `Get-NetTCPSetting | Format-Table SettingName, AutoTuningLevelLocal` shows it per profile)",
    },
    lower(n) {
      const w = windowsLevel(n);
      if (w === null) return [];
      return [
        {
          command: `netsh interface tcp set global autotuninglevel=${w.level}`,
          why: `offers shift ${w.shift} instead of 8, the largest the path lets through being ${n} (levels as Microsoft documents them: check the next SYN); \`Get-NetTCPSetting | Format-Table SettingName, AutoTuningLevelLocal\` shows the level in force`,
        },
      ];
    },
    disable: {
      command: "netsh interface tcp set global autotuninglevel=disabled",
      why: "last resort: the receive window stays at 64 KiB",
    },
    persist: "netsh settings persist across reboots",
  },
  macos: {
    name: "macOS",
    model:
      "XNU's tcp_set_max_rwinscale(): the shift starts at net.inet.tcp.win_scale_factor and grows until 65535 << shift covers net.inet.tcp.autorcvbufmax (twice that while the interface is not yet known)",
    check: "sysctl net.inet.tcp.rfc1323 net.inet.tcp.win_scale_factor net.inet.tcp.autorcvbufmax",
    enable: {
      command: "sudo sysctl -w net.inet.tcp.rfc1323=1",
      why: "RFC 1323 options (window scaling and timestamps) back on, the default",
    },
    lower(n) {
      return [
        {
          command: `sudo sysctl -w net.inet.tcp.win_scale_factor=${n} net.inet.tcp.autorcvbufmax=${windowOf(n)}`,
          why: `the smallest shift XNU then picks is ${n}; if the next SYN still offers ${n + 1} (XNU doubles autorcvbufmax before it knows the interface), halve autorcvbufmax. Receive buffers stop growing at ${windowOf(n)} bytes`,
        },
      ];
    },
    disable: {
      command: "sudo sysctl -w net.inet.tcp.rfc1323=0",
      why: "last resort: no window scaling (and no timestamps), windows capped at 65535 bytes",
    },
    persist: "the same keys in /etc/sysctl.conf (`key=value`, one per line)",
  },
  freebsd: {
    name: "FreeBSD",
    model:
      "FreeBSD's tcp_connect() and syncache request the smallest shift whose 65535 << shift covers kern.ipc.maxsockbuf (2 MiB by default: shift 6)",
    check: "sysctl kern.ipc.maxsockbuf net.inet.tcp.rfc1323",
    enable: {
      command: "sysctl net.inet.tcp.rfc1323=1",
      why: "RFC 1323 options (window scaling and timestamps) back on, the default",
    },
    lower(n) {
      return [
        {
          command: `sysctl kern.ipc.maxsockbuf=${windowOf(n)}`,
          why: `makes ${n} the shift requested; it is also the ceiling of every socket buffer of the host${n < 4 ? ", which this small a value hurts: prefer fixing the path" : ""}`,
        },
      ];
    },
    disable: {
      command: "sysctl net.inet.tcp.rfc1323=0",
      why: "last resort: no window scaling (and no timestamps), windows capped at 65535 bytes",
    },
    persist: "the same key in /etc/sysctl.conf",
  },
  netbsd: {
    name: "NetBSD",
    model: "NetBSD's tcp_usrreq() requests the smallest shift whose 65535 << shift covers kern.sbmax",
    check: "sysctl kern.sbmax net.inet.tcp.win_scale",
    enable: { command: "sysctl -w net.inet.tcp.win_scale=1", why: "window scaling back on, the default" },
    lower(n) {
      return [
        {
          command: `sysctl -w kern.sbmax=${windowOf(n)}`,
          why: `makes ${n} the shift requested; it is also the ceiling of every socket buffer of the host`,
        },
      ];
    },
    disable: {
      command: "sysctl -w net.inet.tcp.win_scale=0",
      why: "last resort: no window scaling, windows capped at 65535 bytes",
    },
    persist: "the same key in /etc/sysctl.conf",
  },
  openbsd: {
    name: "OpenBSD",
    model: "OpenBSD requests its shift from the socket buffer limit; we know of no knob for the shift alone",
    check: "sysctl net.inet.tcp.rfc1323",
    enable: {
      command: "sysctl net.inet.tcp.rfc1323=1",
      why: "RFC 1323 options (window scaling and timestamps) back on, the default",
    },
    lower() {
      return [];
    },
    disable: {
      command: "sysctl net.inet.tcp.rfc1323=0",
      why: "last resort: no window scaling (and no timestamps), windows capped at 65535 bytes",
    },
    persist: "the same key in /etc/sysctl.conf",
  },
  solaris: {
    name: "Solaris",
    model:
      "Solaris scales when its receive buffer (the tcp property recv_buf, or a route's -recvpipe) exceeds 64 KiB; check the next SYN after a change",
    check: "ipadm show-prop -p recv_buf,max_buf tcp",
    enable: {
      command: "ipadm set-prop -p _wscale_always=1 tcp",
      why: "window scaling offered on every connection (Solaris 11)",
    },
    lower(n) {
      return [
        {
          command: `route change -host <dst> -recvpipe ${windowOf(n)}`,
          why: `per destination (Solaris 8 and later): connections to it use a ${windowOf(n)}-byte receive buffer, which keeps the shift at or below ${n}`,
        },
      ];
    },
    disable: {
      command: "ipadm set-prop -p recv_buf=65535 tcp",
      why: "last resort: a receive buffer of at most 64 KiB needs no window scaling",
    },
    persist: "ipadm properties persist; route changes need `route -p`",
  },
};
