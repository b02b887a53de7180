/**
 * Option values: each refused with its reason, repeats refused, and nothing that did not parse as
 * what it stands for reaches a printed command. Unit checks of src/cli/option-values.ts, then the
 * built command as a user runs it.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  bytes,
  captureInterface,
  InvalidValue,
  interfaceName,
  ipAddress,
  ipPrefix,
  memTriple,
  positiveBytes,
  positiveSeconds,
  protectValues,
  rateBits,
  rttSeconds,
  shift,
  single,
  wholeNumber,
  zeroOrOne,
} from "../src/cli/option-values.js";
import { BIN, ROOT } from "./helpers/bin.js";

/** The reason `parse` gives for refusing `value`. */
function reason(parse: (t: string) => unknown, value: string): string {
  try {
    parse(value);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidValue);
    return (e as Error).message;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

describe("values and their reasons", () => {
  it("durations in seconds (--idle-timeout): positive, bare or with a unit", () => {
    expect(["300", "90s", "1.5", "5min", "5m", "2h", "500ms", " 7 "].map(positiveSeconds)).toEqual([
      300, 90, 1.5, 300, 300, 7200, 0.5, 7,
    ]);
    expect(reason(positiveSeconds, "abc")).toBe('"abc" is not a duration in seconds (e.g. 300, 90s, 5min)');
    expect(reason(positiveSeconds, "0")).toBe('must be positive, got "0"');
    expect(reason(positiveSeconds, "-5")).toBe('must be positive, got "-5"');
    expect(reason(positiveSeconds, "0.0s")).toBe('must be positive, got "0.0s"');
    expect(reason(positiveSeconds, "")).toBe('"" is not a duration in seconds (e.g. 300, 90s, 5min)');
    expect(reason(positiveSeconds, "1e400")).toBe('"1e400" is not a duration in seconds (e.g. 300, 90s, 5min)');
  });

  it("round-trip times and rates: the kernel model's units, positive, a minus named as such", () => {
    expect(rttSeconds("30ms")).toBeCloseTo(0.03, 12);
    expect(rateBits("1Gbit")).toBe(1e9);
    expect(rateBits("10MB/s")).toBe(8e7);
    expect(reason(rttSeconds, "-5ms")).toBe('must be positive, got "-5ms"');
    expect(reason(rttSeconds, "0ms")).toBe('"0ms" must be a positive duration');
    expect(reason(rttSeconds, "30")).toBe('"30" needs a unit (us, ms or s), e.g. 30ms');
    expect(reason(rateBits, "-1Gbit")).toBe('must be positive, got "-1Gbit"');
    expect(reason(rateBits, "fast")).toBe(
      '"fast" is not a rate; use e.g. 1Gbit, 100Mbit/s, 500k (bits/s) or 10MB/s (bytes/s)',
    );
  });

  it("sizes: positive for rmem_max and the window clamp, >= 0 for SO_RCVBUF", () => {
    expect(positiveBytes("4M")).toBe(4 * 1024 * 1024);
    expect(reason(positiveBytes, "0")).toBe('must be positive, got "0"');
    expect(reason(positiveBytes, "-4096")).toBe('must be positive, got "-4096"');
    expect(reason(positiveBytes, "lots")).toBe(
      '"lots" is not a byte count; use e.g. 262143, 256K or 4M (K/M/G = x1024)',
    );
    expect(bytes("0")).toBe(0);
    expect(reason(bytes, "-1")).toBe('a size cannot be negative, got "-1"');
  });

  it("whole numbers (--top), 0 or 1, and shifts 0..14", () => {
    expect(wholeNumber("0")).toBe(0);
    expect(wholeNumber("20")).toBe(20);
    for (const bad of ["-1", "1.5", "abc", "", "5 6"])
      expect(reason(wholeNumber, bad)).toBe(`needs a whole number >= 0, got "${bad}"`);
    expect([zeroOrOne("0"), zeroOrOne("1")]).toEqual([0, 1]);
    expect(reason(zeroOrOne, "2")).toBe('must be 0 or 1, got "2"');
    expect([shift("0"), shift("14")]).toEqual([0, 14]);
    for (const bad of ["15", "-1", "7.0", "x"])
      expect(reason(shift, bad)).toBe(`must be a shift from 0 to 14, got "${bad}"`);
  });

  it("tcp_rmem / tcp_wmem: three positive integers, min <= default <= max", () => {
    expect(memTriple("4096 131072 6291456")).toEqual([4096, 131072, 6291456]);
    expect(memTriple("4096\t131072\t131072")).toEqual([4096, 131072, 131072]);
    expect(reason(memTriple, "6291456 131072 4096")).toBe('needs min <= default <= max, got "6291456 131072 4096"');
    expect(reason(memTriple, "4096 131072")).toBe('expected three numbers "min default max", got "4096 131072"');
    expect(reason(memTriple, "0 131072 6291456")).toBe(
      'each of "min default max" must be positive, got "0 131072 6291456"',
    );
    expect(reason(memTriple, "4096 1e5 6291456")).toBe(
      'expected three numbers "min default max", got "4096 1e5 6291456"',
    );
    expect(reason(memTriple, "4096 131072 4294967296")).toBe(
      '"4096 131072 4294967296": a value is larger than 2147483647',
    );
  });

  it("addresses and prefixes: IPv4 and IPv6 only, nothing else rides along", () => {
    for (const good of ["198.51.100.7", "2001:db8::1", "::1", "::ffff:192.0.2.1", "fe80::1"])
      expect(ipAddress(good)).toBe(good);
    for (const good of ["198.51.100.0/24", "198.51.100.7/32", "0.0.0.0/0", "2001:db8::/32", "2001:db8::1/128"])
      expect(ipPrefix(good)).toBe(good);
    for (const bad of [
      "not an ip; rm -rf /",
      "$(reboot)",
      "198.51.100.256",
      "01.2.3.4",
      "1.2.3",
      "1.2.3.4 ",
      "2001:db8:::1",
      "example.com",
      "",
    ])
      expect(reason(ipAddress, bad)).toBe(`"${bad}" is not an IPv4 or IPv6 address`);
    for (const bad of ["198.51.100.0/33", "198.51.100.0/", "198.51.100.0/24; reboot", "2001:db8::/129", "1.2.3.4/024"])
      expect(reason(ipPrefix, bad)).toBe(
        `"${bad}" is not an IPv4 or IPv6 address or prefix (e.g. 198.51.100.7 or 198.51.100.0/24)`,
      );
  });

  it("interface names: what Linux accepts, in the characters real names use", () => {
    for (const good of ["eth0", "enp3s0f1", "wlan0", "br-1a2b3c4d5e6f", "vlan.100", "veth_x@1", "a23456789012345"])
      expect(interfaceName(good)).toBe(good);
    for (const bad of ["eth0;reboot", "$(reboot)", "a234567890123456", "", ".", "..", "eth 0", "-x", "a/b", "eth0:1"])
      expect(reason(interfaceName, bad)).toBe(
        `"${bad}" is not an interface name (e.g. eth0, enp3s0, wlan0; at most 15 characters)`,
      );
    expect(captureInterface("nflog:5")).toBe("nflog:5");
    expect(reason(captureInterface, "-w/tmp/x")).toBe(
      '"-w/tmp/x" is not an interface name (e.g. eth0, any; see tcpdump -D)',
    );
  });

  it("a refused value names its option; control characters in it are shown as escapes", () => {
    expect(reason(single("rtt", rttSeconds), "-5ms")).toBe('--rtt: must be positive, got "-5ms"');
    expect(reason(single("dev", interfaceName), "\u001b[2Jx")).toBe(
      '--dev: "\\x1b[2Jx" is not an interface name (e.g. eth0, enp3s0, wlan0; at most 15 characters)',
    );
    expect(reason(single("top", wholeNumber), ["5", "6"] as unknown as string)).toBe(
      '--top was given 2 times ("5", "6"): give it once',
    );
  });
});

describe("protectValues: a value that starts with '-' stays a value", () => {
  it("joins an option and a negative number, and -o with '-'", () => {
    expect(protectValues(["sysctl", "--rtt", "-5ms"])).toEqual(["sysctl", "--rtt=-5ms"]);
    expect(protectValues(["analyze", "x", "--top", "-1", "-o", "-"])).toEqual(["analyze", "x", "--top=-1", "-o=-"]);
    expect(protectValues(["analyze", "-", "--idle-timeout", "-.5"])).toEqual(["analyze", "-", "--idle-timeout=-.5"]);
  });

  it("leaves flags, operands, '--' and what follows it alone", () => {
    const untouched = [
      ["analyze", "--no-color", "-5.pcap"],
      ["analyze", "--format", "json", "-"],
      ["analyze", "a.pcap", "--", "--top", "-1"],
      ["analyze", "--top=-1"],
      ["compare", "a.pcap", "-"],
    ];
    for (const argv of untouched) expect(protectValues(argv)).toEqual(argv);
  });
});

describe("the built command: repeats and bad values are usage errors naming the option", () => {
  const CAP = join(ROOT, "captures", "healthy.client.pcap");
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const usage = (line: string) => ({
    code: 2,
    stdout: "",
    stderr: `wscale: ${line}\nRun 'wscale --help' for usage.\n`,
  });

  it.each([
    [
      ["analyze", CAP, "--format", "json", "--format", "csv"],
      '--format was given 2 times ("json", "csv"): give it once',
    ],
    [["analyze", CAP, "-F", "json", "--format", "json"], '--format was given 2 times ("json", "json"): give it once'],
    [["analyze", CAP, "-o", "a", "-o", "b"], '--output was given 2 times ("a", "b"): give it once'],
    [["analyze", CAP, "--top", "5", "--top", "6"], '--top was given 2 times ("5", "6"): give it once'],
    [
      ["analyze", CAP, "--idle-timeout", "5", "--idle-timeout", "6"],
      '--idle-timeout was given 2 times ("5", "6"): give it once',
    ],
    [
      ["analyze", CAP, "--fail-on", "warn", "--fail-on", "error"],
      '--fail-on was given 2 times ("warn", "error"): give it once',
    ],
    [["compare", CAP, CAP, "-o", "a", "-o", "b"], '--output was given 2 times ("a", "b"): give it once'],
    [
      ["live", "-", "--format", "json", "--format", "ndjson"],
      '--format was given 2 times ("json", "ndjson"): give it once',
    ],
    [["live", "-i", "lo", "-i", "eth0"], '--interface was given 2 times ("lo", "eth0"): give it once'],
    [["sysctl", "--rtt", "5ms", "--rtt", "6ms"], '--rtt was given 2 times ("5ms", "6ms"): give it once'],
  ])("%j", (args, line) => {
    expect(run(...args)).toEqual(usage(line));
  });

  it.each([
    [
      ["analyze", CAP, "--idle-timeout", "abc"],
      '--idle-timeout: "abc" is not a duration in seconds (e.g. 300, 90s, 5min)',
    ],
    [["analyze", CAP, "--idle-timeout", "0"], '--idle-timeout: must be positive, got "0"'],
    [["analyze", CAP, "--idle-timeout", "-5"], '--idle-timeout: must be positive, got "-5"'],
    [["compare", CAP, CAP, "--idle-timeout", "-5"], '--idle-timeout: must be positive, got "-5"'],
    [["live", "-", "--idle-timeout", "0"], '--idle-timeout: must be positive, got "0"'],
    [["analyze", CAP, "--top", "-1"], '--top: needs a whole number >= 0, got "-1"'],
    [["analyze", CAP, "--top", "many"], '--top: needs a whole number >= 0, got "many"'],
    [["sysctl", "--rtt", "-5ms"], '--rtt: must be positive, got "-5ms"'],
    [
      ["sysctl", "--tcp-rmem", "6291456 131072 4096"],
      '--tcp-rmem: needs min <= default <= max, got "6291456 131072 4096"',
    ],
    [["sysctl", "--tcp-wmem", "4096 16384"], '--tcp-wmem: expected three numbers "min default max", got "4096 16384"'],
    [["sysctl", "--rmem-max", "-1"], '--rmem-max: must be positive, got "-1"'],
    [["sysctl", "--window-clamp", "0"], '--window-clamp: must be positive, got "0"'],
    [["sysctl", "--window-scaling", "2"], '--window-scaling: must be 0 or 1, got "2"'],
    [["sysctl", "--target-wscale", "15"], '--target-wscale: must be a shift from 0 to 14, got "15"'],
    [
      ["sysctl", "--target-wscale", "2", "--dst", "not an ip; rm -rf /", "--via", "$(reboot)"],
      '--dst: "not an ip; rm -rf /" is not an IPv4 or IPv6 address or prefix (e.g. 198.51.100.7 or 198.51.100.0/24)',
    ],
    [["sysctl", "--target-wscale", "2", "--via", "$(reboot)"], '--via: "$(reboot)" is not an IPv4 or IPv6 address'],
    [
      ["sysctl", "--target-wscale", "2", "--dev", "eth0;reboot"],
      '--dev: "eth0;reboot" is not an interface name (e.g. eth0, enp3s0, wlan0; at most 15 characters)',
    ],
  ])("%j", (args, line) => {
    expect(run(...args)).toEqual(usage(line));
  });

  it("values that parse do reach the printed route command", () => {
    const r = run("sysctl", "--target-wscale", "2", "--dst", "198.51.100.0/24", "--via", "192.0.2.1", "--dev", "eth0");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("198.51.100.0/24 via 192.0.2.1 dev eth0 window 262143");
  });
});
