#!/usr/bin/env node
// Experiment (issue 13): is one big file analysed faster as a two-stage pipeline, reading and
// decoding in a worker thread and tracking connections in the main thread, with the decoded
// segments passed through a SharedArrayBuffer ring? Both modes run the same stages on the built
// modules (dist/): decode -> tracker -> summary, findings and an NDJSON rendering that is dropped.
// Usage: node bench/pipeline.mjs FILE single|pipeline   (prints one JSON line)
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { createSource } from "../dist/analysis/analyze.js";
import { READ_PREFIX } from "../dist/capture/byte-window.js";
import { openInput, READ_SIZE } from "../dist/capture/open.js";
import { summarize } from "../dist/connections/summary.js";
import { ConnectionTracker } from "../dist/connections/tracker.js";
import { TcpSegment } from "../dist/decode/segment.js";
import { evaluateFindings } from "../dist/findings/evaluate.js";
import { NdjsonWriter } from "../dist/report/ndjson.js";

/** 32-bit words per segment record (see put/get), and records in the ring. */
const WORDS = 44;
const RECORDS = 1 << 15;
/** Head and tail are published every BATCH records: fewer atomic operations and wake-ups. */
const BATCH = 512;
const HEAD = 0;
const TAIL = 1;
const DONE = 2;

function put(w, f, r, s) {
  const o = r * WORDS;
  f[o >> 1] = s.time;
  w[o + 2] = s.input;
  w[o + 3] = s.frame;
  for (let i = 0; i < 4; i++) {
    w[o + 4 + i] = s.src[i];
    w[o + 8 + i] = s.dst[i];
  }
  w[o + 12] = s.ttl;
  w[o + 13] = s.ipId;
  w[o + 14] =
    s.ipVersion |
    (s.dontFragment ? 1 << 8 : 0) |
    (s.fragmented ? 1 << 9 : 0) |
    (s.sackPermitted ? 1 << 10 : 0) |
    (s.hasTimestamp ? 1 << 11 : 0) |
    (s.optionsState << 12) |
    (s.flags << 16);
  w[o + 15] = s.srcPort | (s.dstPort << 16);
  w[o + 16] = s.seq;
  w[o + 17] = s.ack;
  w[o + 18] = s.window | (s.headerLength << 16);
  w[o + 19] = s.payloadLength;
  w[o + 20] = s.mss;
  w[o + 21] = s.wscale;
  w[o + 22] = s.wscaleLength | (s.wscaleCount << 8) | (s.sackCount << 16) | (s.optionCount << 24);
  w[o + 23] = s.tsVal;
  w[o + 24] = s.tsEcr;
  for (let i = 0; i < 2 * s.sackCount; i++) w[o + 25 + i] = s.sack[i];
  w[o + 33] = s.longestNopRun;
  const kinds = new Uint8Array(w.buffer, (o + 34) * 4, 40);
  kinds.set(s.optionKinds.subarray(0, Math.min(40, s.optionCount)));
}

function get(w, f, r, s, kinds) {
  const o = r * WORDS;
  s.time = f[o >> 1];
  s.input = w[o + 2];
  s.frame = w[o + 3];
  for (let i = 0; i < 4; i++) {
    s.src[i] = w[o + 4 + i];
    s.dst[i] = w[o + 8 + i];
  }
  s.ttl = w[o + 12];
  s.ipId = w[o + 13];
  const b = w[o + 14];
  s.ipVersion = b & 0xff;
  s.dontFragment = (b & (1 << 8)) !== 0;
  s.fragmented = (b & (1 << 9)) !== 0;
  s.sackPermitted = (b & (1 << 10)) !== 0;
  s.hasTimestamp = (b & (1 << 11)) !== 0;
  s.optionsState = (b >>> 12) & 0xf;
  s.flags = b >>> 16;
  const p = w[o + 15];
  s.srcPort = p & 0xffff;
  s.dstPort = p >>> 16;
  s.seq = w[o + 16];
  s.ack = w[o + 17];
  const wh = w[o + 18];
  s.window = wh & 0xffff;
  s.headerLength = wh >>> 16;
  s.payloadLength = w[o + 19];
  s.mss = w[o + 20] | 0;
  s.wscale = w[o + 21] | 0;
  const c = w[o + 22];
  s.wscaleLength = c & 0xff;
  s.wscaleCount = (c >>> 8) & 0xff;
  s.sackCount = (c >>> 16) & 0xff;
  s.optionCount = c >>> 24;
  s.tsVal = w[o + 23];
  s.tsEcr = w[o + 24];
  for (let i = 0; i < 2 * s.sackCount; i++) s.sack[i] = w[o + 25 + i];
  s.longestNopRun = w[o + 33];
  s.optionKinds.set(kinds.subarray((o + 34) * 4, (o + 34) * 4 + s.optionCount));
}

