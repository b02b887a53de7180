/**
 * The window-scale shift Linux puts in its SYN and SYN-ACK: a model of `tcp_select_initial_window`
 * (net/ipv4/tcp_output.c) and of the callers that feed it (`tcp_connect_init` for the SYN,
 * `tcp_openreq_init_rwin` for the SYN-ACK).
 *
 * What the kernel does, in the order it does it (6.x; the same in every version since 2.6.19 unless noted):
 *
 * 1. The socket's receive buffer `sk_rcvbuf` starts at `net.ipv4.tcp_rmem[1]` (tcp_init_sock). An application
 *    that calls `setsockopt(SO_RCVBUF, v)` before connect()/listen() gets `sk_rcvbuf = max(2 * min(v, rmem_max),
 *    SOCK_MIN_RCVBUF)` (the kernel doubles the value "for struct sk_buff overhead", caps the request at
 *    `net.core.rmem_max` unless SO_RCVBUFFORCE is used, and never goes below SOCK_MIN_RCVBUF = 2304 on x86-64),
 *    and the socket is marked SOCK_RCVBUF_LOCK.
 * 2. `tcp_full_space(sk)` = `tcp_win_from_space(sk_rcvbuf)` = `sk_rcvbuf * scaling_ratio >> 8`. The initial
 *    `scaling_ratio` is TCP_DEFAULT_SCALING_RATIO = 128 (50 %) on current kernels; 6.5 to 6.9 used
 *    `(1200 << 8) / SKB_TRUESIZE(4096)` = 65 (about 25 %) until "tcp: increase the default TCP scaling ratio";
 *    before 6.5 `tcp_adv_win_scale = 1` gave the same 50 %.
 * 3. `window_clamp` = the application's TCP_WINDOW_CLAMP if it set one (`max(val, SOCK_MIN_RCVBUF / 2)`),
 *    otherwise the route's `window` metric (RTAX_WINDOW, `ip route ... window N`), otherwise 0 = none:
 *    `tp->window_clamp ? : dst_metric(dst, RTAX_WINDOW)`. The app's clamp replaces the route's, it is not a min.
 * 4. With SOCK_RCVBUF_LOCK (the app set SO_RCVBUF), `window_clamp = tcp_full_space(sk)` when the clamp is 0 or
 *    larger: so SO_RCVBUF caps the shift *through the clamp*, not through the sysctls. It also changes `space`
 *    (the first argument), but step 5 maxes that away again.
 * 5. `tcp_select_initial_window(space = tcp_full_space, ..., window_clamp, wscale_ok = tcp_window_scaling)`:
 *      if (window_clamp == 0) window_clamp = 65535 << 14;
 *      space = min(window_clamp, space);
 *      ...
 *      if (wscale_ok) {
 *        space = max(space, tcp_rmem[2]);
 *        space = max(space, rmem_max);          // per network namespace since 6.x, read-only in a child netns
 *        space = min(space, window_clamp);
 *        rcv_wscale = clamp(ilog2(space) - 15, 0, 14);   // 5.x+; 2.6.17-4.19 used the loop below
 *      }
 *    With `tcp_window_scaling = 0` the SYN carries no window-scale option at all (not "shift 0").
 *
 * `net.ipv4.tcp_wmem` never enters: it bounds what this host can have in flight as a sender.
 */

/** RFC 7323 section 2.3; TCP_MAX_WSCALE. */
export const TCP_MAX_WSCALE = 14;
/** U16_MAX: the largest unscaled window. */
export const MAX_UNSCALED_WINDOW = 65535;
/** TCP_DEFAULT_SCALING_RATIO on current kernels: tcp_win_from_space() = space * ratio >> 8. */
export const DEFAULT_SCALING_RATIO = 128;
/** SOCK_MIN_RCVBUF on x86-64 (2048 + SKB_DATA_ALIGN(sizeof(struct sk_buff))): what SO_RCVBUF 1 gives. */
export const SOCK_MIN_RCVBUF = 2304;

