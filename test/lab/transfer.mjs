#!/usr/bin/env node
// Bounded TCP transfer for the network lab (test/lab/scenario.sh).
//
//   node transfer.mjs server --host ADDR --port P --bytes N [--mode download|upload] [--count K] [--timeout-ms T]
//                            [--idle-ms MS] [--backlog B] [--pause-after BYTES --pause-ms MS]
//   node transfer.mjs client --host ADDR --port P --bytes N [--mode download|upload]
//                            [--pause-after BYTES --pause-ms MS] [--keepalive-ms MS]
//                            [--connections K [--parallel [--stagger-ms MS]] [--local-port P] [--between-ms MS]]
//                            [--request N] [--timeout-ms T]
//
// download: the server writes N bytes on each connection and ends it; the client reads to the end.
// upload:   the client writes N bytes and ends; the server reads to the end, then closes.
// The client prints one JSON line {bytes, seconds, ...} on stdout (with several connections: the total
// and `connections`, one object each); the server prints one per connection and exits after --count
// connections. Both give up after --timeout-ms so a broken path never hangs; then (or on SIGTERM) they
// still print their progress, marked "timedOut" (or "interrupted").
// --pause-after/--pause-ms make a slow reader: after that many bytes the receiver (the client, or the server
// of an upload) stops reading for a while, so its receive buffer fills and it advertises a zero window.
// --idle-ms (server, download): send the first half, wait until the client has ACKed it, stay silent for
// MS, then send the rest: an idle connection in the middle. --keepalive-ms (client): SO_KEEPALIVE with
// TCP_KEEPIDLE of MS (rounded to seconds by the kernel), so the client probes the idle connection.
// --backlog: the listen backlog (a small one overflows the SYN queue: SYN cookies).
// --connections K: K connections, one after the other (--between-ms apart) or at the same time
// (--parallel, each --stagger-ms after the previous one);
// --local-port P: every connection from this client port (the 4-tuple is reused after each close).
// --request N (download): the client first sends N bytes, as an HTTP client sends its request; the server
// reads and ignores them. Unlike a bare ACK, a request is retransmitted until the server takes it.

import net from "node:net";
import { parseArgs } from "node:util";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    host: { type: "string", default: "" },
    port: { type: "string", default: "8080" },
    bytes: { type: "string", default: "262144" },
    mode: { type: "string", default: "download" },
    count: { type: "string", default: "1" },
    "pause-after": { type: "string", default: "0" },
    "pause-ms": { type: "string", default: "0" },
    "idle-ms": { type: "string", default: "0" },
    "keepalive-ms": { type: "string", default: "0" },
    backlog: { type: "string", default: "511" },
    connections: { type: "string", default: "1" },
    parallel: { type: "boolean", default: false },
    "local-port": { type: "string", default: "0" },
    "between-ms": { type: "string", default: "0" },
    "stagger-ms": { type: "string", default: "0" },
    request: { type: "string", default: "0" },
    "timeout-ms": { type: "string", default: "15000" },
  },
});

const role = positionals[0];
const port = Number(values.port);
const total = Number(values.bytes);
const mode = values.mode;
const timeoutMs = Number(values["timeout-ms"]);
const pauseAfter = Number(values["pause-after"]);
const pauseMs = Number(values["pause-ms"]);
const idleMs = Number(values["idle-ms"]);
const keepaliveMs = Number(values["keepalive-ms"]);
const connections = Number(values.connections);
const localPort = Number(values["local-port"]);
const betweenMs = Number(values["between-ms"]);
const staggerMs = Number(values["stagger-ms"]);
const request = Number(values.request);

if (
  (role !== "server" && role !== "client") ||
  (mode !== "download" && mode !== "upload") ||
  !(total >= 0) ||
  !(connections >= 1)
) {
  process.stderr.write("usage: transfer.mjs server|client --host ADDR --port P --bytes N [--mode download|upload]\n");
  process.exit(2);
}

const CHUNK = 64 * 1024;
const pattern = Buffer.alloc(CHUNK, "wscale-lab ");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Write `n` bytes to `socket` respecting back-pressure; resolves right after the last write() call. */
function send(socket, n) {
  return new Promise((resolve) => {
    let left = n;
    const pump = () => {
      while (left > 0) {
        const len = Math.min(left, CHUNK);
        left -= len;
        if (!socket.write(len === CHUNK ? pattern : pattern.subarray(0, len)) && left > 0) {
          socket.once("drain", pump);
          return;
        }
      }
      resolve();
    };
    pump();
  });
}

/** Resolves once Node has handed everything to the kernel, plus 200 ms (~10 RTTs) for it to be sent and ACKed. */
async function drained(socket) {
  while (socket.writableLength > 0) await sleep(5);
  await sleep(200);
}

function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

