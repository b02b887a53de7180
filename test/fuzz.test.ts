/**
 * Bounded mutation fuzzing over captures/ (issue 14): each capture (pcap, pcapng, gzip) damaged by
 * flipped bits, a cut, a spliced-in stretch of another capture, or an extreme length field. For
 * every damaged file: no exception but an InputError escapes the analysis, an InputError is one
 * line naming the file and a byte offset, and every packet that ended before the first damaged
 * byte is still read, exactly. Some of them also go through the CLI: exit 0, 1 or 2 only, stderr
 * one line per problem, each naming the file and the byte, no stack trace.
 *
 * The normal suite runs a fixed seed for a few seconds. `npm run fuzz` runs longer with a new seed
 * (printed; FUZZ_SEED=<n> repeats a run, FUZZ_RUNS and FUZZ_CLI_RUNS set its size).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, inflateRawSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { analyze } from "../src/analysis/analyze.js";
import { InputError } from "../src/capture/issue.js";
import { newFrameReader, openInput } from "../src/capture/open.js";
import { BIN, ROOT } from "./helpers/bin.js";
import { type FrameCopy, readChunks } from "./helpers/capture-builder.js";

const LONG = process.env.WSCALE_FUZZ === "long";
const SEED = Number(process.env.FUZZ_SEED ?? (LONG ? Date.now() % 2 ** 31 : 0x5eed_2024));
const RUNS = Number(process.env.FUZZ_RUNS ?? (LONG ? 3000 : 60));
const CLI_RUNS = Number(process.env.FUZZ_CLI_RUNS ?? (LONG ? 150 : 4));
if (LONG)
  console.log(`fuzz: seed ${SEED} (FUZZ_SEED=${SEED} repeats this run), ${RUNS} runs, ${CLI_RUNS} through the CLI`);

const DIR = join(ROOT, "captures");
const CAPTURES = readdirSync(DIR)
  .filter((f) => /\.(pcap|pcapng|pcap\.gz)$/.test(f))
  .sort()
  .map((name) => {
    const bytes = new Uint8Array(readFileSync(join(DIR, name)));
    return { name, bytes, starts: name.endsWith(".gz") ? [] : recordStarts(bytes) };
  });
const tmp = mkdtempSync(join(tmpdir(), "wscale-fuzz-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Offsets of the records (pcap) or blocks (pcapng, little-endian) of an undamaged capture. */
function recordStarts(b: Uint8Array): number[] {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const pcapng = view.getUint32(0) === 0x0a0d0d0a;
  const starts: number[] = [];
  for (let o = pcapng ? 0 : 24; o + 16 <= b.length; ) {
    starts.push(o);
    o += pcapng ? view.getUint32(o + 4, true) : 16 + view.getUint32(o + 8, true);
  }
  return starts;
}

/** mulberry32: a small seeded generator, so a failing run can be repeated. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}
type Rng = ReturnType<typeof rng>;

const EXTREME = [0, 1, 11, 12, 13, 0xffff, 0x10000, 262_144, 262_145, 0x7fffffff, 0x80000000, 0xffffffff];

interface Mutant {
  bytes: Uint8Array;
  /** The first byte that differs from the original (its length when the original was only cut). */
  firstDamage: number;
  what: string;
}

/**
 * One damage, seeded: flip bits, cut, splice in a stretch of another capture, or an extreme
 * length. Half of the time it lands at or near a record's start (`starts`, when known), where
 * the readers' boundary cases are: a header cut short, a length field.
 */
