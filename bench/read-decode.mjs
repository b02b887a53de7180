#!/usr/bin/env node
import { createSource } from "../dist/analysis/analyze.js";
// Reading + decoding alone (no connection tracking): packets/s and peak RSS of this process.
// Usage: node bench/read-decode.mjs FILE.pcap
import { READ_PREFIX } from "../dist/capture/byte-window.js";
import { openInput, READ_SIZE } from "../dist/capture/open.js";
import { TcpSegment } from "../dist/decode/segment.js";

const file = process.argv[2];
const t0 = process.hrtime.bigint();
const opened = await openInput(file);
const source = createSource(opened.format);
const seg = new TcpSegment();
let segments = 0;
let checksum = 0;
const w = source.window;
// The same double-buffered reading as the analysis: parse one read while the next is under way.
let next = opened.read(w.readTarget(READ_SIZE), READ_PREFIX, READ_SIZE);
for (;;) {
  const n = await next;
  if (n === 0) break;
  w.swapIn(n);
  next = opened.read(w.readTarget(READ_SIZE), READ_PREFIX, READ_SIZE);
  while (source.next(seg)) {
    segments++;
    checksum = (checksum + seg.window) | 0;
  }
}
source.finish();
while (source.next(seg)) segments++;
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const rssMB = process.resourceUsage().maxRSS / 1024;
console.log(
  JSON.stringify({
    file,
    packets: source.packets,
    segments,
    seconds: +seconds.toFixed(3),
    packetsPerSecond: Math.round(source.packets / seconds),
    peakRssMB: +rssMB.toFixed(1),
    checksum,
  }),
);
