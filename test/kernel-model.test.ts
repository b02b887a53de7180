import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AdviceCommand, adviseLinux, routeWindowCommand } from "../src/kernel/advice.js";
import {
  bdpBytes,
  ilog2,
  type LinuxWscaleInputs,
  largestSpaceForShift,
  linuxWscale,
  maxWindowForShift,
  type SelectInitialWindowArgs,
  shiftForBdp,
  shiftForSpace,
  smallestSpaceForShift,
  tcpSelectInitialWindowIlog2,
  tcpSelectInitialWindowLoop,
  throughput,
  winFromSpace,
} from "../src/kernel/linux-wscale.js";
import { LINUX_DEFAULTS, parseTriple, readLinuxSysctls } from "../src/kernel/sysctl-values.js";
import { formatBits, formatBytes, formatDuration, parseBytes, parseDuration, parseRate } from "../src/kernel/units.js";

const MiB = 1024 * 1024;
/** Linux 6.18 defaults: tcp_rmem[2] 32 MiB (6.16+), rmem_max 4 MiB (6.18). */
const K618: LinuxWscaleInputs = {
  tcpWindowScaling: 1,
  tcpRmem: [4096, 131072, 32 * MiB],
  tcpWmem: [4096, 16384, 4 * MiB],
  rmemMax: 4 * MiB,
};

/** The SPEC's formula, written independently of the model. */
function specFormula(socketSpace: number, rmem2: number, rmemMax: number, clamp: number | null): number {
  let space = Math.max(socketSpace, rmem2, rmemMax);
  if (clamp !== null) space = Math.min(space, clamp);
  return Math.min(Math.max(Math.floor(Math.log2(Math.max(space, 1))) - 15, 0), 14);
}

/** Every power of two from 2^0 to 2^32 and its neighbours, plus 0. */
const edgeValues: number[] = [0];
for (let k = 0; k <= 32; k++) edgeValues.push(2 ** k - 1, 2 ** k, 2 ** k + 1);
const u32Values = [...new Set(edgeValues)].filter((v) => v >= 0 && v <= 0xffff_ffff);

describe("the two historical forms of tcp_select_initial_window", () => {
  it("agree on every power of two and its neighbours, for the space alone", () => {
    for (const v of u32Values) {
      for (const wscaleOk of [true, false]) {
        const args: SelectInitialWindowArgs = { space: v, tcpRmemMax: 0, rmemMax: 0, windowClamp: 0, wscaleOk };
        const loop = tcpSelectInitialWindowLoop(args);
        const log = tcpSelectInitialWindowIlog2(args);
        expect(log, `space ${v}`).toEqual(loop);
      }
    }
  });

  it("agree on every combination of edge values for space, tcp_rmem[2], rmem_max and window_clamp", () => {
    const sample = u32Values.filter((_, i) => i % 3 !== 2); // 2^k - 1 and 2^k: still covers every boundary
    let n = 0;
    for (const space of [0, 65536, 131072])
      for (const tcpRmemMax of sample)
        for (const rmemMax of [0, 65535, 65536, 212992, 4 * MiB, 2 ** 31 - 1])
          for (const windowClamp of sample) {
            const args = { space, tcpRmemMax, rmemMax, windowClamp, wscaleOk: true };
            const loop = tcpSelectInitialWindowLoop(args);
            expect(tcpSelectInitialWindowIlog2(args)).toEqual(loop);
            n++;
          }
    expect(n).toBeGreaterThan(10_000);
  });

  it("agree on random inputs", () => {
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    fc.assert(
      fc.property(u32, u32, u32, u32, fc.boolean(), (space, tcpRmemMax, rmemMax, windowClamp, wscaleOk) => {
        const args = { space, tcpRmemMax, rmemMax, windowClamp, wscaleOk };
        expect(tcpSelectInitialWindowIlog2(args)).toEqual(tcpSelectInitialWindowLoop(args));
      }),
      { numRuns: 20_000 },
    );
  });

  it("never exceed 14, and return the final window_clamp min(65535 << shift, clamp)", () => {
    const r = tcpSelectInitialWindowIlog2({
      space: 0xffff_ffff,
      tcpRmemMax: 0xffff_ffff,
      rmemMax: 0,
      windowClamp: 0,
      wscaleOk: true,
    });
    expect(r.rcvWscale).toBe(14);
    expect(r.windowClamp).toBe(65535 * 2 ** 14);
    const c = tcpSelectInitialWindowLoop({
      space: 65536,
      tcpRmemMax: 174760,
      rmemMax: 0,
      windowClamp: 100000,
      wscaleOk: true,
    });
    expect(c).toEqual({ rcvWscale: 1, scaleSpace: 100000, windowClamp: 100000 });
  });

  it("ilog2 is exact where floating point log2 is not trusted", () => {
    expect(ilog2(0)).toBe(-1);
    for (let k = 0; k < 32; k++) {
      expect(ilog2(2 ** k)).toBe(k);
      if (k > 1) expect(ilog2(2 ** k - 1)).toBe(k - 1);
    }
    expect(ilog2(0xffff_ffff)).toBe(31);
  });
});

