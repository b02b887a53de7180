#!/usr/bin/env node
// Bounded TCP transfer for the network lab (test/lab/scenario.sh).
//
//   node transfer.mjs server --host ADDR --port P --bytes N [--mode download|upload] [--count K] [--timeout-ms T]
//   node transfer.mjs client --host ADDR --port P --bytes N [--mode download|upload]
//                            [--pause-after BYTES --pause-ms MS] [--timeout-ms T]
//
// download: the server writes N bytes on each connection and ends it; the client reads to the end.
// upload:   the client writes N bytes and ends; the server reads to the end, then closes.
// The client prints one JSON line {bytes, seconds, ...} on stdout; the server prints one per connection
// and exits after --count connections. Both give up after --timeout-ms so a broken path never hangs;
// then (or on SIGTERM) they still print their progress, marked "timedOut" (or "interrupted").
// --pause-after/--pause-ms make a slow reader: after that many bytes the client stops reading for a while,
// so its receive buffer fills and it advertises a zero window.

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

if ((role !== "server" && role !== "client") || (mode !== "download" && mode !== "upload") || !(total >= 0)) {
  process.stderr.write("usage: transfer.mjs server|client --host ADDR --port P --bytes N [--mode download|upload]\n");
  process.exit(2);
}

const CHUNK = 64 * 1024;
const pattern = Buffer.alloc(CHUNK, "wscale-lab ");

/** Write `n` bytes to `socket` respecting back-pressure, then end it. */
function sendAndEnd(socket, n) {
  let left = n;
  const pump = () => {
    while (left > 0) {
      const len = Math.min(left, CHUNK);
      left -= len;
      if (!socket.write(len === CHUNK ? pattern : pattern.subarray(0, len))) {
        socket.once("drain", pump);
        return;
      }
    }
    socket.end();
  };
  pump();
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
    socket.on("data", (d) => {
      received += d.length;
    });
    socket.on("error", (e) => fail(e.message));
    socket.on("close", () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      emit({ ...info, bytes: mode === "download" ? total : received, seconds });
      if (--remaining <= 0) server.close();
    });
    if (mode === "download") sendAndEnd(socket, total);
    else socket.on("end", () => socket.end());
  });
  server.on("error", (e) => fail(e.message));
  server.listen({ host: values.host || undefined, port }, () => {
    process.stderr.write(`listening on ${values.host}:${port}\n`);
  });
} else {
  const start = process.hrtime.bigint();
  let received = 0;
  let paused = false;
  let ends = {};
  const socket = net.connect({ host: values.host, port });
  socket.on("connect", () => {
    // Addresses are gone once the socket is closed, so note them now.
    ends = {
      local: socket.localAddress,
      localPort: socket.localPort,
      remote: socket.remoteAddress,
      remotePort: socket.remotePort,
    };
    if (mode === "upload") sendAndEnd(socket, total);
  });
  progress = () => ({
    role,
    mode,
    bytes: mode === "download" ? received : socket.bytesWritten,
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    ...ends,
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
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    emit({
      role: "client",
      mode,
      bytes: mode === "download" ? received : total,
      seconds,
      ...ends,
    });
  });
}
