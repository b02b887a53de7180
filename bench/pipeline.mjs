#!/usr/bin/env node
// Issue 13's experiment for one big file: a two-stage pipeline, reading and decoding in a worker
// thread and connection tracking (with summaries and findings) on the main thread, the decoded
// segments passed through a SharedArrayBuffer ring, against both stages on one thread. Kept only
// if it gives >= 1.4x on bulk; bench/README.md has what it gave.
// Usage: node bench/pipeline.mjs FILE.pcap [--runs 5]      (after npm run build)
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { createSource } from "../dist/analysis/analyze.js";
import { READ_PREFIX } from "../dist/capture/byte-window.js";
import { openInput, READ_SIZE } from "../dist/capture/open.js";
import { summarize } from "../dist/connections/summary.js";
import { ConnectionTracker } from "../dist/connections/tracker.js";
import { TcpSegment } from "../dist/decode/segment.js";
import { evaluateFindings } from "../dist/findings/evaluate.js";

/** One segment in the ring: Int32 fields, then the TSval/ack/seq as unsigned, the time as Float64. */
const INTS = 36;
const KINDS = 40;
const SLOT_BYTES = 8 + INTS * 4 + KINDS + 8 * 8; // time, ints, option kinds, SACK edges
const SLOTS = 1 << 14;
const BATCH = 256;

/** Decoded segments in, a stream of fixed-size slots out (and back). */
function ring(sab) {
  return {
    ctl: new Int32Array(sab, 0, 4), // [0] written, [1] read, [2] done
    f64: new Float64Array(sab, 16),
    i32: new Int32Array(sab, 16),
    u8: new Uint8Array(sab, 16),
  };
}

function put(r, slot, s) {
  const base = slot * SLOT_BYTES;
  r.f64[base / 8] = s.time;
  const i = r.i32;
  let k = base / 4 + 2;
  i[k++] = s.input;
  i[k++] = s.frame;
  i[k++] = s.ipVersion;
  for (let w = 0; w < 4; w++) i[k++] = s.src[w];
  for (let w = 0; w < 4; w++) i[k++] = s.dst[w];
  i[k++] = s.ttl;
  i[k++] = s.ipId;
  i[k++] = (s.dontFragment ? 1 : 0) | (s.fragmented ? 2 : 0) | (s.sackPermitted ? 4 : 0) | (s.hasTimestamp ? 8 : 0);
  i[k++] = s.srcPort;
  i[k++] = s.dstPort;
  i[k++] = s.seq;
  i[k++] = s.ack;
  i[k++] = s.flags;
  i[k++] = s.window;
  i[k++] = s.headerLength;
  i[k++] = s.payloadLength;
  i[k++] = s.optionsState;
  i[k++] = s.mss;
  i[k++] = s.wscale;
  i[k++] = s.wscaleLength;
  i[k++] = s.wscaleCount;
  i[k++] = s.tsVal;
  i[k++] = s.tsEcr;
  i[k++] = s.sackCount;
  i[k++] = s.optionCount;
  i[k++] = s.longestNopRun;
  const kinds = base + 8 + INTS * 4;
  for (let o = 0; o < s.optionCount; o++) r.u8[kinds + o] = s.optionKinds[o];
  const sack = (kinds + KINDS) / 8;
  for (let e = 0; e < s.sackCount * 2; e++) r.f64[sack + e] = s.sack[e];
}

function get(r, slot, s) {
  const base = slot * SLOT_BYTES;
  s.time = r.f64[base / 8];
  const i = r.i32;
  let k = base / 4 + 2;
  s.input = i[k++];
  s.frame = i[k++];
  s.ipVersion = i[k++];
  for (let w = 0; w < 4; w++) s.src[w] = i[k++];
  for (let w = 0; w < 4; w++) s.dst[w] = i[k++];
  s.ttl = i[k++];
  s.ipId = i[k++];
  const bits = i[k++];
  s.dontFragment = (bits & 1) !== 0;
  s.fragmented = (bits & 2) !== 0;
  s.sackPermitted = (bits & 4) !== 0;
  s.hasTimestamp = (bits & 8) !== 0;
  s.srcPort = i[k++];
  s.dstPort = i[k++];
  s.seq = i[k++] >>> 0;
  s.ack = i[k++] >>> 0;
  s.flags = i[k++];
  s.window = i[k++];
  s.headerLength = i[k++];
  s.payloadLength = i[k++];
  s.optionsState = i[k++];
  s.mss = i[k++];
  s.wscale = i[k++];
  s.wscaleLength = i[k++];
  s.wscaleCount = i[k++];
  s.tsVal = i[k++] >>> 0;
  s.tsEcr = i[k++] >>> 0;
  s.sackCount = i[k++];
  s.optionCount = i[k++];
  s.longestNopRun = i[k++];
  const kinds = base + 8 + INTS * 4;
  for (let o = 0; o < s.optionCount; o++) s.optionKinds[o] = r.u8[kinds + o];
  const sack = (kinds + KINDS) / 8;
  for (let e = 0; e < s.sackCount * 2; e++) s.sack[e] = r.f64[sack + e];
}

