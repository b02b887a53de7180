/**
 * Human units for terminal, Markdown and HTML output; JSON keeps raw numbers. Rates are rounded
 * exactly as the findings' messages round them (kernel/units formatBits: three significant
 * digits), so one number reads the same in the table and in the prose beside it.
 */
import { formatBits } from "../kernel/units.js";

export function bytes(n: number | null): string {
  if (n === null) return "?";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${trim(n / 1024)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${trim(n / 1024 / 1024)} MiB`;
  return `${trim(n / 1024 / 1024 / 1024)} GiB`;
}

/** Bytes per second shown as bits per second, the unit link speeds are sold in. */
export function rate(bytesPerSecond: number | null): string {
  if (bytesPerSecond === null) return "?";
  return formatBits(bytesPerSecond * 8);
}

/**
 * Above this a window ceiling says nothing about the link: window / RTT on a loopback or LAN
 * connection (0.01 ms) gives thousands of Gbit/s, which no NIC in the capture carried.
 */
export const PLAUSIBLE_LINK_BPS = 10e9 / 8;

/**
 * Where a ceiling stops meaning anything: 10 Gbit/s, or twice what the connection really carried
 * when that is more (a loopback transfer at 22 Gbit/s makes a 33 Gbit/s ceiling plausible).
 */
function ceilingLimit(throughputBps: number | null): number {
  return Math.max(PLAUSIBLE_LINK_BPS, 2 * (throughputBps ?? 0));
}

/** A ceiling (window / RTT): `> 10 Gbit/s` above a plausible link rate, else as rate(). */
export function ceiling(bytesPerSecond: number | null, throughputBps: number | null): string {
  const limit = ceilingLimit(throughputBps);
  if (bytesPerSecond !== null && bytesPerSecond > limit) return `> ${rate(limit)}`;
  return rate(bytesPerSecond);
}

/**
 * A rate for a table cell whose header names the unit (bit/s): "24.1k", "24.7M", "950", with the
 * same three significant digits as rate().
 */
export function rateShort(bytesPerSecond: number | null): string {
  if (bytesPerSecond === null) return "?";
  return formatBits(bytesPerSecond * 8).replace(/ ([kMGT]?)bit\/s$/, "$1");
}

/** ceiling() for a table cell: "24.7M", "> 10G". */
export function ceilingShort(bytesPerSecond: number | null, throughputBps: number | null): string {
  const limit = ceilingLimit(throughputBps);
  if (bytesPerSecond !== null && bytesPerSecond > limit) return `> ${rateShort(limit)}`;
  return rateShort(bytesPerSecond);
}

/** A round-trip time in milliseconds, whatever its size (never µs beside ms in one report). */
export function ms(x: number | null): string {
  if (x === null) return "?";
  if (x >= 100) return `${Math.round(x)} ms`;
  return `${Number(x.toPrecision(3))} ms`;
}

function trim(x: number, digits = 1): string {
  return x >= 100 ? Math.round(x).toString() : Number(x.toFixed(digits)).toString();
}