describe("the model agrees with both forms and with the SPEC formula", () => {
  const byteValue = fc.oneof(
    fc.constantFrom(...u32Values.filter((v) => v <= 2 ** 31 - 1)),
    fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  );
  it("for sysctls, route window, TCP_WINDOW_CLAMP and SO_RCVBUF drawn at random", () => {
    fc.assert(
      fc.property(
        fc.tuple(byteValue, byteValue, byteValue),
        byteValue,
        fc.option(byteValue, { nil: null }),
        fc.option(byteValue, { nil: null }),
        fc.option(fc.integer({ min: 0, max: 64 * MiB }), { nil: null }),
        fc.constantFrom(0, 1),
        (rmem, rmemMax, routeWindow, tcpWindowClamp, soRcvbuf, tcpWindowScaling) => {
          const inputs: LinuxWscaleInputs = {
            tcpWindowScaling,
            tcpRmem: rmem,
            rmemMax,
            routeWindow,
            tcpWindowClamp,
            soRcvbuf,
          };
          const r = linuxWscale(inputs);
          // Resolve the callers by hand (tcp_connect_init), then run both forms.
          const skRcvbuf = soRcvbuf === null ? rmem[1] : Math.max(2 * Math.min(soRcvbuf, rmemMax), 2304);
          const full = Math.floor((skRcvbuf * 128) / 256);
          // TCP_WINDOW_CLAMP 0 means "none" (tcp_set_window_clamp resets it).
          let clamp = tcpWindowClamp ? Math.max(tcpWindowClamp, 1152) : (routeWindow ?? 0);
          if (soRcvbuf !== null && (clamp === 0 || clamp > full)) clamp = full;
          const args = { space: full, tcpRmemMax: rmem[2], rmemMax, windowClamp: clamp, wscaleOk: true };
          const loop = tcpSelectInitialWindowLoop(args).rcvWscale;
          expect(tcpSelectInitialWindowIlog2(args).rcvWscale).toBe(loop);
          expect(r.shiftIfEnabled).toBe(loop);
          expect(r.shiftIfEnabled).toBe(
            specFormula(Math.min(full, clamp || Infinity), rmem[2], rmemMax, clamp || null),
          );
          expect(r.wscale).toBe(tcpWindowScaling === 1 ? loop : null);
          expect(r.maxWindow).toBe(tcpWindowScaling === 1 ? 65535 * 2 ** loop : 65535);
        },
      ),
      { numRuns: 20_000 },
    );
  });
});

