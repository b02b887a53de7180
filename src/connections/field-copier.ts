/**
 * A function that sets every own field of an object to its value in `blank`, except the fields
 * named in `keep`: what reset() of a reused object needs. Compiled once per class into plain
 * property stores, one per field: Object.assign(target, blank) does the same through generic
 * lookups and took 20 times longer (10 µs against 0.5 µs for a Connection and its two Endpoints).
 */
export function fieldCopier<T extends object>(blank: T, keep: readonly string[]): (target: T) => void {
  const fields = Object.keys(blank).filter((k) => !keep.includes(k));
  for (const f of fields) if (!/^[A-Za-z_$][\w$]*$/.test(f)) throw new Error(`field name ${f} cannot be copied`);
  const copy = new Function("o", "b", fields.map((f) => `o.${f} = b.${f};`).join("\n")) as (o: T, b: T) => void;
  return (target) => copy(target, blank);
}
