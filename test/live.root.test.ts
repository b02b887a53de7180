/**
 * Live mode against the real kernel: a transfer through a router that rewrites the client SYN's
 * shift to 0, watched while it crawls (by piping tcpdump's growing capture, its text output, and
 * by letting wscale run tcpdump itself in the client namespace). Needs root.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { BIN, ROOT } from "./helpers/bin.js";
import { LAB_TOOLS, requireTools } from "./helpers/tools.js";

// Root and the lab's tools, or a skip naming what is missing (a failure under CI).
const lab = requireTools(LAB_TOOLS);
const workdir = lab.missing.length === 0 ? mkdtempSync(join(tmpdir(), "wscale-live-")) : "";
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

function start(cmd: string, args: string[], stdin?: NodeJS.ReadableStream) {
  const child = spawn(cmd, args, {
    stdio: [stdin ? "pipe" : "ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", COLUMNS: "200" }, // handshake lines matched whole: no wrapping
  });
  children.push(child);
  if (stdin) {
    // The producer (tail, tcpdump) outlives wscale once SIGINT ends it: its last writes then meet a
    // closed pipe, as they would in a shell. Only that is expected; anything else still fails the run.
    child.stdin!.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
    });
    stdin.pipe(child.stdin!);
  }
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, out: () => out, exited, done: () => child.exitCode !== null };
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The rewrite scenario, 16 KiB at 63 bytes per round trip: about 5 s of crawling. */
function crawl(name: string) {
  const out = join(workdir, name);
  const lab = start("bash", [join(ROOT, "test/lab/scenario.sh"), "rewrite-syn-0", out, "--timeout", "12"]);
  return { out, lab, pcap: join(out, "client.pcap"), ns: `wsl-${lab.child.pid}-c` };
}

lab.describe("wscale live on a real crawling transfer", { timeout: 60_000 }, () => {
  it("tcpdump -U -w - | wscale live -: handshake and rewrite while the transfer runs, report on SIGINT", async () => {
    const run = crawl("binary");
    await until(() => existsSync(run.pcap), 20_000);
    const tail = start("tail", ["-c", "+1", "-F", run.pcap]);
    const live = start(process.execPath, [BIN, "live", "-"], tail.child.stdout!);
    await until(() => live.out().includes("scale-rewritten"), 20_000);
    expect(live.out()).toMatch(
      /c1 198\.18\.1\.2:\d+ -> 198\.18\.2\.2:80: client wscale 10, server wscale 10; scaling on/,
    );
    expect(run.lab.done()).toBe(false); // the transfer is still crawling
    live.child.kill("SIGINT");
    expect(await live.exited).toBe(1);
    expect(live.out()).toContain("Findings");
    tail.child.kill();
    await run.lab.exited;
  });

  it("tcpdump -nl text | wscale live -", async () => {
    const run = crawl("text");
    await until(() => existsSync(run.pcap), 20_000);
    const tail = start("tail", ["-c", "+1", "-F", run.pcap]);
    const text = start("tcpdump", ["-n", "-l", "-r", "-"], tail.child.stdout!);
    const live = start(process.execPath, [BIN, "live", "-", "--format", "ndjson"], text.child.stdout!);
    await until(() => live.out().includes('"id":"scale-rewritten"'), 20_000);
    expect(run.lab.done()).toBe(false);
    const events = live
      .out()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ type: "handshake", client: { wscaleOffered: 10 } });
    live.child.kill("SIGINT");
    await live.exited;
    const last = JSON.parse(live.out().trim().split("\n").at(-1)!);
    expect(last.type).toBe("report");
    expect(last.inputs[0].format).toBe("tcpdump-text");
    tail.child.kill();
    await run.lab.exited;
  });

  it("wscale live -i runs tcpdump itself", async () => {
    const run = crawl("iface");
    await until(() => existsSync(run.pcap), 20_000);
    const live = start("ip", [
      "netns",
      "exec",
      run.ns,
      process.execPath,
      BIN,
      "live",
      "-i",
      "c0",
      "--format",
      "ndjson",
    ]);
    let err = "";
    live.child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
    });
    // wscale is listening once it has started tcpdump (on a loaded machine that takes seconds);
    // a Ctrl-C before that ends it like any program.
    await until(
      () =>
        spawnSync("ps", ["-o", "comm=", "--ppid", String(live.child.pid)], { encoding: "utf8" }).stdout.includes(
          "tcpdump",
        ),
      20_000,
    );
    // It may start after the SYN went by (the lab starts the transfer at once): wait for traffic.
    await new Promise((r) => setTimeout(r, 3000));
    expect(live.done(), err).toBe(false);
    live.child.kill("SIGINT");
    expect(await live.exited).not.toBe(2);
    const records = live
      .out()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const report = records.at(-1);
    expect(report.type).toBe("report");
    expect(report.inputs[0]).toMatchObject({ path: "-", format: "pcap" });
    expect(report.inputs[0].packets).toBeGreaterThan(10);
    // Each connection is its own record, written when it is finalised (at the end, on Ctrl-C).
    const conns = records.filter((r) => r.type === "connection");
    expect(conns.length).toBe(report.summary.connections);
    expect(conns.find((c) => c.server.port === 80)).toMatchObject({
      client: { ip: "198.18.1.2" },
      server: { ip: "198.18.2.2" },
    });
    await run.lab.exited;
  });

  it("a clear message when tcpdump cannot capture", async () => {
    const live = start(process.execPath, [BIN, "live", "-i", "no-such-interface0"]);
    let err = "";
    live.child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
    });
    expect(await live.exited).toBe(2);
    expect(err).toMatch(/^wscale: tcpdump failed: tcpdump: no-such-interface0: /);
  });
});