const U32_MAX = 0xffff_ffff;

function u32(n: number): number {
  if (!Number.isFinite(n) || n <= 0) return 0;
  return n >= U32_MAX ? U32_MAX : Math.floor(n);
}

/** The kernel's ilog2 for a u32: floor(log2(n)), and -1 for 0 (fls(0) - 1). Exact, no floating point. */
export function ilog2(n: number): number {
  const v = u32(n);
  return v === 0 ? -1 : 31 - Math.clz32(v);
}

/**
 * The arguments `tcp_select_initial_window` works on, already resolved by its caller
 * (see the module comment for how sk_rcvbuf, SO_RCVBUF and the route metric become these).
 */
export interface SelectInitialWindowArgs {
  /** `__space`: tcp_full_space(sk) of the connecting socket or the listener. */
  readonly space: number;
  /** net.ipv4.tcp_rmem[2] of the socket's network namespace. */
  readonly tcpRmemMax: number;
  /** net.core.rmem_max. */
  readonly rmemMax: number;
  /** `*window_clamp` on entry: 0 = none. */
  readonly windowClamp: number;
  /** net.ipv4.tcp_window_scaling (and, for a SYN-ACK, the peer's SYN carried the option). */
  readonly wscaleOk: boolean;
}

export interface SelectInitialWindowOut {
  /** `*rcv_wscale`: 0 also when wscaleOk is false (the option is then simply not sent). */
  readonly rcvWscale: number;
  /** The `space` value the shift was taken from (after the max/min with the sysctls and the clamp). */
  readonly scaleSpace: number;
  /** `*window_clamp` on return: min(65535 << rcv_wscale, clamp). */
  readonly windowClamp: number;
}

/** The part common to both historical forms: everything up to the shift computation. */
function scaleSpaceOf(a: SelectInitialWindowArgs): { space: number; clamp: number } {
  const clamp = u32(a.windowClamp) === 0 ? MAX_UNSCALED_WINDOW * 2 ** TCP_MAX_WSCALE : u32(a.windowClamp);
  let space = Math.min(clamp, u32(a.space));
  space = Math.max(space, u32(a.tcpRmemMax));
  space = Math.max(space, u32(a.rmemMax));
  space = Math.min(space, clamp);
  return { space, clamp };
}

/**
 * The loop form (2.6.17 to 4.19; here as in 4.x, which includes the socket's own space in the max):
 *
 *     while (space > 65535 && (*rcv_wscale) < 14) { space >>= 1; (*rcv_wscale)++; }
 *
 * 2.6.17/2.6.18 had no `min(space, window_clamp)` before the loop (Stephen Hemminger added it in 2.6.19 so that
 * `ip route ... window 65535` could work around broken middleboxes), and kernels before 3.x took
 * `max(tcp_rmem[2], rmem_max)` without the socket's own space.
 */
export function tcpSelectInitialWindowLoop(a: SelectInitialWindowArgs): SelectInitialWindowOut {
  const { space: start, clamp } = scaleSpaceOf(a);
  let wscale = 0;
  if (a.wscaleOk) {
    let space = start;
    while (space > MAX_UNSCALED_WINDOW && wscale < TCP_MAX_WSCALE) {
      space = Math.floor(space / 2); // space >>= 1 on a u32
      wscale++;
    }
  }
  return { rcvWscale: wscale, scaleSpace: start, windowClamp: Math.min(MAX_UNSCALED_WINDOW * 2 ** wscale, clamp) };
}

/**
 * The ilog2 form (5.x to 6.18):
 *
 *     *rcv_wscale = clamp_t(int, ilog2(space) - 15, 0, TCP_MAX_WSCALE);
 */
