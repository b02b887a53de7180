/** Human units for terminal and Markdown output; JSON keeps raw numbers. */

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
  const bits = bytesPerSecond * 8;
  if (bits < 1e3) return `${trim(bits)} bit/s`;
  if (bits < 1e6) return `${trim(bits / 1e3)} kbit/s`;
  if (bits < 1e9) return `${trim(bits / 1e6)} Mbit/s`;
  return `${trim(bits / 1e9)} Gbit/s`;
}

export function ms(x: number | null): string {
  if (x === null) return "?";
  return x < 10 ? `${trim(x, 2)} ms` : `${trim(x)} ms`;
}

function trim(x: number, digits = 1): string {
  return x >= 100 ? Math.round(x).toString() : Number(x.toFixed(digits)).toString();
}