// What to print if the time runs out: the role's progress so far, marked as timed out.
let progress = () => ({ role, mode, bytes: 0 });

function fail(message) {
  process.stderr.write(`transfer.mjs ${role}: ${message}\n`);
  process.exit(1);
}

// Ended from outside (the lab gives up on a stalled transfer): still say how far we got.
process.on("SIGTERM", () => {
  emit({ ...progress(), interrupted: true });
  process.exit(1);
});

// Hard bound on the whole process, whatever the network does.
setTimeout(() => {
  emit({ ...progress(), timedOut: true });
  fail(`timed out after ${timeoutMs} ms`);
}, timeoutMs).unref();

if (role === "server") {
  let remaining = Number(values.count);
  const server = net.createServer((socket) => {
    const start = process.hrtime.bigint();
    let received = 0;
    const info = {
      role: "server",
      mode,
      local: socket.localAddress,
      localPort: socket.localPort,
      remote: socket.remoteAddress,
      remotePort: socket.remotePort,
    };
    progress = () => ({
      ...info,
      bytes: mode === "download" ? socket.bytesWritten : received, // written: handed to the kernel
      seconds: Number(process.hrtime.bigint() - start) / 1e9,
    });
    let paused = false;
    socket.on("data", (d) => {
      received += d.length;
      if (!paused && pauseAfter > 0 && received >= pauseAfter) {
        paused = true; // the slow reader of an upload: see the client's
        socket.pause();
        setTimeout(() => socket.resume(), pauseMs);
      }
    });
    socket.on("error", (e) => fail(e.message));
    socket.on("close", () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      emit({ ...info, bytes: mode === "download" ? total : received, seconds });
      if (--remaining <= 0) server.close();
    });
    if (mode === "download") {
      (async () => {
        if (idleMs > 0) {
          const first = Math.floor(total / 2);
          await send(socket, first);
          await drained(socket);
          await sleep(idleMs);
          await send(socket, total - first);
        } else {
          await send(socket, total);
        }
        socket.end();
      })();
    } else socket.on("end", () => socket.end());
  });
  server.on("error", (e) => fail(e.message));
  server.listen({ host: values.host || undefined, port, backlog: Number(values.backlog) }, () => {
    process.stderr.write(`listening on ${values.host}:${port}\n`);
  });
} else {
  const start = process.hrtime.bigint();
  const results = [];
  const live = new Set();
  progress = () => ({
    role,
    mode,
    bytes: results.reduce((a, r) => a + r.bytes, 0) + [...live].reduce((a, p) => a + p().bytes, 0),
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    ...(connections === 1 && live.size === 1 ? [...live][0]() : {}),
  });

  /** One connection: resolves with {bytes, seconds, local, localPort, ...} when it has closed. */
  const connectOnce = () =>
    new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      let received = 0;
      let paused = false;
      let ends = {};
      const socket = net.connect({ host: values.host, port, ...(localPort > 0 ? { localPort } : {}) });
      const mine = () => ({
        bytes: mode === "download" ? received : socket.bytesWritten,
        seconds: Number(process.hrtime.bigint() - t0) / 1e9,
        ...ends,
      });
      live.add(mine);
      socket.on("connect", () => {
        // Addresses are gone once the socket is closed, so note them now.
        ends = {
          local: socket.localAddress,
          localPort: socket.localPort,
          remote: socket.remoteAddress,
          remotePort: socket.remotePort,
        };
        if (keepaliveMs > 0) socket.setKeepAlive(true, keepaliveMs);
        if (mode === "upload") send(socket, total).then(() => socket.end());
        else if (request > 0) send(socket, request);
      });
      socket.on("data", (d) => {
        received += d.length;
        if (!paused && pauseAfter > 0 && received >= pauseAfter) {
          // Stop reading: the kernel buffer fills and the advertised window closes to zero.
          paused = true;
          socket.pause();
          setTimeout(() => socket.resume(), pauseMs);
        }
      });
      socket.on("error", (e) => fail(e.message));
      socket.on("end", () => {
        if (mode === "download") socket.end();
      });
      socket.on("close", () => {
        live.delete(mine);
        resolve({ ...mine(), bytes: mode === "download" ? received : total });
      });
    });

  (async () => {
    if (values.parallel) {
      const started = Array.from({ length: connections }, (_, i) => sleep(i * staggerMs).then(connectOnce));
      results.push(...(await Promise.all(started)));
    } else {
      for (let i = 0; i < connections; i++) {
        if (i > 0) await sleep(betweenMs);
        results.push(await connectOnce());
      }
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (connections === 1) emit({ role: "client", mode, ...results[0], seconds });
    else {
      emit({ role: "client", mode, bytes: results.reduce((a, r) => a + r.bytes, 0), seconds, connections: results });
    }
  })();
}