export function tcpSelectInitialWindowIlog2(a: SelectInitialWindowArgs): SelectInitialWindowOut {
  const { space, clamp } = scaleSpaceOf(a);
  const wscale = a.wscaleOk ? Math.min(Math.max(ilog2(space) - 15, 0), TCP_MAX_WSCALE) : 0;
  return { rcvWscale: wscale, scaleSpace: space, windowClamp: Math.min(MAX_UNSCALED_WINDOW * 2 ** wscale, clamp) };
}

/** The shift for a given `space` (what `tcp_select_initial_window` computes once space is known). */
export function shiftForSpace(space: number): number {
  return Math.min(Math.max(ilog2(space) - 15, 0), TCP_MAX_WSCALE);
}

/** `tcp_win_from_space`: the window a receive buffer of `bytes` is taken to hold. */
export function winFromSpace(bytes: number, scalingRatio = DEFAULT_SCALING_RATIO): number {
  return Math.floor((u32(bytes) * scalingRatio) / 256);
}

export type Triple = readonly [number, number, number];

/** Everything that decides the shift on a Linux host, as sysctls and per-socket/per-route settings. */
export interface LinuxWscaleInputs {
  /** net.ipv4.tcp_window_scaling: 0 = no option at all. */
  readonly tcpWindowScaling: number;
  /** net.ipv4.tcp_rmem: min, default (initial sk_rcvbuf), max (autotuning limit; enters the shift). */
  readonly tcpRmem: Triple;
  /** net.ipv4.tcp_wmem: never changes the shift; bounds how much this host can have in flight as a sender. */
  readonly tcpWmem?: Triple | undefined;
  /** net.core.rmem_max: enters the shift, and caps what SO_RCVBUF can ask for. */
  readonly rmemMax: number;
  /** net.core.wmem_max: never changes the shift; caps what SO_SNDBUF can ask for. */
  readonly wmemMax?: number | undefined;
  /** The route's `window` metric (RTAX_WINDOW, `ip route ... window N`); becomes window_clamp. */
  readonly routeWindow?: number | null | undefined;
  /** setsockopt(TCP_WINDOW_CLAMP) before connect()/listen(); replaces the route metric entirely. */
  readonly tcpWindowClamp?: number | null | undefined;
  /** setsockopt(SO_RCVBUF, v) before connect()/listen(): the value the application passed (before doubling). */
  readonly soRcvbuf?: number | null | undefined;
  /** The application used SO_RCVBUFFORCE (CAP_NET_ADMIN): not capped by rmem_max. */
  readonly soRcvbufForce?: boolean | undefined;
  /** tp->scaling_ratio at SYN time (out of 256); 128 on current kernels. */
  readonly scalingRatio?: number | undefined;
}

export type DecidedBy =
  | "net.ipv4.tcp_window_scaling"
  | "net.ipv4.tcp_rmem[1]"
  | "net.ipv4.tcp_rmem[2]"
  | "net.core.rmem_max"
  | "window_clamp"
  | "SO_RCVBUF";

export type ClampSource = "route window" | "TCP_WINDOW_CLAMP" | "SO_RCVBUF";

export interface LinuxWscaleResult {
  /** The shift in the window-scale option; null when tcp_window_scaling = 0 (no option). */
  readonly wscale: number | null;
  /** The input whose value became `space` (ties go to the sysctl named first in the kernel's order). */
  readonly decidedBy: DecidedBy;
  /** The value the shift is taken from: min(max(socket space, tcp_rmem[2], rmem_max), window_clamp). */
  readonly space: number;
  /** The largest window the shift can express: 65535 << wscale (65535 when scaling is off). */
  readonly maxWindow: number;
  /** The largest receive window for this socket: min(maxWindow, window_clamp). */
  readonly windowCeiling: number;
  /** The window the receive buffer holds once autotuning reached its limit (sk_rcvbuf locked, or tcp_rmem[2]). */
  readonly bufferWindow: number;
  /** sk_rcvbuf at SYN time, and whether SO_RCVBUF locked it. */
  readonly skRcvbuf: number;
  readonly rcvbufLocked: boolean;
  /** tcp_full_space(sk): the socket's own space. */
  readonly socketSpace: number;
  /** The clamp in force at SYN time, and where it came from; null when none. */
  readonly windowClamp: { readonly value: number; readonly source: ClampSource } | null;
  /** What the shift would be if tcp_window_scaling were 1 (equal to wscale when it is). */
  readonly shiftIfEnabled: number;
  /** One line: which input dominated and why. */
  readonly explanation: string;
  /** The arithmetic: "space = min(max(...), window_clamp C) = N; floor(log2(N)) - 15 = ...". */
  readonly computation: string;
}