describe("the SPEC's table", () => {
  it.each([
    [174760, 2],
    [212992, 2],
    [4 * MiB, 7],
    [6 * MiB, 7],
    [32 * MiB, 10],
  ])("space %i -> shift %i", (space, shift) => {
    expect(shiftForSpace(space)).toBe(shift);
    // As tcp_rmem[2] and as rmem_max, with the other one small.
    expect(linuxWscale({ ...K618, tcpRmem: [4096, 131072, space], rmemMax: 212992 }).wscale).toBe(Math.max(shift, 2));
    expect(linuxWscale({ ...K618, tcpRmem: [4096, 131072, 174760], rmemMax: space }).wscale).toBe(shift);
  });

  it("6.18 defaults -> 10, decided by tcp_rmem[2]", () => {
    const r = linuxWscale(K618);
    expect(r).toMatchObject({ wscale: 10, decidedBy: "net.ipv4.tcp_rmem[2]", space: 32 * MiB, maxWindow: 67107840 });
  });

  it("tcp_rmem[2] = 174760 -> 7: rmem_max 4 MiB wins", () => {
    const r = linuxWscale({ ...K618, tcpRmem: [4096, 131072, 174760] });
    expect(r).toMatchObject({ wscale: 7, decidedBy: "net.core.rmem_max", space: 4 * MiB, maxWindow: 8388480 });
  });

  it("route window 174760 -> 2", () => {
    const r = linuxWscale({ ...K618, routeWindow: 174760 });
    expect(r).toMatchObject({ wscale: 2, decidedBy: "window_clamp", space: 174760, windowCeiling: 174760 });
    expect(r.windowClamp).toEqual({ value: 174760, source: "route window" });
  });

  it("route window 65535 -> 0, the option still present", () => {
    const r = linuxWscale({ ...K618, routeWindow: 65535 });
    expect(r.wscale).toBe(0);
    expect(r.maxWindow).toBe(65535);
  });

  it("SO_RCVBUF 64 KiB -> 1: doubled to sk_rcvbuf 131072, half of it is the window_clamp", () => {
    const r = linuxWscale({ ...K618, soRcvbuf: 65536 });
    expect(r).toMatchObject({ wscale: 1, decidedBy: "SO_RCVBUF", skRcvbuf: 131072, socketSpace: 65536, space: 65536 });
    expect(r.windowClamp).toEqual({ value: 65536, source: "SO_RCVBUF" });
  });

  it("SO_RCVBUF above rmem_max is capped by it (SO_RCVBUFFORCE is not)", () => {
    expect(linuxWscale({ ...K618, soRcvbuf: 16 * MiB }).wscale).toBe(7); // min(16 MiB, 4 MiB) * 2 * 1/2 = 4 MiB
    expect(linuxWscale({ ...K618, soRcvbuf: 16 * MiB, soRcvbufForce: true }).wscale).toBe(9);
  });

  it("the 6.5-6.9 scaling ratio (65/256) turns SO_RCVBUF 64 KiB into shift 0", () => {
    expect(linuxWscale({ ...K618, soRcvbuf: 65536, scalingRatio: 65 }).wscale).toBe(0);
  });

  it("TCP_WINDOW_CLAMP replaces the route's metric rather than taking the smaller", () => {
    const r = linuxWscale({ ...K618, routeWindow: 65535, tcpWindowClamp: MiB });
    expect(r.wscale).toBe(5);
    expect(r.windowClamp).toEqual({ value: MiB, source: "TCP_WINDOW_CLAMP" });
  });

  it("tcp_window_scaling = 0 -> no option (null), a 64 KiB window", () => {
    const r = linuxWscale({ ...K618, tcpWindowScaling: 0 });
    expect(r).toMatchObject({
      wscale: null,
      decidedBy: "net.ipv4.tcp_window_scaling",
      maxWindow: 65535,
      shiftIfEnabled: 10,
    });
  });

  it("tcp_wmem never changes the shift", () => {
    for (const w of [4096, 65535, 64 * MiB]) {
      expect(linuxWscale({ ...K618, tcpWmem: [4096, 16384, w] }).wscale).toBe(10);
    }
  });

  it("a tcp_rmem[1] above both maxima decides it (the socket's own space)", () => {
    const r = linuxWscale({ ...K618, tcpRmem: [4096, 64 * MiB, 212992], rmemMax: 212992 });
    expect(r).toMatchObject({ wscale: 10, decidedBy: "net.ipv4.tcp_rmem[1]", socketSpace: 32 * MiB });
  });
});

