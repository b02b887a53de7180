import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../src/analysis/analyze.js";
import { Series } from "../src/connections/timeline.js";

describe("timeline series", () => {
  it("keeps only changes", () => {
    const s = new Series();
    for (let i = 0; i < 100; i++) s.push(i, i < 50 ? 7 : 9, i + 1);
    expect(s.points(0)).toEqual([
      [0, 7],
      [50, 9],
    ]);
  });

  it("stays bounded and keeps the spikes and dips when thinned", () => {
    const s = new Series();
    for (let i = 0; i < 100_000; i++) {
      const v = i === 77_777 ? 1e9 : i === 33_333 ? -5 : i % 2;
      s.push(i, v, i + 1);
    }
    const pts = s.points(0);
    expect(pts.length).toBeLessThanOrEqual(2048);
    expect(pts).toContainEqual([77_777, 1e9]);
    expect(pts).toContainEqual([33_333, -5]);
    expect(pts.map(([t]) => t)).toEqual([...pts.map(([t]) => t)].sort((a, b) => a - b));
  });
});

describe("timeline of a real capture", () => {
  it("the seed case: 63-byte bursts, the handshake and the finding marked", async () => {
    const r = await analyze([join(import.meta.dirname, "../captures/rewrite-syn-0.client.pcap")], {
      idleTimeout: 300,
      timeline: true,
    });
    const t = r.connections[0]!.timeline!;
    expect(Math.max(...t.serverInFlight.map(([, v]) => v))).toBe(63);
    expect(t.clientWindow[0]).toEqual([expect.any(Number), 63 * 1024]);
    expect(t.events.map((e) => [e.kind, e.label, e.frame])).toEqual([
      ["handshake", "handshake complete", 3],
      ["finding", "scale-rewritten", 4],
    ]);
  });

  it("is not recorded unless asked for", async () => {
    const r = await analyze([join(import.meta.dirname, "../captures/rewrite-syn-0.client.pcap")], { idleTimeout: 300 });
    expect(r.connections[0]!.timeline).toBeUndefined();
  });
});
