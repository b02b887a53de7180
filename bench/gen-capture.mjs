#!/usr/bin/env node
// Writes synthetic but protocol-faithful pcaps for the benchmarks (they are never committed):
//   bulk:  a few long transfers (handshake with Linux options, 1448-byte segments, an ACK every
//          second segment with timestamps, windows scaled by 7), snaplen 96 as tcpdump -s 96 writes.
//   many:  short connections (handshake, one request, one response, FIN/ACK both ways: 12 packets).
// Usage: node bench/gen-capture.mjs bulk|many OUT.pcap [packets|connections]
import { createWriteStream } from "node:fs";

const [kind, out, countArg] = process.argv.slice(2);
if (!kind || !out) {
  console.error("usage: gen-capture.mjs bulk|many OUT.pcap [count]");
  process.exit(2);
}
const SNAPLEN = 96;
const stream = createWriteStream(out);
let buf = Buffer.alloc(8 << 20);
let pos = 0;

async function flush() {
  if (pos === 0) return;
  const chunk = buf.subarray(0, pos);
  buf = Buffer.alloc(buf.length);
  pos = 0;
  if (!stream.write(chunk)) await new Promise((r) => stream.once("drain", r));
}

// pcap header: µs, little endian, Ethernet.
const header = Buffer.alloc(24);
header.writeUInt32LE(0xa1b2c3d4, 0);
header.writeUInt16LE(2, 4);
header.writeUInt16LE(4, 6);
header.writeUInt32LE(SNAPLEN, 16);
header.writeUInt32LE(1, 20);
stream.write(header);

const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;
const FIN = 0x01;
const frame = Buffer.alloc(128);
let timeUs = 1_700_000_000 * 1e6;

/** One Ethernet/IPv4/TCP frame; options is a byte array (multiple of 4). */
function packet(src, dst, sport, dport, seq, ack, flags, win, payload, options, tsVal, tsEcr) {
  const opt = options ?? (tsVal !== undefined ? tsOption(tsVal, tsEcr) : []);
  const tcpLen = 20 + opt.length;
  const ipLen = 20 + tcpLen + payload;
  const f = frame;
  f.fill(0, 0, 14 + 20 + tcpLen);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(ipLen, 16);
  f.writeUInt16BE(0x4000, 20);
  f[22] = 64;
  f[23] = 6;
  f.writeUInt32BE(src, 26);
  f.writeUInt32BE(dst, 30);
  const t = 34;
  f.writeUInt16BE(sport, t);
  f.writeUInt16BE(dport, t + 2);
  f.writeUInt32BE(seq >>> 0, t + 4);
  f.writeUInt32BE(ack >>> 0, t + 8);
  f[t + 12] = (tcpLen / 4) << 4;
  f[t + 13] = flags;
  f.writeUInt16BE(win, t + 14);
  for (let i = 0; i < opt.length; i++) f[t + 20 + i] = opt[i];
  const wire = 14 + ipLen;
  const caplen = Math.min(wire, SNAPLEN, 14 + 20 + tcpLen + payload);
  if (pos + 16 + caplen > buf.length) return false;
  buf.writeUInt32LE(Math.floor(timeUs / 1e6), pos);
  buf.writeUInt32LE(timeUs % 1e6, pos + 4);
  buf.writeUInt32LE(caplen, pos + 8);
  buf.writeUInt32LE(wire, pos + 12);
  f.copy(buf, pos + 16, 0, caplen);
  pos += 16 + caplen;
  return true;
}

function tsOption(val, ecr) {
  return [
    1,
    1,
    8,
    10,
    val >>> 24,
    (val >>> 16) & 255,
    (val >>> 8) & 255,
    val & 255,
    ecr >>> 24,
    (ecr >>> 16) & 255,
    (ecr >>> 8) & 255,
    ecr & 255,
  ];
}

function synOptions(wscale, tsVal, tsEcr) {
  // Linux order: mss, sackOK, TS, nop, wscale
  return [2, 4, 0x05, 0xb4, 4, 2, ...tsOption(tsVal, tsEcr).slice(2), 1, 3, 3, wscale];
}

