/** Parsing and printing the quantities the advice talks about: RTTs, rates and byte counts. */

const NUMBER = "(\\d+(?:\\.\\d+)?|\\.\\d+)(?:e([+-]?\\d+))?";

function num(mantissa: string, exp: string | undefined): number {
  return Number(exp === undefined ? mantissa : `${mantissa}e${exp}`);
}

/**
 * A round-trip time: "30ms", "0.03s", "30000us" (also "µs", "sec", "msec", "usec"). A unit is required:
 * a bare "30" is refused rather than guessed. Returns seconds, or an error text.
 */
export function parseDuration(text: string): number | string {
  const m = new RegExp(`^\\s*${NUMBER}\\s*(us|µs|usec|ms|msec|s|sec)?\\s*$`, "i").exec(text);
  if (m === null) return `"${text}" is not a duration; use e.g. 30ms, 0.03s or 30000us`;
  const [, mant, exp, unitRaw] = m;
  if (unitRaw === undefined) return `"${text}" needs a unit (us, ms or s), e.g. ${text.trim()}ms`;
  const v = num(mant ?? "", exp);
  const unit = unitRaw.toLowerCase();
  const seconds = unit === "s" || unit === "sec" ? v : unit === "ms" || unit === "msec" ? v / 1e3 : v / 1e6;
  if (!(seconds > 0) || !Number.isFinite(seconds)) return `"${text}" must be a positive duration`;
  return seconds;
}

const SI: Record<string, number> = { "": 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

/**
 * A rate, in bits per second unless the unit says bytes: "1Gbit", "100Mbit/s", "500k", "1e9", "10Mbps" are bits;
 * "10MB/s", "10MBps", "1250000B/s" are bytes (times 8). Prefixes k, M, G, T are decimal (network convention)
 * and case-insensitive; only the b/B of the unit is case-sensitive. Returns bits per second, or an error text.
 */
export function parseRate(text: string): number | string {
  const m = new RegExp(`^\\s*${NUMBER}\\s*([kmgt]?)(bits?/s|bits?|bps|b/s|b|bytes?/s)?\\s*$`, "i").exec(text);
  const bad = `"${text}" is not a rate; use e.g. 1Gbit, 100Mbit/s, 500k (bits/s) or 10MB/s (bytes/s)`;
  if (m === null) return bad;
  const [, mant, exp, prefix = "", unit = ""] = m;
  // The regexp is case-insensitive for the prefix; tell bits and bytes apart on the exact spelling.
  const isBytes = /^(B|B\/s|Bps)$/.test(unit) || /^bytes?\/s$/i.test(unit);
  const isBits = unit === "" || /^bits?(\/s)?$/i.test(unit) || /^(bps|b\/s|b)$/.test(unit);
  if (!isBytes && !isBits) return bad;
  const mult = SI[prefix.toLowerCase()] ?? 1;
  const v = num(mant ?? "", exp) * mult * (isBytes ? 8 : 1);
  if (!(v > 0) || !Number.isFinite(v)) return `"${text}" must be a positive rate`;
  return v;
}

/**
 * A byte count: a plain integer, or with K/M/G (binary: x1024, as for buffer sizes; KiB/MiB/GiB also accepted).
 * Returns bytes (an integer up to 2^32 - 1), or an error text.
 */
export function parseBytes(text: string): number | string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmg])(?:i?b)?)?\s*$/i.exec(text);
  if (m === null) return `"${text}" is not a byte count; use e.g. 262143, 256K or 4M (K/M/G = x1024)`;
  const [, mant, prefix] = m;
  const mult = prefix === undefined ? 1 : 1024 ** ("kmg".indexOf(prefix.toLowerCase()) + 1);
  const v = Number(mant) * mult;
  if (!Number.isInteger(v)) return `"${text}" is not a whole number of bytes`;
  if (v > 0xffff_ffff) return `"${text}" is larger than 4294967295 bytes`;
  return v;
}

/** "8388480 bytes (8 MiB)": the exact count, plus a binary-prefixed size when that helps. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${n} bytes (${trim(v)} ${units[i]})`;
}

/** "2.24 Gbit/s" etc. (decimal prefixes, three significant digits). */
export function formatBits(bitsPerSec: number): string {
  const units: [number, string][] = [
    [1e12, "Tbit/s"],
    [1e9, "Gbit/s"],
    [1e6, "Mbit/s"],
    [1e3, "kbit/s"],
  ];
  for (const [scale, unit] of units) if (bitsPerSec >= scale) return `${sig3(bitsPerSec / scale)} ${unit}`;
  return `${sig3(bitsPerSec)} bit/s`;
}

/** "30 ms", "1.5 ms", "250 us", "1.2 s". */
export function formatDuration(seconds: number): string {
  // Compared after rounding to 3 digits: 0.99999 ms is "1 ms", not "1000 us".
  if (Number(seconds.toPrecision(3)) >= 1) return `${sig3(seconds)} s`;
  if (Number(seconds.toPrecision(3)) >= 1e-3) return `${sig3(seconds * 1e3)} ms`;
  return `${sig3(seconds * 1e6)} us`;
}

function sig3(v: number): string {
  return String(Number(v.toPrecision(3)));
}

function trim(v: number): string {
  return String(Number(v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)));
}
