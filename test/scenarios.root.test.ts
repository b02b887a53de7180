/**
 * End to end against the real kernel: each scenario builds namespaces (client, router acting as
 * the middlebox, delay line, server), runs a bounded transfer, captures at both ends with
 * tcpdump, and wscale must give the right verdict from each vantage point. Needs root (network
 * namespaces, nftables); CI runs as root.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { type AnalysisReport, analyze } from "../src/analysis/analyze.js";
import { LAB_TOOLS, requireTools } from "./helpers/tools.js";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..");
// Root and the lab's tools, or a skip naming what is missing (a failure under CI).
const lab = requireTools(LAB_TOOLS);

const workdir = lab.missing.length === 0 ? mkdtempSync(join(tmpdir(), "wscale-scenarios-")) : "";
afterAll(() => {
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

interface Outcome {
  client: AnalysisReport;
  server: AnalysisReport;
  meta: { transfer: { bytes: number; seconds: number; completed: boolean } };
}

async function scenario(name: string, ...options: string[]): Promise<Outcome> {
  const out = join(workdir, [name, ...options].join("_").replace(/[^\w.-]/g, ""));
  // Exit 1 means one of the lab's own tshark checks failed; the captures are still there and
  // our assertions below are the ones that matter, so only a usage error (2) or worse is fatal.
  await run("bash", [join(ROOT, "test/lab/scenario.sh"), name, out, ...options], { timeout: 60_000 }).catch((e) => {
    if (e.code !== 1) throw e;
  });
  const [client, server] = await Promise.all(
    ["client.pcap", "server.pcap"].map((f) => analyze([join(out, f)], { idleTimeout: 300 })),
  );
  return { client: client!, server: server!, meta: JSON.parse(readFileSync(join(out, "meta.json"), "utf8")) };
}

const verdicts = (r: AnalysisReport) =>
  r.findings.filter((f) => f.severity !== "info").map((f) => `${f.id} ${f.severity}`);
const ids = (r: AnalysisReport) => r.findings.map((f) => f.id);

lab.describe("real kernel, real middlebox: verdict from both vantage points", { timeout: 90_000 }, () => {
  it("healthy: scaling on (10/10) at both ends, no warning or error", async () => {
    const o = await scenario("healthy");
    for (const r of [o.client, o.server]) {
      expect(r.connections).toHaveLength(1);
      expect(r.connections[0]).toMatchObject({ scaling: "on", client: { shift: 10 }, server: { shift: 10 } });
      expect(verdicts(r)).toEqual([]);
    }
  });

  it("the router strips wscale from the SYN: stripped-or-declined at the client, cleared NOPs at the server", async () => {
    const o = await scenario("strip-syn");
    expect(verdicts(o.client)).toEqual(["scale-stripped warn"]);
    expect(o.client.findings[0]!.confidence).toBe("possible");
    expect(verdicts(o.server)).toEqual(["option-cleared-nops warn"]);
    expect(o.server.connections[0]!.client.syn!.longestNopRun).toBe(4);
  });

  it("the router strips wscale from the SYN-ACK only: proven stripped at the client, asymmetric at the server", async () => {
    const o = await scenario("strip-synack");
    expect(verdicts(o.client)).toEqual(["scale-stripped warn", "option-cleared-nops warn"]);
    expect(o.client.findings[0]).toMatchObject({ confidence: "certain", direction: "server-to-client" });
    expect(verdicts(o.server)).toEqual(["scale-asymmetric error"]);
  });

  it("the router rewrites the client SYN's shift to 0: rewrite proven from either end", async () => {
    const o = await scenario("rewrite-syn-0");
    expect(o.meta.transfer.bytes).toBeGreaterThan(0);
    for (const r of [o.client, o.server]) {
      const f = r.findings.find((x) => x.id === "scale-rewritten");
      expect(f).toMatchObject({ severity: "error", confidence: "likely", direction: "client-to-server" });
    }
    // Client side: the server sends exactly the raw window (63 bytes) per round trip.
    expect(o.client.connections[0]!.server.maxInFlight).toBe(o.client.connections[0]!.client.maxWindowRaw);
    // Server side: its view of the client's shift is the rewritten 0.
    expect(o.server.connections[0]!.client.wscaleOffered).toBe(0);
  });

  it("the server has tcp_window_scaling=0: declined (certain) at the server, stripped-or-declined at the client", async () => {
    const o = await scenario("server-noscale");
    expect(verdicts(o.server)).toEqual(["scale-declined warn"]);
    expect(o.server.findings[0]!.confidence).toBe("certain");
    expect(verdicts(o.client)).toEqual(["scale-stripped warn"]);
  });

  it("a slow-reading client: zero window, and not a scaling problem", async () => {
    const o = await scenario("zero-window");
    for (const r of [o.client, o.server]) {
      expect(ids(r)).toEqual(["zero-window"]);
      expect(r.findings[0]!.message).toContain("not a window-scaling problem");
      expect(r.connections[0]!.scaling).toBe("on");
    }
  });

  it("IPv6: stripped SYN option, as over IPv4", async () => {
    const o = await scenario("ipv6-strip-syn");
    expect(o.client.connections[0]!.client.ip).toBe("2001:db8:1::2");
    expect(verdicts(o.client)).toEqual(["scale-stripped warn"]);
    expect(verdicts(o.server)).toEqual(["option-cleared-nops warn"]);
  });

  it("a box that zeroes shifts above 2: broken with defaults; the seed's workaround (route window 174760 -> shift 2) passes untouched", async () => {
    const broken = await scenario("zero-above-2");
    expect(ids(broken.client)).toContain("scale-rewritten");
    const fixed = await scenario("zero-above-2", "--client-route-window", "174760");
    for (const r of [fixed.client, fixed.server]) {
      expect(r.connections[0]).toMatchObject({ scaling: "on", client: { wscaleOffered: 2, shift: 2 } });
      expect(verdicts(r)).toEqual([]);
    }
  });

  it("the advice printed for the rewrite, applied in a namespace, makes the next transfer through the same box fast", async () => {
    const before = await scenario("zero-above-2");
    const finding = before.client.findings.find((f) => f.id === "scale-rewritten")!;
    const route = finding.advice.find((a) => a.kind === "route")!;
    const window = /window (\d+)$/.exec(route.command)![1]!;
    expect(route.command).toBe(
      `r=$(ip -o route get 198.18.2.2 | grep -oE '(via|dev) [^ ]+')\nip route replace 198.18.2.2/32 $r window ${window}`,
    );
    const after = await scenario("zero-above-2", "--client-route-window", window);
    expect(verdicts(after.client)).toEqual([]);
    const rate = (o: Outcome) => o.meta.transfer.bytes / o.meta.transfer.seconds;
    expect(after.meta.transfer.completed).toBe(true);
    // 63 bytes per round trip before; a full 64 KiB window per round trip after.
    expect(rate(after)).toBeGreaterThan(rate(before) * 50);
  });
});
