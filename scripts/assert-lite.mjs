// Stands in for node:assert in the bundle. yargs imports it for two internal invariant checks,
// and loading node:assert (with its error formatting) costs ~12 ms of every run.
export function strictEqual(actual, expected, message) {
  if (!Object.is(actual, expected)) throw new Error(message ?? `expected ${String(expected)}, got ${String(actual)}`);
}

export function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected)) throw new Error(message ?? `did not expect ${String(actual)}`);
}
