// Bundles the tsc output into the one file the `wscale` bin runs (dist/wscale.js). Node 20 has no
// module compile cache: loading ~80 separate ES modules (yargs alone is 30) cost ~90 ms of every
// run, one file loads in about a third of that (bench/README.md has the figures).
import { chmodSync } from "node:fs";
import { build } from "esbuild";

const outfile = "dist/wscale.js";
await build({
  entryPoints: ["dist/cli/main.js"],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  alias: { assert: "./scripts/assert-lite.mjs" },
  // The CommonJS dependencies (cli-table3) require() Node built-ins, which an ES module lacks.
  banner: {
    js: 'import { createRequire as __wscaleRequire } from "node:module";\nconst require = __wscaleRequire(import.meta.url);',
  },
  logLevel: "warning",
});
chmodSync(outfile, 0o755);
