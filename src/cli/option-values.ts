/**
 * Every option value of every command is checked here, with the reason when it is refused: a
 * number where a number is meant, durations and sizes positive, addresses that parse as addresses.
 * A value that reaches a printed command (`ip route ... via <gw> dev <dev>`) has parsed as what it
 * stands for, so no shell syntax can ride along. Options take one value: given twice is an error.
 */
import { parseIpv6 } from "../decode/tcpdump-text-fields.js";
import { parseBytes, parseDuration, parseRate } from "../kernel/units.js";
import { escapeControl } from "../report/escape.js";

/** A value refused, with the reason; the yargs coerce wrapper adds the option's name. */
export class InvalidValue extends Error {
  override name = "InvalidValue";
}

function quoted(text: string): string {
  return `"${escapeControl(text)}"`;
}

/**
 * A yargs `coerce` for an option that takes one value: refuses repeats (yargs would make an
 * array of them), then parses. yargs turns the error into a usage error: one line, exit 2.
 */
export function single<T>(name: string, parse: (text: string) => T): (value: unknown) => T {
  return (value: unknown) => {
    if (Array.isArray(value)) {
      const given = value.map((v) => quoted(String(v))).join(", ");
      throw new InvalidValue(`--${name} was given ${value.length} times (${given}): give it once`);
    }
    try {
      return parse(String(value));
    } catch (e) {
      if (e instanceof InvalidValue) throw new InvalidValue(`--${name}: ${e.message}`);
      throw e;
    }
  };
}

/**
 * The same checks for a command whose handler parses the texts itself (sysctl): every option
 * present in `argv` is validated by its parser; the first refusal is thrown as an InvalidValue.
 */
export function checkValues(argv: Record<string, unknown>, parsers: Record<string, (text: string) => unknown>): void {
  for (const [name, parse] of Object.entries(parsers)) {
    if (argv[name] !== undefined) single(name, parse)(argv[name]);
  }
}

/** The text itself (the option's choices, if any, are checked by yargs). */
export function text<T extends string = string>(value: string): T {
  return value as T;
}

/** A count such as --top: a whole number >= min (0 unless given). */
export function wholeNumber(value: string, min = 0): number {
  const t = value.trim();
  if (!/^\d+$/.test(t) || Number(t) < min)
    throw new InvalidValue(`needs a whole number >= ${min}, got ${quoted(value)}`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw new InvalidValue(`${quoted(value)} is too large`);
  return n;
}

/** A count that cannot be zero, such as --jobs: a whole number >= 1. */
export function countingNumber(value: string): number {
  return wholeNumber(value, 1);
}

const SECONDS: Record<string, number> = { "": 1, s: 1, sec: 1, ms: 1e-3, min: 60, m: 60, h: 3600 };

/** Seconds (--idle-timeout): a positive number, bare or with s, ms, min or h. */
export function positiveSeconds(value: string): number {
  const m = /^\s*(-?)(\d+(?:\.\d+)?|\.\d+)\s*(s|sec|ms|min|m|h)?\s*$/i.exec(value);
  if (m === null) throw new InvalidValue(`${quoted(value)} is not a duration in seconds (e.g. 300, 90s, 5min)`);
  const seconds = Number(m[2]) * (SECONDS[(m[3] ?? "").toLowerCase()] ?? 1);
  if (m[1] === "-" || !(seconds > 0)) throw new InvalidValue(`must be positive, got ${quoted(value)}`);
  if (!Number.isFinite(seconds)) throw new InvalidValue(`${quoted(value)} is too large`);
  return seconds;
}

/**
 * A quantity parsed by the kernel model's own parser (the same one the advice uses), which must be
 * positive: a leading minus is named as such instead of "not a duration".
 */
function positive(parse: (t: string) => number | string): (value: string) => number {
  return (value: string) => {
    const negative = /^\s*-/.test(value);
    const v = parse(negative ? value.replace("-", "") : value);
    if (typeof v === "string") throw new InvalidValue(escapeControl(v));
    if (negative || !(v > 0)) throw new InvalidValue(`must be positive, got ${quoted(value)}`);
    return v;
  };
}

/** A round-trip time with its unit (30ms, 0.03s): seconds. */
export const rttSeconds = positive(parseDuration);
/** A rate (1Gbit, 10MB/s): bits per second. */
export const rateBits = positive(parseRate);
/** A byte count (262143, 256K, 4M), > 0. */
export const positiveBytes = positive(parseBytes);

/** A byte count that may be 0 (SO_RCVBUF 0: the kernel's minimum). */
export function bytes(value: string): number {
  if (/^\s*-/.test(value)) throw new InvalidValue(`a size cannot be negative, got ${quoted(value)}`);
  const v = parseBytes(value);
  if (typeof v === "string") throw new InvalidValue(escapeControl(v));
  return v;
}

/** The largest value of an int sysctl. */
const INT_MAX = 2 ** 31 - 1;

/** net.ipv4.tcp_rmem / tcp_wmem: "min default max", three positive integers in that order. */
export function memTriple(value: string): [number, number, number] {
  const parts = value.trim().split(/\s+/);
  if (parts.length !== 3 || !parts.every((p) => /^\d+$/.test(p))) {
    throw new InvalidValue(`expected three numbers "min default max", got ${quoted(value)}`);
  }
  const [min, def, max] = parts.map(Number) as [number, number, number];
  if (min < 1 || def < 1 || max < 1)
    throw new InvalidValue(`each of "min default max" must be positive, got ${quoted(value)}`);
  if (max > INT_MAX) throw new InvalidValue(`${quoted(value)}: a value is larger than ${INT_MAX}`);
  if (!(min <= def && def <= max)) throw new InvalidValue(`needs min <= default <= max, got ${quoted(value)}`);
  return [min, def, max];
}

/** A 0-or-1 switch (net.ipv4.tcp_window_scaling). */
export function zeroOrOne(value: string): 0 | 1 {
  const t = value.trim();
  if (t !== "0" && t !== "1") throw new InvalidValue(`must be 0 or 1, got ${quoted(value)}`);
  return t === "1" ? 1 : 0;
}

/** A window-scale shift a host can advertise usefully: 0 to 14 (RFC 7323). */
export function shift(value: string): number {
  const t = value.trim();
  if (!/^\d+$/.test(t) || Number(t) > 14) throw new InvalidValue(`must be a shift from 0 to 14, got ${quoted(value)}`);
  return Number(t);
}

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/** 4 or 6 when `text` is an IPv4 (dotted quad, no leading zeros) or IPv6 address, else 0. */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (IPV4.test(text)) return 4;
  if (/^[0-9a-fA-F:.]+$/.test(text) && parseIpv6(text, 0, text.length, new Uint32Array(4))) return 6;
  return 0;
}

