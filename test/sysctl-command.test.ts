import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import yargs from "yargs";
import { type SysctlReport, sysctlCommand, UsageError } from "../src/cli/commands/sysctl.js";
import { linuxWscale } from "../src/kernel/linux-wscale.js";
import { parseTriple } from "../src/kernel/sysctl-values.js";

const MiB = 1024 * 1024;

/** A /proc/sys tree with 6.18 defaults, so that flag-less runs are deterministic. */
let fakeProc = "";
beforeAll(async () => {
  fakeProc = await mkdtemp(join(tmpdir(), "wscale-sysctl-cmd-"));
  await mkdir(join(fakeProc, "net/ipv4"), { recursive: true });
  await mkdir(join(fakeProc, "net/core"), { recursive: true });
  await writeFile(join(fakeProc, "net/ipv4/tcp_window_scaling"), "1\n");
  await writeFile(join(fakeProc, "net/ipv4/tcp_rmem"), "4096\t131072\t33554432\n");
  await writeFile(join(fakeProc, "net/ipv4/tcp_wmem"), "4096\t16384\t4194304\n");
  await writeFile(join(fakeProc, "net/core/rmem_max"), "4194304\n");
  await writeFile(join(fakeProc, "net/core/wmem_max"), "4194304\n");
  return async () => rm(fakeProc, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

interface Run {
  stdout: string;
  stderr: string;
  exitCode: number | string | undefined;
  error: Error | undefined;
  help: string;
}

/** Parse `argv` with a yargs instance that has only this command, capturing what the handler writes. */
async function wscale(...argv: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  let error: Error | undefined;
  let help = "";
  try {
    await yargs()
      .scriptName("wscale")
      .command(sysctlCommand)
      .strict()
      .exitProcess(false)
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .parseAsync(argv, {}, (_err, _args, output) => {
        help = output;
      });
  } catch (e) {
    error = e as Error;
  } finally {
    vi.restoreAllMocks();
  }
  return { stdout, stderr, exitCode: process.exitCode, error, help };
}

async function json(...argv: string[]): Promise<SysctlReport> {
  const r = await wscale("sysctl", "--format", "json", "--proc-sys", fakeProc, ...argv);
  if (r.error) throw r.error;
  return JSON.parse(r.stdout) as SysctlReport;
}

describe("wscale sysctl --format json", () => {
  it("6.18 defaults: shift 10 by tcp_rmem[2], caps for 1, 10, 30, 100 ms", async () => {
    const r = await json();
    expect(r).toMatchObject({ wscale: 10, decidedBy: "net.ipv4.tcp_rmem[2]", maxWindow: 67107840, space: 32 * MiB });
    expect(r.inputs).toEqual({
      tcpWindowScaling: 1,
      tcpRmem: [4096, 131072, 33554432],
      tcpWmem: [4096, 16384, 4194304],
      rmemMax: 4194304,
      wmemMax: 4194304,
      windowClamp: null,
      soRcvbuf: null,
    });
    expect(r.sources["net.ipv4.tcp_rmem"]).toBe("/proc/sys");
    expect(r.caps.map((c) => c.rttMs)).toEqual([1, 10, 30, 100]);
    expect(r.caps[2]).toMatchObject({ window: 67107840, bytesPerSec: 67107840 / 0.03 });
    expect(r.caps[2]?.bitsPerSec).toBeCloseTo((67107840 * 8) / 0.03, 3);
    expect(r.commands).toEqual([]);
    expect(r.target).toBeNull();
  });

  it("the SPEC's example: tcp_rmem[2] 174760 with rmem_max 4 MiB -> 7 by net.core.rmem_max", async () => {
    const r = await json("--tcp-rmem", "4096 131072 174760", "--rmem-max", "4194304");
    expect(r).toMatchObject({ wscale: 7, decidedBy: "net.core.rmem_max", maxWindow: 8388480 });
    expect(r.sources["net.ipv4.tcp_rmem"]).toBe("flag");
  });

  it("advising another machine from flags: 6 MiB tcp_rmem[2], 212992 rmem_max -> 7", async () => {
    const r = await json("--tcp-rmem", "4096 131072 6291456", "--rmem-max", "212992", "--window-scaling", "1");
    expect(r).toMatchObject({ wscale: 7, decidedBy: "net.ipv4.tcp_rmem[2]", maxWindow: 8388480, space: 6291456 });
  });

  it("route window / TCP_WINDOW_CLAMP as --window-clamp, SO_RCVBUF as --so-rcvbuf", async () => {
    expect(await json("--window-clamp", "174760")).toMatchObject({
      wscale: 2,
      decidedBy: "window_clamp",
      maxWindow: 262140,
    });
    expect(await json("--window-clamp", "65535")).toMatchObject({ wscale: 0, maxWindow: 65535 });
    expect(await json("--so-rcvbuf", "64K")).toMatchObject({ wscale: 1, decidedBy: "SO_RCVBUF" });
  });

  it("scaling off: wscale null, a 64 KiB window", async () => {
    const r = await json("--window-scaling", "0");
    expect(r).toMatchObject({ wscale: null, decidedBy: "net.ipv4.tcp_window_scaling", maxWindow: 65535 });
  });

  it("--target-wscale 2 with --dst/--via/--dev: the exact route, sysctl and file lines", async () => {
    const r = await json("--target-wscale", "2", "--dst", "198.51.100.0/24", "--via", "192.0.2.1", "--dev", "eth0");
    expect(r.target).toBe(2);
    expect(r.commands.map((c) => [c.kind, c.command])).toEqual([
      ["route", "ip route replace 198.51.100.0/24 via 192.0.2.1 dev eth0 window 262143"],
      ["sysctl", 'sysctl -w net.ipv4.tcp_rmem="4096 131072 262143"'],
      ["sysctl", "sysctl -w net.core.rmem_max=262143"],
      [
        "file",
        "cat > /etc/sysctl.d/90-wscale.conf <<'EOF'\n" +
          "# /etc/sysctl.d/90-wscale.conf: written from wscale sysctl (advertise shift 2)\n" +
          "net.ipv4.tcp_rmem = 4096 131072 262143\n" +
          "net.core.rmem_max = 262143\n" +
          "EOF\n" +
          "sysctl -p /etc/sysctl.d/90-wscale.conf",
      ],
      ["sysctl", "sysctl -w net.ipv4.tcp_window_scaling=0"],
    ]);
    for (const c of r.commands) expect(c.why.length).toBeGreaterThan(20);
    expect(r.commands[2]?.why).toContain("shift would stay at 7");
  });

  it("without --dst: a recipe that looks up gateway and device where it runs", async () => {
    const r = await json("--target-wscale", "0");
    expect(r.commands[0]?.command).toBe(
      "r=$(ip -o route get <dst> | grep -oE '(via|dev) [^ ]+')\nip route replace <dst>/32 $r window 65535",
    );
    expect(r.route.from).toBeNull();
  });

  it("--rtt 30ms --rate 1Gbit: the BDP, one cap, and what to change", async () => {
    const r = await json("--rtt", "30ms", "--rate", "1Gbit", "--tcp-rmem", "4096 87380 174760", "--rmem-max", "212992");
    expect(r.goal).toEqual({ targetWscale: null, rttMs: 30, rateBitsPerSec: 1e9, bdpBytes: 3_750_000 });
    expect(r.caps).toHaveLength(1);
    expect(r.caps[0]).toMatchObject({ rttMs: 30, window: 262140 });
    expect(r.commands.filter((c) => c.kind === "sysctl").map((c) => c.command)).toEqual([
      'sysctl -w net.ipv4.tcp_rmem="4096 87380 7500000"',
      "sysctl -w net.core.rmem_max=7500000",
      'sysctl -w net.ipv4.tcp_wmem="4096 16384 8388608"',
      "sysctl -w net.core.wmem_max=8388608",
    ]);
    // The sysctl.d file holds every key those lines change, tcp_wmem included.
    const file = r.commands.find((c) => c.kind === "file");
    expect(file?.content).toBe(
      "# /etc/sysctl.d/90-wscale.conf: written from wscale sysctl (1 Gbit/s at 30 ms)\n" +
        "net.ipv4.tcp_rmem = 4096 87380 7500000\nnet.core.rmem_max = 7500000\n" +
        "net.ipv4.tcp_wmem = 4096 16384 8388608\nnet.core.wmem_max = 8388608\n",
    );
    expect(r.target).toBe(7);
    // rmem_max and wmem_max (4 MiB) came from this host's /proc/sys, not from the flags: said so.
    expect(r.sources["net.core.wmem_max"]).toBe("/proc/sys");
  });

  it("reads this host's /proc/sys by default, and agrees with the model on it", async () => {
    const r = await wscale("sysctl", "--format", "json");
    expect(r.error).toBeUndefined();
    const report = JSON.parse(r.stdout) as SysctlReport;
    const rmem = parseTriple(await readFile("/proc/sys/net/ipv4/tcp_rmem", "utf8"));
    if (typeof rmem === "string") throw new Error(rmem);
    const expected = linuxWscale({
      tcpWindowScaling: Number(await readFile("/proc/sys/net/ipv4/tcp_window_scaling", "utf8")),
      tcpRmem: rmem,
      rmemMax: Number(await readFile("/proc/sys/net/core/rmem_max", "utf8")),
    });
    expect(report.wscale).toBe(expected.wscale);
    expect(report.decidedBy).toBe(expected.decidedBy);
    expect(report.maxWindow).toBe(expected.maxWindow);
    expect(r.exitCode).toBe(0);
  });

  it("warns on stderr (not stdout) about sysctls it could not read, and uses the upstream defaults", async () => {
    const r = await wscale("sysctl", "--format", "json", "--proc-sys", join(fakeProc, "nowhere"));
    expect(r.stderr).toMatch(/warning: .*tcp_rmem: cannot read \(ENOENT\)/);
    const report = JSON.parse(r.stdout) as SysctlReport;
    expect(report.sources["net.ipv4.tcp_rmem"]).toBe("default");
    expect(report.wscale).toBe(10);
  });

  it("no warning for what the flags give", async () => {
    const r = await wscale(
      "sysctl",
      ...[
        "--proc-sys",
        join(fakeProc, "nowhere"),
        "--tcp-rmem",
        "4096 131072 6291456",
        "--tcp-wmem",
        "4096 16384 4194304",
      ],
      ...["--rmem-max", "212992", "--window-scaling", "1"],
    );
    expect(r.stderr).toBe("");
  });
});

describe("wscale sysctl text output", () => {
  it("says the shift, why, the window, the caps and the lines", async () => {
    const r = await wscale("sysctl", "--proc-sys", fakeProc, "--target-wscale", "2", "--rtt", "30ms");
    expect(r.error).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const out = r.stdout;
    expect(out).toContain("Advertised window scale: 10, decided by net.ipv4.tcp_rmem[2]");
    expect(out).toContain(
      "space = min(max(socket space 65536, tcp_rmem[2] 33554432, rmem_max 4194304), window_clamp 1073725440 (none set: 65535 << 14)) = 33554432",
    );
    expect(out).toContain("Largest window: 65535 << 10 = 67107840 bytes (64 MiB)");
    expect(out).toContain("RTT  30 ms: 17.9 Gbit/s by the window");
    expect(out).toContain(
      "Per destination (only connections on that route):\n  r=$(ip -o route get <dst> | grep -oE '(via|dev) [^ ]+')\n  ip route replace <dst>/32 $r window 262143\n",
    );
    expect(out).toContain('  sysctl -w net.ipv4.tcp_rmem="4096 131072 262143"\n');
    expect(out).toContain("  sysctl -w net.core.rmem_max=262143\n");
    // The file block pastes as printed: the heredoc at column 0, every key changed, then loaded.
    expect(out).toContain(
      "\ncat > /etc/sysctl.d/90-wscale.conf <<'EOF'\n# /etc/sysctl.d/90-wscale.conf: written from wscale sysctl (advertise shift 2)\n" +
        "net.ipv4.tcp_rmem = 4096 131072 262143\nnet.core.rmem_max = 262143\nEOF\nsysctl -p /etc/sysctl.d/90-wscale.conf\n",
    );
    expect(out).toContain("Last resort:\n  sysctl -w net.ipv4.tcp_window_scaling=0");
    expect(out).toContain("17.5 Mbit/s at 30 ms"); // the 64 KiB cap at this RTT
    expect(r.stderr).toBe("");
  });

  it("says 'none' when scaling is off", async () => {
    const r = await wscale("sysctl", "--proc-sys", fakeProc, "--window-scaling", "0");
    expect(r.stdout).toContain("Advertised window scale: none (net.ipv4.tcp_window_scaling = 0");
  });
});

describe("wscale sysctl says where each value came from", () => {
  it("the issue's case: --tcp-rmem alone, rmem_max from this host decides, and that is said", async () => {
    const r = await wscale("sysctl", "--proc-sys", fakeProc, "--tcp-rmem", "4096 87380 174760");
    expect(r.stdout).toContain("net.ipv4.tcp_rmem           = 4096 87380 174760  (given)");
    expect(r.stdout).toContain("net.core.rmem_max           = 4194304  (this host)");
    expect(r.stdout).toContain(
      "Advertised window scale: 7, decided by net.core.rmem_max (this host's value, not given)",
    );
    expect(r.stdout).toContain(
      "not given, so read from this host: net.ipv4.tcp_window_scaling = 1, net.ipv4.tcp_wmem = 4096 16384 4194304, net.core.rmem_max = 4194304",
    );
    const j = await json("--tcp-rmem", "4096 87380 174760");
    expect(j.sources).toMatchObject({ "net.ipv4.tcp_rmem": "flag", "net.core.rmem_max": "/proc/sys" });
    expect(j.notes[0]).toContain("if you are advising another machine, give its values too");
  });

  it("nothing given: no such note, every value is this host's", async () => {
    const j = await json();
    expect(j.notes.join("\n")).not.toContain("not given");
  });

  it("--dst on this host asks `ip route get`; a local address has no route with a gateway, so the line looks it up", async () => {
    const j = await json("--target-wscale", "0", "--dst", "127.0.0.1");
    expect(j.route.from).toBe("recipe");
    expect(j.commands[0]?.command).toBe(
      "r=$(ip -o route get 127.0.0.1 | grep -oE '(via|dev) [^ ]+')\nip route replace 127.0.0.1/32 $r window 65535",
    );
  });

  it("--dst with values given for another machine: never this host's route", async () => {
    const j = await json("--target-wscale", "0", "--dst", "198.51.100.7", "--rmem-max", "212992");
    expect(j.route.from).toBe("recipe");
    expect(j.commands[0]?.command).toContain("ip -o route get 198.51.100.7");
  });

  it("--dst --via --dev: the line as given", async () => {
    const j = await json("--target-wscale", "2", "--dst", "198.51.100.7", "--via", "192.0.2.1", "--dev", "eth0");
    expect(j.route.from).toBe("flags");
    expect(j.commands[0]?.command).toBe("ip route replace 198.51.100.7/32 via 192.0.2.1 dev eth0 window 262143");
  });

  it("--rtt 200ms --rate 100Gbit: beyond shift 14, said, with the best figure", async () => {
    const r = await wscale("sysctl", "--proc-sys", fakeProc, "--rtt", "200ms", "--rate", "100Gbit");
    expect(r.stdout).toContain("beyond what one TCP connection can reach");
    expect(r.stdout).toContain("at most 42.9 Gbit/s at 200 ms");
    expect(r.stdout).toContain("still short of 100 Gbit/s");
  });
});

describe("wscale sysctl usage errors", () => {
  it.each([
    [["--rtt", "30"], '--rtt: "30" needs a unit (us, ms or s), e.g. 30ms'],
    [["--rtt", "soon"], '--rtt: "soon" is not a duration; use e.g. 30ms, 0.03s or 30000us'],
    [["--rate", "1Gbit"], "--rate needs --rtt (the bandwidth-delay product needs both)"],
    [["--rtt", "30ms", "--rate", "fast"], '--rate: "fast" is not a rate'],
    [["--window-scaling", "2"], '--window-scaling: must be 0 or 1, got "2"'],
    [["--target-wscale", "15"], '--target-wscale: must be a shift from 0 to 14, got "15"'],
    [["--target-wscale", "-1"], "--target-wscale: must be a shift from 0 to 14"],
    [["--tcp-rmem", "4096 131072"], '--tcp-rmem: expected three numbers "min default max", got "4096 131072"'],
    [["--rmem-max", "lots"], '--rmem-max: "lots" is not a byte count'],
    [["--window-clamp", "0"], "--window-clamp: must be positive"],
  ])("%j -> UsageError", async (flags, message) => {
    const r = await wscale("sysctl", "--proc-sys", fakeProc, ...flags);
    expect(r.error).toBeInstanceOf(UsageError);
    expect(r.error?.name).toBe("UsageError");
    expect(r.error?.message.startsWith(message)).toBe(true);
    expect(r.error?.message).not.toContain("\n");
    expect(r.stdout).toBe("");
  });

  it("an unknown --format is refused by the parser", async () => {
    const r = await wscale("sysctl", "--format", "xml");
    expect(r.error?.message).toMatch(/Invalid values|Choices/);
  });

  it("--help lists the flags and examples", async () => {
    const r = await wscale("sysctl", "--help");
    const help = r.help.replace(/\s+/g, " ");
    expect(help).toContain("--target-wscale");
    expect(help).toContain("--tcp-rmem");
    expect(help).toContain("wscale sysctl --rtt 30ms --rate 1Gbit");
    expect(help).toContain("wscale sysctl --target-wscale 2 --dst");
    expect(help).toContain("advertise shift 2");
  });
});
