#!/usr/bin/env node
// Derive a damaged capture from a real one, to look at it with tshark or wscale: the operations of
// test/helpers/derive.ts (which the tests use), from the command line.
//
//   node scripts/derive-capture.mjs IN.pcap[.gz] OUT.pcap OPERATION ARGS... [OPERATION ARGS...]
//
// Operations, applied in order (record indices are 0-based: record i is Wireshark's frame i + 1):
//   remove I[,I...]            drop these records
//   drop PERCENT SEED [I,...]  drop each record with this probability (seeded PRNG), never these
//   swap I                     swap records I and I + 1
//   dup I[,I...]               write these records twice
//   shift AFTER SECONDS        move every record after index AFTER by SECONDS (-1: all of them)
//   stretch MIN NEW            make every pause of at least MIN seconds exactly NEW seconds long
//   slice START [END]          keep records START..END-1
//   concat FILE                append FILE's records
//   merge FILE                 merge FILE's records in time order
//
// Example: the seed case without its 5th client ACK and with 2% of records dropped (seed 7):
//   node scripts/derive-capture.mjs captures/rewrite-syn-0.client.pcap /tmp/x.pcap remove 4 drop 2 7 0,1,2
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));

function usage(message) {
  process.stderr.write(`derive-capture: ${message}\n`);
  process.stderr.write(
    "usage: derive-capture.mjs IN OUT OPERATION ARGS... (see the top of scripts/derive-capture.mjs)\n",
  );
  process.exit(2);
}

// The helpers are TypeScript: transpile them in memory (esbuild is already a build dependency).
const { outputFiles } = buildSync({
  entryPoints: [join(HERE, "../test/helpers/derive.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  write: false,
});
const d = await import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString("base64")}`);

const [input, output, ...ops] = process.argv.slice(2);
if (!input || !output || ops.length === 0) usage("need an input, an output and at least one operation");
const same = (a, b) => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
};
const list = (s) => (s ?? "").split(",").filter(Boolean).map(Number);
const num = (s, what) => {
  const n = Number(s);
  if (s === undefined || !Number.isFinite(n)) usage(`${what} must be a number, not ${s}`);
  return n;
};

let bytes = new Uint8Array(readFileSync(input));
const inputs = [input];
const before = d.recordCount(bytes);
const notes = [];
try {
  for (let i = 0; i < ops.length; ) {
    const op = ops[i++];
    switch (op) {
      case "remove":
        bytes = d.removeRecords(bytes, list(ops[i++]));
        break;
      case "drop": {
        const percent = num(ops[i++], "drop PERCENT");
        const seed = num(ops[i++], "drop SEED");
        const protect = /^[\d,]+$/.test(ops[i] ?? "") ? list(ops[i++]) : [];
        const r = d.dropRandom(bytes, percent, seed, protect);
        bytes = r.bytes;
        notes.push(`dropped ${r.dropped.length}: ${r.dropped.join(",")}`);
        break;
      }
      case "swap":
        bytes = d.swapAdjacent(bytes, num(ops[i++], "swap I"));
        break;
      case "dup":
        bytes = d.duplicateRecords(bytes, list(ops[i++]));
        break;
      case "shift":
        bytes = d.shiftTimestamps(bytes, num(ops[i++], "shift AFTER"), num(ops[i++], "shift SECONDS"));
        break;
      case "stretch": {
        const r = d.stretchGaps(bytes, num(ops[i++], "stretch MIN"), num(ops[i++], "stretch NEW"));
        bytes = r.bytes;
        notes.push(`stretched ${r.stretched.length} pauses, ending at ${r.stretched.join(",")}`);
        break;
      }
      case "slice": {
        const start = num(ops[i++], "slice START");
        const end = /^\d+$/.test(ops[i] ?? "") ? Number(ops[i++]) : undefined;
        bytes = d.slice(bytes, start, end);
        break;
      }
      case "concat":
      case "merge": {
        const other = ops[i++];
        if (!other) usage(`${op} needs a FILE`);
        inputs.push(other);
        const b = new Uint8Array(readFileSync(other));
        bytes = op === "concat" ? d.concat(bytes, b) : d.merge(bytes, b);
        break;
      }
      default:
        usage(`unknown operation ${op}`);
    }
  }
} catch (e) {
  usage(e.message);
}
// Never write over an input (a derived file replacing the real capture it came from).
if (inputs.some((f) => same(f, output) || resolve(f) === resolve(output))) usage(`${output} is one of the inputs`);
writeFileSync(output, bytes);
process.stderr.write(
  `${output}: ${d.recordCount(bytes)} records (from ${before})${notes.map((n) => `; ${n}`).join("")}\n`,
);
