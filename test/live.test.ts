/** `wscale live -` fed through a pipe in pieces, with pauses, as tcpdump -U would write. */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, ROOT } from "./helpers/bin.js";

function live(args: string[]) {
  // A wide terminal: the handshake lines below are matched whole (at 80 columns they wrap).
  const child = spawn(process.execPath, [BIN, "live", ...args], {
    env: { ...process.env, NO_COLOR: "1", COLUMNS: "200" },
  });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, out: () => stdout, exited };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const send = (child: ChildProcessWithoutNullStreams, bytes: Uint8Array) =>
  new Promise<void>((r) => child.stdin.write(bytes, () => r()));

describe("wscale live", () => {
  it("prints the handshake and the rewrite finding while the input is still open, the report at EOF", async () => {
    const pcap = readFileSync(join(ROOT, "captures/rewrite-syn-0.client.pcap"));
    const w = live(["-"]);
    // The first 60 records: handshake and a few 63-byte round trips. Pieces of 7 bytes.
    let off = 24;
    for (let i = 0; i < 60; i++) off += 16 + pcap.readUInt32LE(off + 8);
    for (let p = 0; p < off; p += 7) await send(w.child, pcap.subarray(p, Math.min(off, p + 7)));
    await until(() =>
      w.out().includes("c1 198.18.1.2:44620 -> 198.18.2.2:80: client wscale 10, server wscale 10; scaling on"),
    );
    // Findings are checked every 500 ms on open connections: keep the pipe open and idle.
    await until(() => w.out().includes("[error] scale-rewritten"));
    expect(w.out()).not.toContain("Findings");
    w.child.stdin.end(pcap.subarray(off));
    expect(await w.exited).toBe(1);
    expect(w.out()).toContain("Findings");
    // Printed in full as it happened; the report names it by id only.
    expect(w.out().match(/\[error\] scale-rewritten/g)).toHaveLength(2);
    const lines = w.out().split("\n");
    const message = lines[lines.findIndex((l) => l.startsWith("[error] scale-rewritten")) + 1]!;
    expect(lines.filter((l) => l === message)).toHaveLength(1);
    expect(w.out()).toMatch(/^\[error\] scale-rewritten \(likely\) on c1 .* \(above\)$/m);
  });

  it("ndjson: handshake, finding, connection, report events, one JSON object per line", async () => {
    const w = live(["-", "--format", "ndjson"]);
    w.child.stdin.end(readFileSync(join(ROOT, "captures/strip-synack.client.pcap")));
    expect(await w.exited).toBe(0);
    const events = w
      .out()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(["handshake", "finding", "finding", "connection", "report"]);
    expect(events[1]).toMatchObject({ id: "scale-stripped", confidence: "certain" });
    // The report record counts the findings; the records before it carried them.
    expect(events.at(-1).summary.findings.total).toBe(2);
    expect(events.at(-1).findings).toBeUndefined();
  });

  it("tcpdump text on stdin works the same", async () => {
    const text = readFileSync(join(ROOT, "test/fixtures/text/healthy-n.txt"));
    const w = live(["-", "--format", "json"]);
    w.child.stdin.end(text);
    expect(await w.exited).toBe(0);
    const r = JSON.parse(w.out());
    expect(r.inputs[0].format).toBe("tcpdump-text");
    expect(r.connections[0]).toMatchObject({ scaling: "on", client: { shift: 10 }, server: { shift: 10 } });
  });

  it("SIGINT: reads on for the grace period, then reports; the report is never lost", async () => {
    const pcap = readFileSync(join(ROOT, "captures/rewrite-syn-0.client.pcap"));
    const w = live(["-"]);
    await send(w.child, pcap.subarray(0, 4000));
    await until(() => w.out().includes("scaling on"));
    const t0 = Date.now();
    w.child.kill("SIGINT");
    expect(await w.exited).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    expect(w.out()).toContain("Findings");
    expect(w.out()).toContain("scale-rewritten");
  });

  it("needs either - or -i", async () => {
    const w = live([]);
    expect(await w.exited).toBe(2);
  });
});