/** Read and decode a file, calling `each` per segment (the reused object). */
async function decode(file, each) {
  const opened = await openInput(file);
  const source = createSource(opened.format);
  const seg = new TcpSegment();
  const w = source.window;
  let next = opened.read(w.readTarget(READ_SIZE), READ_PREFIX, READ_SIZE);
  for (;;) {
    const n = await next;
    if (n === 0) break;
    w.swapIn(n);
    next = opened.read(w.readTarget(READ_SIZE), READ_PREFIX, READ_SIZE);
    while (source.next(seg)) each(seg);
  }
  source.finish();
  while (source.next(seg)) each(seg);
  await opened.close();
}

function tracker() {
  let findings = 0;
  let connections = 0;
  const t = new ConnectionTracker({
    idleTimeout: 300,
    onFinal(conn) {
      findings += evaluateFindings(conn, summarize(conn)).length;
      connections++;
    },
  });
  return { t, result: () => ({ connections, findings }) };
}

if (!isMainThread) {
  // Stage 1: read and decode into the ring, a batch at a time.
  const r = ring(workerData.sab);
  let written = 0;
  await decode(workerData.file, (seg) => {
    while (written - Atomics.load(r.ctl, 1) >= SLOTS) Atomics.wait(r.ctl, 1, Atomics.load(r.ctl, 1));
    put(r, written % SLOTS, seg);
    written++;
    if (written % BATCH === 0) {
      Atomics.store(r.ctl, 0, written);
      Atomics.notify(r.ctl, 0);
    }
  });
  Atomics.store(r.ctl, 0, written);
  Atomics.store(r.ctl, 2, 1);
  Atomics.notify(r.ctl, 0);
  parentPort.postMessage("done");
} else {
  const file = process.argv[2];
  const runs = Number(process.argv[process.argv.indexOf("--runs") + 1] || 5) || 5;
  const one = async () => {
    const { t, result } = tracker();
    await decode(file, (seg) => t.segment(seg));
    t.flush();
    return result();
  };
  const two = async () => {
    const sab = new SharedArrayBuffer(16 + SLOTS * SLOT_BYTES);
    const r = ring(sab);
    const worker = new Worker(new URL(import.meta.url), { workerData: { sab, file } });
    const { t, result } = tracker();
    const seg = new TcpSegment();
    let read = 0;
    for (;;) {
      const written = Atomics.load(r.ctl, 0);
      if (read === written) {
        if (Atomics.load(r.ctl, 2) === 1 && Atomics.load(r.ctl, 0) === read) break;
        Atomics.wait(r.ctl, 0, written, 50);
        continue;
      }
      for (; read < written; read++) {
        get(r, read % SLOTS, seg);
        t.segment(seg);
        if (read % BATCH === 0) {
          Atomics.store(r.ctl, 1, read);
          Atomics.notify(r.ctl, 1);
        }
      }
      Atomics.store(r.ctl, 1, read);
      Atomics.notify(r.ctl, 1);
    }
    t.flush();
    await worker.terminate();
    return result();
  };
  const time = async (f) => {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const res = await f();
    const c = process.cpuUsage(c0);
    return { wall: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (c.user + c.system) / 1e6, res };
  };
  // The ring's own cost, on one thread: each segment written to a slot and read back.
  const copied = async () => {
    const r = ring(new SharedArrayBuffer(16 + SLOTS * SLOT_BYTES));
    const { t, result } = tracker();
    const copy = new TcpSegment();
    let n = 0;
    await decode(file, (seg) => {
      put(r, n % SLOTS, seg);
      get(r, n % SLOTS, copy);
      n++;
      t.segment(copy);
    });
    t.flush();
    return result();
  };
  await one(); // warm the page cache and the JIT
  const samples = { one: [], two: [], copied: [] };
  for (let i = 0; i < runs; i++) {
    samples.one.push(await time(one));
    samples.two.push(await time(two));
    samples.copied.push(await time(copied));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const sum = (name) => ({
    wall: median(samples[name].map((s) => s.wall)),
    cpu: median(samples[name].map((s) => s.cpu)),
    result: samples[name][0].res,
  });
  const a = sum("one");
  const b = sum("two");
  const c = sum("copied");
  console.log(
    JSON.stringify({
      file,
      runs,
      oneThread: a,
      pipeline: b,
      ringOnOneThread: c,
      speedup: +(a.wall / b.wall).toFixed(2),
    }),
  );
}