async function emit(...args) {
  if (!packet(...args)) {
    await flush();
    packet(...args);
  }
}

const CLIENT = 0xc6120102; // 198.18.1.2
const SERVER = 0xc6130202; // 198.19.2.2

async function handshake(cport, sport, cisn, sisn, client = CLIENT) {
  await emit(client, SERVER, cport, sport, cisn, 0, SYN, 64240, 0, synOptions(7, 1000, 0));
  timeUs += 10_000;
  await emit(SERVER, client, sport, cport, sisn, cisn + 1, SYN | ACK, 65160, 0, synOptions(7, 5000, 1000));
  timeUs += 10_000;
  await emit(client, SERVER, cport, sport, cisn + 1, sisn + 1, ACK, 502, 0, undefined, 1001, 5000);
}

async function bulk(totalPackets) {
  const conns = 4;
  const perConn = Math.floor(totalPackets / conns);
  for (let c = 0; c < conns; c++) {
    const cport = 40000 + c;
    const cisn = 1000 + c * 7919;
    const sisn = 0xfff00000 + c; // wraps during the transfer
    await handshake(cport, 80, cisn, sisn);
    let seq = sisn + 1;
    let ts = 5001;
    // Three packets per round: two data segments and one ACK.
    for (let i = 0; i + 3 <= perConn; i += 3) {
      await emit(SERVER, CLIENT, 80, cport, seq, cisn + 1, ACK, 509, 1448, undefined, ts, 1001);
      timeUs += 12;
      await emit(SERVER, CLIENT, 80, cport, seq + 1448, cisn + 1, ACK | PSH, 509, 1448, undefined, ts, 1001);
      timeUs += 12;
      seq = (seq + 2896) >>> 0;
      await emit(CLIENT, SERVER, cport, 80, cisn + 1, seq, ACK, 24576, 0, undefined, 1001 + (i >> 10), ts);
      timeUs += 6;
      ts++;
    }
  }
}

async function many(connections) {
  for (let c = 0; c < connections; c++) {
    // A new client address every 60,000 connections: ports are not reused within a capture.
    const cport = 1024 + (c % 60000);
    const client = CLIENT + Math.floor(c / 60000);
    const cisn = (c * 2654435761) >>> 0;
    const sisn = (c * 40503 + 17) >>> 0;
    await handshake(cport, 443, cisn, sisn, client);
    await emit(client, SERVER, cport, 443, cisn + 1, sisn + 1, ACK | PSH, 502, 300, undefined, 1002, 5000);
    await emit(SERVER, client, 443, cport, sisn + 1, cisn + 301, ACK, 509, 0, undefined, 5001, 1002);
    await emit(SERVER, client, 443, cport, sisn + 1, cisn + 301, ACK | PSH, 509, 1448, undefined, 5002, 1002);
    await emit(SERVER, client, 443, cport, sisn + 1449, cisn + 301, ACK | PSH, 509, 1000, undefined, 5002, 1002);
    await emit(client, SERVER, cport, 443, cisn + 301, sisn + 2449, ACK, 502, 0, undefined, 1003, 5002);
    await emit(client, SERVER, cport, 443, cisn + 301, sisn + 2449, ACK | FIN, 502, 0, undefined, 1004, 5002);
    await emit(SERVER, client, 443, cport, sisn + 2449, cisn + 302, ACK | FIN, 509, 0, undefined, 5003, 1004);
    await emit(client, SERVER, cport, 443, cisn + 302, sisn + 2450, ACK, 502, 0, undefined, 1005, 5003);
    await emit(SERVER, client, 443, cport, sisn + 2450, cisn + 302, ACK, 509, 0, undefined, 5004, 1005);
    timeUs += 1_000;
  }
}

if (kind === "bulk") await bulk(Number(countArg ?? 4_000_000));
else if (kind === "many") await many(Number(countArg ?? 60_000));
else {
  console.error(`unknown kind ${kind}`);
  process.exit(2);
}
await flush();
stream.end();