/** Every segment of the file, decoded in this thread. */
async function* segments(file) {
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
    while (source.next(seg)) yield seg;
  }
  source.finish();
  while (source.next(seg)) yield seg;
}

function analysis() {
  const out = new NdjsonWriter("error");
  let connections = 0;
  let bytes = 0;
  let sum = 0;
  const digest = (p) => {
    bytes += p.length;
    for (let i = 0; i < p.length; i += 61) sum = (sum * 31 + p[i]) >>> 0;
    out.release(p);
  };
  const tracker = new ConnectionTracker({
    idleTimeout: 300,
    reuse: true,
    onFinal(conn) {
      const summary = summarize(conn);
      out.add(summary, evaluateFindings(conn, summary));
      connections++;
      for (const p of out.take(false)) digest(p);
    },
  });
  return {
    tracker,
    end() {
      tracker.flush();
      for (const p of out.take()) digest(p);
      return { connections, bytes, sum };
    },
  };
}

if (!isMainThread) {
  // The producer: read and decode, publish records.
  const { ring, ctrl } = workerData;
  const w = new Uint32Array(ring);
  const f = new Float64Array(ring);
  const c = new Int32Array(ctrl);
  let head = 0;
  for await (const seg of segments(workerData.file)) {
    while (head - Atomics.load(c, TAIL) >= RECORDS) Atomics.wait(c, TAIL, Atomics.load(c, TAIL), 50);
    put(w, f, head % RECORDS, seg);
    if (++head % BATCH === 0) {
      Atomics.store(c, HEAD, head);
      Atomics.notify(c, HEAD);
    }
  }
  Atomics.store(c, HEAD, head);
  Atomics.store(c, DONE, 1);
  Atomics.notify(c, HEAD);
  parentPort.postMessage("done");
} else {
  const [file, mode] = process.argv.slice(2);
  const t0 = process.hrtime.bigint();
  const { tracker, end } = analysis();
  let packets = 0;
  if (mode === "single") {
    for await (const seg of segments(file)) {
      tracker.segment(seg);
      packets++;
    }
  } else {
    const ring = new SharedArrayBuffer(RECORDS * WORDS * 4);
    const ctrl = new SharedArrayBuffer(16);
    const worker = new Worker(new URL(import.meta.url), { workerData: { file, ring, ctrl } });
    const w = new Uint32Array(ring);
    const f = new Float64Array(ring);
    const kinds = new Uint8Array(ring);
    const c = new Int32Array(ctrl);
    const seg = new TcpSegment();
    let tail = 0;
    for (;;) {
      const head = Atomics.load(c, HEAD);
      if (tail === head) {
        if (Atomics.load(c, DONE) === 1 && Atomics.load(c, HEAD) === tail) break;
        Atomics.wait(c, HEAD, head, 50);
        continue;
      }
      while (tail < head) {
        get(w, f, tail % RECORDS, seg, kinds);
        tracker.segment(seg);
        if (++tail % BATCH === 0) {
          Atomics.store(c, TAIL, tail);
          Atomics.notify(c, TAIL);
        }
      }
      Atomics.store(c, TAIL, tail);
      Atomics.notify(c, TAIL);
    }
    packets = tail;
    await worker.terminate();
  }
  const result = end();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ mode, packets, ...result, seconds: +seconds.toFixed(3) }));
}