function mutate(original: Uint8Array, r: Rng, starts: number[]): Mutant {
  const n = original.length;
  const anywhere = () => r.int(n);
  const near = () => (starts.length > 0 && r.next() < 0.5 ? Math.min(n - 1, r.pick(starts) + r.int(32)) : anywhere());
  switch (r.int(4)) {
    case 0: {
      const b = original.slice();
      const at = near();
      const flips = 1 + r.int(4);
      for (let i = 0; i < flips; i++) b[Math.min(n - 1, at + r.int(8))]! ^= 1 << r.int(8);
      return { bytes: b, firstDamage: firstDifference(original, b), what: `${flips} bit flips from byte ${at}` };
    }
    case 1: {
      const at = near();
      return { bytes: original.slice(0, at), firstDamage: at, what: `cut at byte ${at}` };
    }
    case 2: {
      const donor = r.pick(CAPTURES).bytes;
      const from = r.int(donor.length);
      const piece = donor.subarray(from, from + 1 + r.int(3000));
      const at = near();
      const b = new Uint8Array(n + piece.length);
      b.set(original.subarray(0, at));
      b.set(piece, at);
      b.set(original.subarray(at), at + piece.length);
      return { bytes: b, firstDamage: firstDifference(original, b), what: `${piece.length} bytes spliced in at ${at}` };
    }
    default: {
      // A length field, or any 4 bytes: extreme values in either byte order.
      const b = original.slice();
      const at = Math.min(near(), Math.max(0, n - 4)) & ~3;
      const value = r.pick(EXTREME);
      new DataView(b.buffer).setUint32(at, value, r.next() < 0.5);
      return { bytes: b, firstDamage: firstDifference(original, b), what: `${value} written at byte ${at}` };
    }
  }
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Everything openInput and the frame reader deliver, plus where each frame's record ends. */
async function frames(path: string): Promise<{ frames: FrameCopy[]; decompressed: number } | InputError> {
  let opened: Awaited<ReturnType<typeof openInput>>;
  try {
    opened = await openInput(path);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(1 << 20);
  try {
    for (;;) {
      const n = await opened.read(buf, 0, buf.length);
      if (n === 0) break;
      parts.push(buf.slice(0, n));
    }
  } finally {
    await opened.close();
  }
  const data = new Uint8Array(Buffer.concat(parts));
  if (opened.format === "tcpdump-text") return { frames: [], decompressed: data.length };
  return { frames: readChunks(newFrameReader(opened.format), data).frames, decompressed: data.length };
}

/** Where a frame's record or block ends in the (decompressed) capture. */
function recordEnd(data: Uint8Array, f: FrameCopy, pcapng: boolean): number {
  return pcapng
    ? f.fileOffset + new DataView(data.buffer, data.byteOffset).getUint32(f.fileOffset + 4, true)
    : f.fileOffset + 16 + f.caplen;
}

interface Original {
  frames: FrameCopy[];
  ends: number[];
  gzip: boolean;
}

const originals = new Map<string, Original>();
async function original(name: string, bytes: Uint8Array): Promise<Original> {
  const cached = originals.get(name);
  if (cached) return cached;
  const gzip = name.endsWith(".gz");
  const data = gzip ? new Uint8Array(inflateRawSync(bytes.subarray(10))) : bytes;
  const pcapng = new DataView(data.buffer, data.byteOffset).getUint32(0) === 0x0a0d0d0a;
  const r = await frames(join(DIR, name));
  if (r instanceof InputError) throw r;
  const o = { frames: r.frames, ends: r.frames.map((f) => recordEnd(data, f, pcapng)), gzip };
  originals.set(name, o);
  return o;
}

/** How much of the (decompressed) capture lies before the first damaged byte. */
function intactPrefix(o: Original, bytes: Uint8Array, firstDamage: number): number {
  if (!o.gzip) return firstDamage;
  // gzipped: what the compressed bytes before the damage decode to (the header is 10 bytes).
  if (firstDamage <= 10) return 0;
  return inflateRawSync(bytes.subarray(10, firstDamage), { finishFlush: constants.Z_SYNC_FLUSH }).length;
}

const ONE_LINE_ERROR = (path: string) =>
  new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: byte \\d+: [^\\n]+$`);

describe(`mutation fuzzing over captures/ (seed ${SEED})`, () => {
  const r = rng(SEED);
  // Each format as often as the others (captures/ holds many more pcap files than pcapng or gzip).
  const byFormat = [".pcap", ".pcapng", ".gz"].map((ext) => CAPTURES.filter((c) => c.name.endsWith(ext)));
  const cases = Array.from({ length: RUNS }, (_, i) => {
    const c = r.pick(r.pick(byFormat));
    return { i, name: c.name, ...mutate(c.bytes, r, c.starts) };
  });

  it(
    `${RUNS} damaged captures: only InputErrors escape, one line each, and every packet before the damage is read`,
    async () => {
      for (const c of cases) {
        const label = `run ${c.i}: ${c.name}, ${c.what}`;
        const path = join(tmp, `${c.i}-${c.name}`);
        writeFileSync(path, c.bytes);
        const o = await original(c.name, CAPTURES.find((x) => x.name === c.name)!.bytes);
        // The whole analysis: a report, or an InputError; never anything else.
        try {
          const report = await analyze([path], { idleTimeout: 300 });
          for (const w of report.inputs[0]!.warnings) {
            expect(Number.isInteger(w.offset) && w.offset >= 0, label).toBe(true);
            expect(w.message, label).not.toContain("\n");
          }
        } catch (e) {
          expect(e, label).toBeInstanceOf(InputError);
          expect((e as InputError).message, label).toMatch(ONE_LINE_ERROR(path));
        }
        // Every packet that ended before the first damaged byte is read, exactly and first.
        const got = await frames(path);
        const prefix = intactPrefix(o, c.bytes, c.firstDamage);
        const before = o.frames.filter((_, k) => o.ends[k]! <= prefix);
        if (got instanceof InputError) {
          expect(before, `${label}: ${got.message}`).toEqual([]);
          continue;
        }
        expect(got.frames.slice(0, before.length), label).toEqual(before);
      }
    },
    120_000 + RUNS * 2_000,
  );

  it(
    `${CLI_RUNS} of them through the CLI: exit 0, 1 or 2; stderr one line per problem naming the file and byte`,
    () => {
      for (const c of cases.slice(0, CLI_RUNS)) {
        const label = `run ${c.i}: ${c.name}, ${c.what}`;
        const path = join(tmp, `cli-${c.i}-${c.name}`);
        writeFileSync(path, c.bytes);
        const p = spawnSync(process.execPath, [BIN, "analyze", path, "--format", "json"], {
          encoding: "utf8",
          timeout: 60_000,
        });
        expect([0, 1, 2], label).toContain(p.status);
        const lines = p.stderr.split("\n").filter((l) => l !== "");
        if (p.status === 2) {
          expect(lines.length, `${label}: ${p.stderr}`).toBe(1);
          expect(lines[0]!.replace(/^wscale: /, ""), label).toMatch(ONE_LINE_ERROR(path));
        } else {
          expect(() => JSON.parse(p.stdout), label).not.toThrow();
          for (const l of lines) expect(l.replace(/^wscale: warning: /, ""), label).toMatch(ONE_LINE_ERROR(path));
        }
      }
    },
    60_000 + CLI_RUNS * 15_000,
  );
});