/** A gateway (--via): one IPv4 or IPv6 address. */
export function ipAddress(value: string): string {
  if (ipVersion(value) === 0) throw new InvalidValue(`${quoted(value)} is not an IPv4 or IPv6 address`);
  return value;
}

/** A destination (--dst): an address, or a prefix address/length. */
export function ipPrefix(value: string): string {
  const slash = value.indexOf("/");
  const address = slash < 0 ? value : value.slice(0, slash);
  const version = ipVersion(address);
  const bad = `${quoted(value)} is not an IPv4 or IPv6 address or prefix (e.g. 198.51.100.7 or 198.51.100.0/24)`;
  if (version === 0) throw new InvalidValue(bad);
  if (slash >= 0) {
    const length = value.slice(slash + 1);
    if (!/^(?:0|[1-9]\d{0,2})$/.test(length) || Number(length) > (version === 4 ? 32 : 128))
      throw new InvalidValue(bad);
  }
  return value;
}

/**
 * An interface name (--dev, -i): what Linux accepts (1 to 15 bytes, not "." or "..", no "/", ":" or
 * space), narrowed to the characters real names use, so that the name is safe in a printed command.
 */
export function interfaceName(value: string): string {
  if (!/^[A-Za-z0-9_.@-]{1,15}$/.test(value) || value === "." || value === ".." || value.startsWith("-")) {
    throw new InvalidValue(
      `${quoted(value)} is not an interface name (e.g. eth0, enp3s0, wlan0; at most 15 characters)`,
    );
  }
  return value;
}

/**
 * A capture device for `live -i` (passed to tcpdump as one argument, never through a shell): an
 * interface name, or one of libpcap's pseudo-devices (any, nflog:5, usbmon1).
 */
export function captureInterface(value: string): string {
  if (!/^[A-Za-z0-9_.:@-]{1,64}$/.test(value) || value.startsWith("-")) {
    throw new InvalidValue(`${quoted(value)} is not an interface name (e.g. eth0, any; see tcpdump -D)`);
  }
  return value;
}

/** --idle-timeout, the same for every command that reads captures. */
export const idleTimeoutOption = {
  type: "string",
  default: "300",
  coerce: single("idle-timeout", positiveSeconds),
  describe: "seconds of capture time before an idle connection is finalised (300, 90s, 5min)",
} as const;

/** --color / --no-color, the same for every command. */
export const colorOption = {
  type: "boolean",
  default: true,
  describe: "colour on a terminal (--no-color, or NO_COLOR, turns it off)",
} as const;

/** --all-fixes (-v), the same for every command with a table. */
export const allFixesOption = {
  alias: "v",
  type: "boolean",
  default: false,
  describe: "table: every fix of every finding (by default the first two, the most targeted)",
} as const;

/** Flags that take no value: a negative number after one of them is an operand, not its value. */
const FLAGS = new Set(["--color", "--no-color", "--help", "-h", "--version"]);
/** Options whose value may be "-" (stdout), which yargs would otherwise take for an operand. */
const DASH_VALUE = new Set(["-o", "--output"]);

/**
 * yargs reads `--rtt -5ms` as the flags -5, -m, -s. Before parsing, an option followed by what
 * can only be a value (a negative number; "-" after -o) is joined to it: `--rtt=-5ms`, so the
 * value reaches its parser and is refused for what it is.
 */
export function protectValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    const isOption = a.startsWith("-") && a.length > 1 && !a.includes("=") && !/^-[\d.]/.test(a) && !FLAGS.has(a);
    if (isOption && next !== undefined && (/^-[\d.]/.test(next) || (next === "-" && DASH_VALUE.has(a)))) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
