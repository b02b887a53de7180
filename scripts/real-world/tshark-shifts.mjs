#!/usr/bin/env node
// tshark's reading of the window-scale shift per TCP stream and direction: the oracle the
// real-world expectations are checked against.
//
//   node scripts/real-world/tshark-shifts.mjs FILE      # prints one JSON line per stream
//
// tcp.window_size_scalefactor on a non-SYN segment is 2^shift, -1 when tshark does not know
// (no handshake seen) and -2 when scaling is not in use (then the shift is 0). The shift of an
// endpoint is the factor on the last non-SYN segment it sent. Addresses are the innermost IP
// header's (the one just before tcp in frame.protocols), so tunnelled TCP keys on its own 4-tuple.
import { spawn } from "node:child_process";

const FIELDS = [
  "frame.number",
  "tcp.stream",
  "frame.protocols",
  "ip.src",
  "ip.dst",
  "ipv6.src",
  "ipv6.dst",
  "tcp.srcport",
  "tcp.dstport",
  "tcp.flags.syn",
  "tcp.window_size_scalefactor",
];

const join = (ip, port) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);

/** Null when tshark does not know; 0 when scaling is off; else log2 of the factor. */
export function shiftOfFactor(factor) {
  if (factor === -1) return null;
  if (factor === -2) return 0;
  return Math.log2(factor);
}

/** Innermost addresses: with several IP layers, each field lists every occurrence in order. */
function innermost(protocols, ip4, ip6) {
  const layers = protocols.split(":").filter((p) => p === "ip" || p === "ipv6");
  const last = layers.lastIndexOf(layers.at(-1));
  const kind = layers.at(-1);
  const nth = layers.slice(0, last + 1).filter((p) => p === kind).length - 1;
  const values = (kind === "ipv6" ? ip6 : ip4).split(",");
  return values[Math.min(nth, values.length - 1)];
}

export function tsharkShifts(file, timeoutS = 120) {
  const args = ["-r", file, "-n", "-Y", "tcp", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a"];
  for (const f of FIELDS) args.push("-e", f);
  return new Promise((resolve, reject) => {
    const child = spawn("tshark", args, { stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutS * 1000);
    const streams = new Map();
    let rest = "";
    let stderr = "";
    const line = (l) => {
      if (!l) return;
      const [frame, stream, protocols, ip4src, ip4dst, ip6src, ip6dst, sport, dport, syn, factor] = l.split("\t");
      if (stream === "") return;
      const src = join(innermost(protocols, ip4src, ip6src), sport.split(",").at(-1));
      const dst = join(innermost(protocols, ip4dst, ip6dst), dport.split(",").at(-1));
      let s = streams.get(stream);
      if (!s) {
        s = { stream: Number(stream), firstFrame: Number(frame), key: `${src} ${dst}`, shift: {} };
        streams.set(stream, s);
      }
      if (syn.split(",").at(-1) !== "1" && factor !== "")
        s.shift[src] = shiftOfFactor(Number(factor.split(",").at(-1)));
    };
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      const lines = (rest + d).split("\n");
      rest = lines.pop();
      lines.forEach(line);
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      line(rest);
      // tshark exits 2 on a capture cut short but has printed what it read; keep that.
      if (signal) reject(new Error(`tshark killed by ${signal} on ${file}`));
      else if (code !== 0 && streams.size === 0) reject(new Error(`tshark exit ${code} on ${file}: ${stderr.trim()}`));
      else resolve([...streams.values()]);
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: tshark-shifts.mjs FILE\n");
    process.exit(2);
  }
  for (const s of await tsharkShifts(file)) process.stdout.write(`${JSON.stringify(s)}\n`);
}