describe("inverse helpers", () => {
  it("largestSpaceForShift / smallestSpaceForShift round-trip through the model", () => {
    expect(largestSpaceForShift(0)).toBe(65535);
    expect(largestSpaceForShift(2)).toBe(262143);
    expect(largestSpaceForShift(7)).toBe(8388607);
    expect(smallestSpaceForShift(0)).toBe(0);
    expect(smallestSpaceForShift(1)).toBe(65536);
    for (let n = 0; n <= 14; n++) {
      const L = largestSpaceForShift(n);
      expect(shiftForSpace(L)).toBe(n);
      if (n < 14) expect(shiftForSpace(L + 1)).toBe(n + 1);
      expect(shiftForSpace(smallestSpaceForShift(n))).toBe(n);
      if (n > 0) expect(shiftForSpace(smallestSpaceForShift(n) - 1)).toBe(n - 1);
      // As a route window on 6.18 defaults, and as tcp_rmem[2] = rmem_max.
      if (n <= 10) expect(linuxWscale({ ...K618, routeWindow: L }).wscale).toBe(n);
      expect(linuxWscale({ ...K618, tcpRmem: [4096, Math.min(131072, L), L], rmemMax: L }).wscale).toBe(n);
      // With the default tcp_rmem[1] = 131072 the socket's own space (65536) already gives 1.
      expect(linuxWscale({ ...K618, tcpRmem: [4096, 131072, L], rmemMax: L }).wscale).toBe(Math.max(n, 1));
    }
    expect(() => largestSpaceForShift(15)).toThrow(RangeError);
  });

  it("shiftForBdp is the smallest shift whose window covers rate x RTT", () => {
    expect(bdpBytes(1e9, 0.03)).toBe(3_750_000);
    expect(shiftForBdp(1e9, 0.03)).toBe(6); // 65535 << 6 = 4194240
    expect(shiftForBdp(10e6, 0.05)).toBe(0); // 62500 bytes
    expect(shiftForBdp(100e9, 1)).toBe(14);
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 1e11 }), fc.double({ min: 1e-4, max: 1, noNaN: true }), (rate, rtt) => {
        const s = shiftForBdp(rate, rtt);
        const bdp = bdpBytes(rate, rtt);
        if (s < 14) expect(maxWindowForShift(s)).toBeGreaterThanOrEqual(bdp);
        if (s > 0) expect(maxWindowForShift(s - 1)).toBeLessThan(bdp);
      }),
    );
  });

  it("throughput is window / RTT in bytes and bits per second", () => {
    expect(throughput(65535, 0.03)).toEqual({ bytesPerSec: 2184500, bitsPerSec: 17476000 });
    expect(throughput(8388480, 0.1).bitsPerSec).toBeCloseTo(671078400, 0);
    expect(() => throughput(65535, 0)).toThrow(RangeError);
    expect(winFromSpace(131072)).toBe(65536);
  });
});

/** Apply what a list of advice commands would do to the model's inputs. */
function applyCommands(base: LinuxWscaleInputs, cmds: readonly AdviceCommand[]): LinuxWscaleInputs {
  let next = base;
  for (const c of cmds) {
    const rmem = /net\.ipv4\.tcp_rmem="(\d+) (\d+) (\d+)"/.exec(c.command);
    if (rmem) next = { ...next, tcpRmem: [Number(rmem[1]), Number(rmem[2]), Number(rmem[3])] };
    const max = /net\.core\.rmem_max=(\d+)/.exec(c.command);
    if (max) next = { ...next, rmemMax: Number(max[1]) };
    const ws = /net\.ipv4\.tcp_window_scaling=(\d)/.exec(c.command);
    if (ws) next = { ...next, tcpWindowScaling: Number(ws[1]) };
    const win = /^ip route replace .* window (\d+)$/m.exec(c.command);
    if (win) next = { ...next, routeWindow: Number(win[1]) };
  }
  return next;
}

