import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "../..");
/** The CLI exactly as it ships: the bundle the `wscale` bin runs (built by `npm run build`). */
export const BIN = join(ROOT, "dist/wscale.js");
