/**
 * `wscale compare` against fresh lab runs (root only: network namespaces, nftables, tcpdump):
 * a NAT on the router, so that addresses and ports differ between the two files, and an MSS
 * clamp. Each scenario takes 2-8 s and is bounded; its namespaces go with the lab's EXIT trap and
 * its files with the temp directory.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { compareCaptures } from "../src/compare/compare.js";
import type { CompareReport } from "../src/compare/types.js";
import { LAB_TOOLS, requireTools } from "./helpers/tools.js";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..");
// Root and the lab's tools, or a skip naming what is missing (a failure under CI).
const lab = requireTools(LAB_TOOLS);

const workdir = lab.missing.length === 0 ? mkdtempSync(join(tmpdir(), "wscale-compare-lab-")) : "";
afterAll(() => {
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

interface Meta {
  client: { ip: string; port: number };
  transfer: { completed: boolean };
  checks: { what: string; ok: boolean }[];
}

async function scenario(name: string): Promise<{ out: string; meta: Meta }> {
  const out = join(workdir, name);
  await run("bash", [join(ROOT, "test/lab/scenario.sh"), name, out], { timeout: 60_000, killSignal: "SIGTERM" });
  return { out, meta: JSON.parse(readFileSync(join(out, "meta.json"), "utf8")) };
}

const pathVerdicts = (r: CompareReport) =>
  r.findings
    .filter((f) => f.input === undefined)
    .map((f) => `${f.id} ${f.direction} ${f.diff ? `${f.diff.from} -> ${f.diff.to}` : ""}`);

lab.describe("compare on fresh lab captures", { timeout: 90_000 }, () => {
  it("NAT on the router: addresses and ports differ between the files, matched by ISN, nothing else changed", async () => {
    const { out, meta } = await scenario("nat");
    expect(meta.checks.filter((c) => !c.ok)).toEqual([]);
    expect(meta.transfer.completed).toBe(true);
    for (const [a, b, aSide] of [
      ["client.pcap", "server.pcap", "client"],
      ["server.pcap", "client.pcap", "server"],
    ] as const) {
      const r = await compareCaptures(join(out, a), join(out, b), { idleTimeout: 300 });
      expect(r.matches).toHaveLength(1);
      const m = r.matches[0]!;
      expect(m).toMatchObject({ by: "isn", nat: true, aSide, sideBy: "ttl", routerHops: 1, verdict: "unchanged" });
      const inside = `198.18.1.2:${meta.client.port}`;
      const translated = aSide === "client" ? m.translated!.client!.b : m.translated!.client!.a;
      expect(aSide === "client" ? m.translated!.client!.a : m.translated!.client!.b).toBe(inside);
      expect(translated).toMatch(/^198\.18\.2\.1:20\d\d\d$/);
      expect(m.translated!.server).toBeUndefined();
      expect(r.unmatched).toEqual([]);
      expect(pathVerdicts(r)).toEqual([]);
    }
  });

  it("MSS clamp on the router: path-clamped-mss 1460 -> 1200 both ways, scaling untouched", async () => {
    const { out, meta } = await scenario("mss-clamp");
    expect(meta.checks.filter((c) => !c.ok)).toEqual([]);
    for (const [a, b] of [
      ["client.pcap", "server.pcap"],
      ["server.pcap", "client.pcap"],
    ] as const) {
      const r = await compareCaptures(join(out, a), join(out, b), { idleTimeout: 300 });
      expect(r.matches[0]).toMatchObject({ by: "4-tuple", nat: false, verdict: "changed" });
      expect(pathVerdicts(r)).toEqual([
        "path-clamped-mss client-to-server 1460 -> 1200",
        "path-clamped-mss server-to-client 1460 -> 1200",
      ]);
      const [c2s, s2c] = r.findings.filter((f) => f.input === undefined);
      expect(c2s!.severity).toBe("info");
      expect(c2s!.message).toContain("mss 1460 -> 1200, client to server");
      expect(c2s!.message).toContain("its largest here was 1188 bytes");
      expect(s2c!.message).toContain("mss 1460 -> 1200, server to client");
      expect(r.connections[0]).toMatchObject({ scaling: "on", client: { shift: 10 }, server: { shift: 10 } });
    }
  });
});