/** The model: the shift this host advertises in its SYN (and in its SYN-ACK to a SYN that offered scaling). */
export function linuxWscale(inp: LinuxWscaleInputs): LinuxWscaleResult {
  const ratio = inp.scalingRatio ?? DEFAULT_SCALING_RATIO;
  const rmemMax = u32(inp.rmemMax);
  const rmem1 = u32(inp.tcpRmem[1]);
  const rmem2 = u32(inp.tcpRmem[2]);
  const so = inp.soRcvbuf ?? null;

  // Step 1: sk_rcvbuf (sock_setsockopt SO_RCVBUF -> __sock_set_rcvbuf).
  const rcvbufLocked = so !== null;
  const skRcvbuf = rcvbufLocked
    ? Math.max(2 * Math.min(u32(so), inp.soRcvbufForce ? 0x3fff_ffff : rmemMax), SOCK_MIN_RCVBUF)
    : rmem1;
  // Step 2: tcp_full_space.
  const socketSpace = winFromSpace(skRcvbuf, ratio);
  // Step 3: window_clamp = TCP_WINDOW_CLAMP ?: RTAX_WINDOW.
  let clamp: { value: number; source: ClampSource } | null = null;
  const appClamp = inp.tcpWindowClamp ?? 0;
  if (appClamp > 0) clamp = { value: Math.max(u32(appClamp), SOCK_MIN_RCVBUF / 2), source: "TCP_WINDOW_CLAMP" };
  else if ((inp.routeWindow ?? 0) > 0) clamp = { value: u32(inp.routeWindow ?? 0), source: "route window" };
  // Step 4: SOCK_RCVBUF_LOCK limits the clamp to the socket's space.
  if (rcvbufLocked && (clamp === null || clamp.value > socketSpace))
    clamp = { value: socketSpace, source: "SO_RCVBUF" };

  const args: SelectInitialWindowArgs = {
    space: socketSpace,
    tcpRmemMax: rmem2,
    rmemMax,
    windowClamp: clamp?.value ?? 0,
    wscaleOk: true,
  };
  const out = tcpSelectInitialWindowIlog2(args);
  const enabled = inp.tcpWindowScaling !== 0;
  const space = out.scaleSpace;
  const shift = out.rcvWscale;

  const uncapped = Math.max(Math.min(socketSpace, clamp?.value ?? Number.POSITIVE_INFINITY), rmem2, rmemMax);
  let decidedBy: DecidedBy;
  // Compared with the uncapped value, not `space`: above 65535 << 14 the implicit clamp cuts every term alike.
  if (clamp !== null && clamp.value < uncapped) decidedBy = clamp.source === "SO_RCVBUF" ? "SO_RCVBUF" : "window_clamp";
  else if (uncapped === rmem2) decidedBy = "net.ipv4.tcp_rmem[2]";
  else if (uncapped === rmemMax) decidedBy = "net.core.rmem_max";
  else decidedBy = rcvbufLocked ? "SO_RCVBUF" : "net.ipv4.tcp_rmem[1]";

  const maxWindow = enabled ? MAX_UNSCALED_WINDOW * 2 ** shift : MAX_UNSCALED_WINDOW;
  const windowCeiling = Math.min(maxWindow, clamp?.value ?? Number.POSITIVE_INFINITY);
  const bufferWindow = winFromSpace(rcvbufLocked ? skRcvbuf : Math.max(rmem2, rmem1), ratio);

  const terms = [
    `socket space ${socketSpace}${rcvbufLocked ? ` (SO_RCVBUF ${u32(so)} -> sk_rcvbuf ${skRcvbuf})` : ""}`,
    `tcp_rmem[2] ${rmem2}`,
    `rmem_max ${rmemMax}`,
  ];
  // The clamp always shows: with none set the kernel uses 65535 << 14, and the arithmetic must add up either way.
  const clampText =
    clamp === null
      ? `window_clamp ${MAX_UNSCALED_WINDOW * 2 ** TCP_MAX_WSCALE} (none set: 65535 << 14)`
      : `window_clamp ${clamp.value} (${clamp.source})`;
  const how = `space = min(max(${terms.join(", ")}), ${clampText}) = ${space}; floor(log2(${space})) - 15 = ${ilog2(space) - 15}, clamped to 0..14 = ${shift}`;
  const explanation = enabled
    ? `shift ${shift} decided by ${decidedBy}: ${how}`
    : `net.ipv4.tcp_window_scaling = 0: the SYN carries no window-scale option (with it on the shift would be ${shift}: ${how})`;

  return {
    wscale: enabled ? shift : null,
    decidedBy: enabled ? decidedBy : "net.ipv4.tcp_window_scaling",
    space,
    maxWindow,
    windowCeiling,
    bufferWindow,
    skRcvbuf,
    rcvbufLocked,
    socketSpace,
    windowClamp: clamp,
    shiftIfEnabled: shift,
    explanation,
    computation: how,
  };
}