const lines = (a: { commands: AdviceCommand[] }, scope: AdviceCommand["scope"]) =>
  a.commands.filter((c) => c.scope === scope && c.kind !== "file");

describe("advice", () => {
  it("from 6.18 defaults to shift 2: route 262143, or tcp_rmem[2] AND rmem_max (rmem_max alone keeps 7)", () => {
    const a = adviseLinux(K618, { targetWscale: 2 }, { dst: "198.51.100.0/24", via: "192.0.2.1", dev: "eth0" });
    expect(a.target).toBe(2);
    expect(lines(a, "route").map((c) => c.command)).toEqual([
      "ip route replace 198.51.100.0/24 via 192.0.2.1 dev eth0 window 262143",
    ]);
    expect(lines(a, "global").map((c) => c.command)).toEqual([
      'sysctl -w net.ipv4.tcp_rmem="4096 131072 262143"',
      "sysctl -w net.core.rmem_max=262143",
    ]);
    expect(lines(a, "global")[1]?.why).toContain("shift would stay at 7");
    const file = a.commands.find((c) => c.kind === "file");
    expect(file?.path).toBe("/etc/sysctl.d/90-wscale.conf");
    expect(file?.content).toContain("net.ipv4.tcp_rmem = 4096 131072 262143\nnet.core.rmem_max = 262143\n");
    expect(lines(a, "last-resort").map((c) => c.command)).toEqual(["sysctl -w net.ipv4.tcp_window_scaling=0"]);
    expect(lines(a, "last-resort")[0]?.why).toContain("65535 bytes");
  });

  it("from 6.18 defaults to shift 7: tcp_rmem[2] alone (rmem_max 4 MiB already gives 7)", () => {
    const a = adviseLinux(K618, { targetWscale: 7 });
    expect(lines(a, "global").map((c) => c.command)).toEqual(['sysctl -w net.ipv4.tcp_rmem="4096 131072 8388607"']);
    expect(lines(a, "route").map((c) => c.command)).toEqual([routeWindowCommand({}, 8388607)]);
    // Without gateway and device: two lines that look them up where they run, then add a host route.
    expect(lines(a, "route")[0]?.command).toBe(
      "r=$(ip -o route get <dst> | grep -oE '(via|dev) [^ ]+')\nip route replace <dst>/32 $r window 8388607",
    );
  });

  it("target 0 keeps the option (route window 65535), unlike tcp_window_scaling=0", () => {
    const a = adviseLinux(K618, { targetWscale: 0 });
    expect(lines(a, "route")[0]?.command).toMatch(/window 65535$/);
    // Globally the socket's own space (tcp_rmem[1] 131072 -> 65536) would give 1: tcp_rmem[1] must come down too.
    const g = applyCommands(K618, lines(a, "global"));
    expect(linuxWscale(g).wscale).toBe(0);
  });

  it("raising past a route metric changes the metric, not the sysctls", () => {
    const a = adviseLinux({ ...K618, routeWindow: 174760 }, { targetWscale: 7 });
    expect(lines(a, "route").map((c) => c.command)).toEqual([routeWindowCommand({}, 8388607)]);
    expect(lines(a, "global")).toEqual([]);
  });

  it("an application's TCP_WINDOW_CLAMP makes a route metric useless: none is proposed", () => {
    const a = adviseLinux({ ...K618, tcpWindowClamp: 8 * MiB }, { targetWscale: 2 });
    expect(lines(a, "route")).toEqual([]);
    expect(a.notes.join("\n")).toContain("TCP_WINDOW_CLAMP");
  });

  it("an application's SO_RCVBUF 8 MiB: rmem_max alone brings it down (it caps what SO_RCVBUF can ask)", () => {
    const a = adviseLinux({ ...K618, soRcvbuf: 8 * MiB }, { targetWscale: 2 });
    expect(lines(a, "global").map((c) => c.command)).toEqual(["sysctl -w net.core.rmem_max=262143"]);
    expect(lines(a, "global")[0]?.why).toContain("SO_RCVBUF");
  });

  it("enables scaling first when it is off", () => {
    const a = adviseLinux({ ...K618, tcpWindowScaling: 0 }, { targetWscale: 7 });
    expect(lines(a, "global").map((c) => c.command)).toEqual([
      "sysctl -w net.ipv4.tcp_window_scaling=1",
      'sysctl -w net.ipv4.tcp_rmem="4096 131072 8388607"',
    ]);
  });

  it("for a rate at an RTT: nothing to change on 6.18 defaults except the sender's tcp_wmem", () => {
    const a = adviseLinux(K618, { rateBitsPerSec: 1e9, rttSeconds: 0.03 });
    expect(a.target).toBeNull();
    expect(a.bdpBytes).toBe(3_750_000);
    expect(a.reason).toContain("smallest shift that carries it is 6");
    expect(lines(a, "global").map((c) => c.command)).toEqual(['sysctl -w net.ipv4.tcp_wmem="4096 16384 8388608"']);
  });

  it("for a rate at an RTT on an old small config: a buffer that holds the BDP, which also raises the shift", () => {
    const old: LinuxWscaleInputs = { ...K618, tcpRmem: [4096, 87380, 174760], rmemMax: 212992 };
    const a = adviseLinux(old, { rateBitsPerSec: 1e9, rttSeconds: 0.03 });
    expect(lines(a, "global")[0]?.command).toBe('sysctl -w net.ipv4.tcp_rmem="4096 87380 7500000"');
    const after = linuxWscale(applyCommands(old, lines(a, "global")));
    expect(after.windowCeiling).toBeGreaterThanOrEqual(3_750_000);
    expect(after.bufferWindow).toBeGreaterThanOrEqual(3_750_000);
    expect(a.target).toBe(after.wscale);
  });

  it("property: every alternative gives exactly the target, and no line in it is superfluous", () => {
    const bytes = fc.oneof(
      fc.constantFrom(65535, 174760, 212992, 4 * MiB, 6 * MiB, 32 * MiB),
      fc.integer({ min: 4096, max: 2 ** 30 }),
    );
    fc.assert(
      fc.property(
        bytes,
        bytes,
        fc.integer({ min: 4096, max: 512 * 1024 }),
        fc.option(bytes, { nil: null }),
        fc.option(fc.integer({ min: 1024, max: 16 * MiB }), { nil: null }),
        fc.constantFrom(0, 1),
        fc.integer({ min: 0, max: 14 }),
        (rmem2, rmemMax, rmem1, routeWindow, soRcvbuf, tcpWindowScaling, n) => {
          const inputs: LinuxWscaleInputs = {
            tcpWindowScaling,
            tcpRmem: [4096, rmem1, rmem2],
            rmemMax,
            routeWindow,
            soRcvbuf,
          };
          const a = adviseLinux(inputs, { targetWscale: n });
          const current = linuxWscale(inputs).wscale;
          for (const scope of ["route", "global"] as const) {
            const cmds = lines(a, scope);
            if (cmds.length === 0) continue;
            expect(current).not.toBe(n);
            expect(linuxWscale(applyCommands(inputs, cmds)).wscale, `${scope}: ${cmds.map((c) => c.command)}`).toBe(n);
            // Leaving out any one line must change the outcome.
            for (let i = 0; i < cmds.length; i++) {
              const rest = cmds.filter((_, j) => j !== i);
              expect(linuxWscale(applyCommands(inputs, rest)).wscale, `without ${cmds[i]?.command}`).not.toBe(n);
            }
          }
          for (const c of lines(a, "last-resort")) expect(c.command).toBe("sysctl -w net.ipv4.tcp_window_scaling=0");
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("units", () => {
  it("durations need a unit", () => {
    expect(parseDuration("30ms")).toBeCloseTo(0.03);
    expect(parseDuration("0.03s")).toBeCloseTo(0.03);
    expect(parseDuration("30000us")).toBeCloseTo(0.03);
    expect(parseDuration("250µs")).toBeCloseTo(0.00025);
    expect(parseDuration("30")).toMatch(/needs a unit/);
    expect(parseDuration("fast")).toMatch(/not a duration/);
    expect(parseDuration("0ms")).toMatch(/positive/);
  });

  it("rates are bits unless the unit is a capital B", () => {
    expect(parseRate("1Gbit")).toBe(1e9);
    expect(parseRate("100Mbit/s")).toBe(1e8);
    expect(parseRate("100mbit")).toBe(1e8);
    expect(parseRate("500k")).toBe(5e5);
    expect(parseRate("1e9")).toBe(1e9);
    expect(parseRate("10Mbps")).toBe(1e7);
    expect(parseRate("10MB/s")).toBe(8e7);
    expect(parseRate("1250000B/s")).toBe(1e7);
    expect(parseRate("1GBit")).toBe(1e9);
    expect(parseRate("10MBPS")).toMatch(/not a rate/);
    expect(parseRate("lots")).toMatch(/not a rate/);
  });

  it("byte counts: integers, K/M/G x1024", () => {
    expect(parseBytes("262143")).toBe(262143);
    expect(parseBytes("64K")).toBe(65536);
    expect(parseBytes("4M")).toBe(4 * MiB);
    expect(parseBytes("4MiB")).toBe(4 * MiB);
    expect(parseBytes("1.5K")).toBe(1536);
    expect(parseBytes("-1")).toMatch(/not a byte count/);
    expect(parseBytes("5G")).toMatch(/larger than/);
  });

  it("formats", () => {
    expect(formatBytes(8388480)).toBe("8388480 bytes (8 MiB)");
    expect(formatBytes(100)).toBe("100 bytes");
    expect(formatBits(17476000)).toBe("17.5 Mbit/s");
  });

  it("durations: three digits, the unit chosen after rounding (never 1000 us or 1000 ms)", () => {
    expect([0.000999, 1.001 - 1, 0.9995, 0.9994, 0.0214, 2.5].map(formatDuration)).toEqual([
      "999 us",
      "1 ms",
      "1 s",
      "999 ms",
      "21.4 ms",
      "2.5 s",
    ]);
  });
});

describe("sysctl values", () => {
  it("parses /proc/sys triples", () => {
    expect(parseTriple("4096\t131072\t33554432\n")).toEqual([4096, 131072, 33554432]);
    expect(parseTriple("4096 131072")).toMatch(/three numbers/);
    expect(parseTriple("a b c")).toMatch(/integers/);
  });

  it("reads a /proc/sys tree, and falls back to the defaults with a warning for what is missing", async () => {
    const root = await mkdtemp(join(tmpdir(), "wscale-procsys-"));
    try {
      await mkdir(join(root, "net/ipv4"), { recursive: true });
      await writeFile(join(root, "net/ipv4/tcp_rmem"), "4096\t87380\t6291456\n");
      await writeFile(join(root, "net/ipv4/tcp_window_scaling"), "1\n");
      await writeFile(join(root, "net/ipv4/tcp_wmem"), "garbage\n");
      const r = await readLinuxSysctls(root);
      expect(r.values.tcpRmem).toEqual([4096, 87380, 6291456]);
      expect(r.values.tcpWmem).toEqual(LINUX_DEFAULTS.tcpWmem);
      expect(r.values.rmemMax).toBe(LINUX_DEFAULTS.rmemMax);
      expect(r.sources["net.ipv4.tcp_rmem"]).toBe("/proc/sys");
      expect(r.sources["net.core.rmem_max"]).toBe("default");
      expect(r.values.wmemMax).toBe(LINUX_DEFAULTS.wmemMax);
      // tcp_wmem (garbage), rmem_max and wmem_max (missing).
      expect(r.problems).toHaveLength(3);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
