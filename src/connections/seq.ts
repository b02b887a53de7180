/** 32-bit TCP sequence arithmetic (RFC 1982 style): comparisons stay right across the wrap at 2^32. */

/** a - b as a signed 32-bit distance. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