/** The largest window a shift can express: 65535 << shift. */
export function maxWindowForShift(shift: number | null): number {
  return shift === null ? MAX_UNSCALED_WINDOW : MAX_UNSCALED_WINDOW * 2 ** Math.min(Math.max(shift, 0), 14);
}

/**
 * The largest `space` (so the largest tcp_rmem[2], rmem_max or route `window`) that still gives shift `n`:
 * 2^(n+16) - 1, so 65535 for 0 and 262143 for 2. For 14 there is no upper bound; the largest value an int
 * sysctl takes (2^31 - 1) is returned.
 */
export function largestSpaceForShift(n: number): number {
  const s = checkShift(n);
  return s >= TCP_MAX_WSCALE ? 0x7fff_ffff : 2 ** (s + 16) - 1;
}

/** The smallest `space` that gives shift `n`: 2^(n+15) (0 for shift 0). */
export function smallestSpaceForShift(n: number): number {
  const s = checkShift(n);
  return s === 0 ? 0 : 2 ** (s + 15);
}

function checkShift(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > TCP_MAX_WSCALE) throw new RangeError(`shift must be 0..14, got ${n}`);
  return n;
}

/** Bytes in flight needed to fill a path: rate * RTT / 8. */
export function bdpBytes(rateBitsPerSec: number, rttSeconds: number): number {
  return Math.ceil((rateBitsPerSec * rttSeconds) / 8);
}

/**
 * The smallest shift whose window (65535 << shift) covers the bandwidth-delay product; 14 when even that
 * is not enough (check with maxWindowForShift).
 */
export function shiftForBdp(rateBitsPerSec: number, rttSeconds: number): number {
  const bdp = bdpBytes(rateBitsPerSec, rttSeconds);
  for (let s = 0; s < TCP_MAX_WSCALE; s++) if (maxWindowForShift(s) >= bdp) return s;
  return TCP_MAX_WSCALE;
}

export interface Throughput {
  readonly bytesPerSec: number;
  readonly bitsPerSec: number;
}

/** The most one connection can carry with `window` bytes in flight per round trip. */
export function throughput(window: number, rttSeconds: number): Throughput {
  if (!(rttSeconds > 0)) throw new RangeError(`RTT must be positive, got ${rttSeconds}`);
  const bytesPerSec = window / rttSeconds;
  return { bytesPerSec, bitsPerSec: bytesPerSec * 8 };
}
